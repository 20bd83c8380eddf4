/**
 * The journal `<state>.journal`: one JSON line per operation since the last compaction, so each
 * finished operation is on disk at once without rewriting the whole state file.
 *
 * Line 1 is a header `{"journal":1,"tenant":…}`; then `{"op":"record","address","entry"}` or
 * `{"op":"remove","address"}`. Each line goes out in one write() of the whole line: once that
 * returns, the line is in the page cache and survives the process being killed (SIGKILL, crash);
 * only a power loss or kernel crash can lose it, and `fdatasync` every `syncEvery` lines and at
 * compaction bounds that window. A torn last line (no newline) is an operation that never
 * resolved, and is ignored on replay.
 *
 * A failed write (disk full) fails that operation only: the next append cuts the file back to
 * its last whole line and tries again, so the journal works again once there is space.
 */
import fs from "node:fs";
import { WfsyncError } from "../errors.js";
import path from "node:path";
import { fsyncDirSync, readTextIfExists } from "./atomic.js";
import { stateWriteError } from "./faults.js";
import type { StoredStateEntry } from "./format.js";

export const JOURNAL_VERSION = 1;

export type JournalOp =
  | { readonly op: "record"; readonly address: string; readonly entry: StoredStateEntry }
  | { readonly op: "remove"; readonly address: string };

export interface JournalContent {
  readonly tenant: string | undefined;
  /** Parsed operations with their 1-based line numbers; entries are not yet schema-checked. */
  readonly ops: readonly { readonly line: number; readonly op: JournalOp }[];
  /** Bytes after the last newline (an interrupted write), ignored. */
  readonly tornTail: boolean;
}

/** Reads a journal; `undefined` when there is none. Throws E_STATE_JOURNAL for a damaged one. */
export function readJournal(file: string): JournalContent | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  const end = text.lastIndexOf("\n");
  const tornTail = text.length > end + 1;
  const lines = end < 0 ? [] : text.slice(0, end).split("\n");
  let tenant: string | undefined;
  const ops: { line: number; op: JournalOp }[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const value = parseLine(file, raw, line);
    if (i === 0) {
      if (value.journal !== JOURNAL_VERSION || typeof value.tenant !== "string") damaged(file, line, "is not a wfsync journal header");
      tenant = value.tenant as string;
      return;
    }
    if (typeof value.address !== "string") damaged(file, line, "has no address");
    if (value.op === "remove") ops.push({ line, op: { op: "remove", address: value.address as string } });
    else if (value.op === "record") ops.push({ line, op: { op: "record", address: value.address as string, entry: value.entry as StoredStateEntry } });
    else damaged(file, line, `has an unknown operation ${JSON.stringify(value.op)}`);
  });
  return { tenant, ops, tornTail };
}

function parseLine(file: string, raw: string, line: number): Record<string, unknown> {
  try {
    const value = JSON.parse(raw) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  return damaged(file, line, "is not a JSON object");
}

function damaged(file: string, line: number, what: string): never {
  throw new WfsyncError("E_STATE_JOURNAL", `The state journal ${file} is damaged: line ${line} ${what}.`, {
    detail:
      "The journal holds operations not yet written into the state file. Keep a copy of it; deleting it " +
      "continues from the state file alone, and the next plan will adopt options found on the server by Key.",
  });
}

/** `fs.writeSync`'s shape: bytes written. Injectable so tests can fill the disk. */
export type WriteFn = (fd: number, buffer: Buffer, offset: number, length: number) => number;

/** An open journal that appends operations. */
export class JournalWriter {
  private fd: number | undefined;
  private closed = false;
  /** Bytes of the file that end with a whole line; beyond it, a failed write may have left part of one. */
  private good = 0;
  private unsynced = 0;
  private syncing = false;

  constructor(
    readonly file: string,
    private readonly tenant: string,
    private readonly syncEvery: number,
    private readonly writeFn: WriteFn = fs.writeSync,
  ) {
    this.ready();
  }

  append(op: JournalOp): string {
    const line = JSON.stringify(op);
    this.ready();
    this.writeLine(line);
    if (++this.unsynced >= this.syncEvery) this.syncInBackground();
    return line;
  }

  /**
   * The periodic fdatasync only narrows the power-loss window (a killed process loses nothing
   * once write() returned), so it runs on the thread pool: a synchronous one stalled every
   * request in flight for the length of a disk flush. `sync()` at close is synchronous.
   */
  private syncInBackground(): void {
    if (this.fd === undefined || this.syncing) return;
    this.syncing = true;
    this.unsynced = 0;
    fs.fdatasync(this.fd, () => {
      // An error here (the fd closed meanwhile) loses nothing: close() synced synchronously.
      this.syncing = false;
    });
  }

  sync(): void {
    if (this.fd === undefined || (this.unsynced === 0 && !this.syncing)) return;
    fs.fdatasyncSync(this.fd);
    this.unsynced = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd === undefined) return;
    try {
      this.sync();
    } finally {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /**
   * Opens the file (again, after a failure) and makes its end a whole line: appending after part
   * of a line would put a damaged line in the middle, which replay refuses. Throws E_STATE_WRITE.
   */
  private ready(): void {
    if (this.closed) throw new Error("journal is closed");
    try {
      if (this.fd === undefined) {
        this.fd = fs.openSync(this.file, "a+", 0o600);
        const size = fs.fstatSync(this.fd).size;
        this.good = wholeLines(this.fd, size);
        if (this.good < size) fs.ftruncateSync(this.fd, this.good);
      }
      if (this.good === 0) {
        this.writeLine(JSON.stringify({ journal: JOURNAL_VERSION, tenant: this.tenant }));
        fsyncDirSync(path.dirname(this.file));
      }
    } catch (err) {
      this.drop();
      throw stateWriteError(this.file, err);
    }
  }

  private writeLine(text: string): void {
    const buf = Buffer.from(`${text}\n`, "utf8");
    try {
      let off = 0;
      while (off < buf.length) off += this.writeFn(this.fd!, buf, off, buf.length - off);
    } catch (err) {
      this.drop();
      throw stateWriteError(this.file, err);
    }
    this.good += buf.length;
  }

  /** Lets the file go after a failure: the next append opens it again (the fault may be gone). */
  private drop(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.unsynced = 0;
    try {
      fs.closeSync(fd);
    } catch {
      // Closing a descriptor whose writes failed may fail too; it is closed either way.
    }
  }
}

/** The length of the file up to and including its last newline (reading back from `size`). */
function wholeLines(fd: number, size: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const n = fs.readSync(fd, chunk, 0, end - start, start);
    const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}
