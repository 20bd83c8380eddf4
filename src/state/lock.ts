/**
 * The state lock: `<state>.lock`, created exclusively with who holds it. A lock left by a
 * process that is no longer alive on this host is stale and taken over (with a warning); a lock
 * from another host is never judged stale, since we cannot see its processes.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { WfsyncError } from "../errors.js";

export interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly command: string;
  /** Tells our own lock from a later one at the same path. */
  readonly token: string;
}

export interface WarnLogger {
  warn(obj: object, msg?: string): void;
}

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  release(): void;
}

export function acquireLock(lockPath: string, command: string, logger?: WarnLogger): HeldLock {
  const info: LockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
    command,
    token: randomBytes(8).toString("hex"),
  };
  const text = `${JSON.stringify(info)}\n`;
  // A few rounds: a stale lock is moved aside, then created again (losing a race re-checks).
  for (let round = 0; round < 3; round++) {
    if (tryCreate(lockPath, text)) return held(lockPath, info);
    const raw = readIfExists(lockPath);
    if (raw === undefined) continue; // released meanwhile
    const holder = parseLock(raw);
    if (!holder) {
      throw new WfsyncError("E_STATE_LOCKED", `The state lock ${lockPath} exists but cannot be read. If no wfsync command is running, delete it.`);
    }
    if (holder.hostname !== os.hostname() || pidAlive(holder.pid)) throw lockedError(lockPath, holder);
    if (!takeOver(lockPath, raw)) continue;
    logger?.warn(
      { lock: lockPath, pid: holder.pid, command: holder.command, since: holder.startedAt },
      `Took over a stale state lock left by "${holder.command}" (pid ${holder.pid}, no longer running) since ${holder.startedAt}.`,
    );
  }
  throw new WfsyncError("E_STATE_LOCKED", `Could not lock ${lockPath}: another process keeps taking it.`);
}

function lockedError(lockPath: string, holder: LockInfo): WfsyncError {
  const host = holder.hostname === os.hostname() ? "" : ` on host ${holder.hostname}`;
  return new WfsyncError(
    "E_STATE_LOCKED",
    `The state is in use by "${holder.command}" (pid ${holder.pid}${host}) since ${holder.startedAt}.`,
    { detail: `Wait for it to finish, or pass --lock-timeout (e.g. --lock-timeout 5m) to wait for it. If no such process is running, delete ${lockPath}.` },
  );
}

/** Creates the lock with its content in one step: write a temp file, hard-link it into place. */
function tryCreate(lockPath: string, text: string): boolean {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
  try {
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (err) {
    if (code(err) === "EEXIST") return false;
    // A file system without hard links: fall back to an exclusive create.
    return createExclusive(lockPath, text);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function createExclusive(lockPath: string, text: string): boolean {
  try {
    fs.writeFileSync(lockPath, text, { mode: 0o600, flag: "wx" });
    return true;
  } catch (err) {
    if (code(err) === "EEXIST") return false;
    throw err;
  }
}

/**
 * Moves the stale lock aside. If what we moved is not the lock we judged stale (another
 * process took it over first), we put it back and report it as held.
 */
function takeOver(lockPath: string, staleRaw: string): boolean {
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if (code(err) === "ENOENT") return false;
    throw err;
  }
  const moved = readIfExists(aside);
  if (moved === staleRaw) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, lockPath);
  } catch {
    // Someone created a new lock meanwhile; theirs stands.
  }
  fs.rmSync(aside, { force: true });
  const holder = moved === undefined ? undefined : parseLock(moved);
  if (holder) throw lockedError(lockPath, holder);
  return false;
}

function held(lockPath: string, info: LockInfo): HeldLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off("exit", release);
    // Remove only our own lock: never one a later process took over.
    const raw = readIfExists(lockPath);
    if (raw !== undefined && parseLock(raw)?.token === info.token) fs.rmSync(lockPath, { force: true });
  };
  // A forced quit (a second Ctrl-C calls process.exit) leaves no lock behind: the journal
  // already holds every finished operation, so the state is consistent without a final write.
  process.on("exit", release);
  return { path: lockPath, info, release };
}

export function parseLock(raw: string): LockInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo> | null;
    if (!v || !Number.isInteger(v.pid) || typeof v.hostname !== "string") return undefined;
    return {
      pid: v.pid!,
      hostname: v.hostname,
      startedAt: typeof v.startedAt === "string" ? v.startedAt : "an unknown time",
      command: typeof v.command === "string" ? v.command : "wfsync",
      token: typeof v.token === "string" ? v.token : "",
    };
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists on this host (EPERM: it exists, but is not ours). */
export function pidAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === "EPERM";
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if (code(err) === "ENOENT") return undefined;
    throw err;
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
