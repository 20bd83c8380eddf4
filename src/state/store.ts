/**
 * The state store: what wfsync last applied to one tenant, by option address. `openState` opens
 * the file store below, or for a `postgres://` URL the database store (postgres.ts).
 *
 * `record`/`remove` append to the journal and are on disk when they resolve (see journal.ts).
 * `flush`/`close` compact: the whole state is written atomically (0600, previous version kept
 * as `.bak`) and the journal removed. Opening replays a journal left by a crash, then compacts.
 */
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { normaliseBaseUrl } from "../client/url.js";
import { redactUrl } from "../redact.js";
import { WfsyncError, fsFaultCode } from "../errors.js";
import { fsyncDirSync, readTextIfExists, writeFileAtomicSync } from "./atomic.js";
import {
  Problems,
  STATE_VERSION,
  checkEntry,
  checkSharedIds,
  checkStateFile,
  entryFromStored,
  serializeState,
  checkedStoredEntry,
  type StateEntry,
  type StateFileV1,
  type StoredStateEntry,
} from "./format.js";
import { statePathError, stateWriteError } from "./faults.js";
import { JournalWriter, readJournal, type JournalContent } from "./journal.js";
import { acquireLock, pidAlive, type HeldLock } from "./lock.js";
import { isDatabaseState } from "./location.js";
import { openDatabaseState } from "./postgres.js";
import type { OpenStateOptions, StateStore } from "./interface.js";

export type { OpenStateOptions, StateStore } from "./interface.js";

export const DEFAULT_STATE_PATH = ".wfsync/state.json";
const FILE_MODE = 0o600;
const LOCK_POLL_MS = 200;

/** Opens the state `file`: a path, or a `postgres://` URL (see location.ts, postgres.ts). */
export async function openState(file: string, options: OpenStateOptions): Promise<StateStore> {
  if (isDatabaseState(file)) return openDatabaseState(file, options);
  const statePath = path.resolve(file);
  const deadline = Date.now() + (options.lockTimeoutMs ?? 0);
  for (;;) {
    try {
      return openAt(statePath, options);
    } catch (err) {
      // Another process holds the lock: wait for it while --lock-timeout allows.
      const left = deadline - Date.now();
      if (err instanceof WfsyncError && err.code === "E_STATE_LOCKED" && left > 0) {
        await sleep(Math.min(LOCK_POLL_MS, left));
        continue;
      }
      // A path that is a folder, runs through a file or cannot be written: said in words.
      throw statePathError(statePath, err) ?? err;
    }
  }
}

function openAt(statePath: string, options: OpenStateOptions): StateStore {
  const wanted = options.tenant === undefined ? undefined : normaliseBaseUrl(options.tenant);
  let lock: HeldLock | undefined;
  if (options.lock) {
    fs.mkdirSync(path.dirname(statePath), { recursive: true, mode: 0o700 });
    lock = acquireLock(`${statePath}.lock`, options.command ?? "wfsync", options.logger);
    removeLeftovers(statePath);
  }
  try {
    const stateFile = readStateFile(statePath);
    const journal = readJournal(`${statePath}.journal`);
    // A file edited by hand (or written before normalisation) may hold another spelling of a URL.
    const tenant = sameSpelling(stateFile?.tenant) ?? sameSpelling(journal?.tenant) ?? wanted;
    checkTenant(statePath, sameSpelling(stateFile?.tenant), sameSpelling(journal?.tenant), wanted);
    checkApi(statePath, stateFile?.api, options.api);
    const entries = new Map<string, StateEntry>(Object.entries(stateFile?.entries ?? {}).map(([address, e]) => [address, entryFromStored(e)]));
    if (journal) replay(`${statePath}.journal`, journal, entries);
    const store = new Store(statePath, tenant, stateFile?.api ?? options.api, entries, lock, options);
    // A journal left by a crash is folded in now; one without a header holds nothing.
    if (lock && journal) {
      if (tenant !== undefined) store.compact();
      else fs.rmSync(`${statePath}.journal`, { force: true });
    }
    return store;
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** Temp files of writers killed mid-write (`.state.json.<pid>.<hex>.tmp`, lock temps) whose pid is gone. */
function removeLeftovers(statePath: string): void {
  const dir = path.dirname(statePath);
  const base = path.basename(statePath).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^\\.?${base}(?:\\.lock)?\\.(\\d+)\\.[0-9a-f]+\\.(?:tmp|stale)$`);
  for (const name of fs.readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function readStateFile(file: string): StateFileV1 | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  // Only a backup that is there is worth naming (looked for only when the file is refused).
  const backup = (): string | undefined => (fs.existsSync(`${file}.bak`) ? `${file}.bak` : undefined);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const bak = backup();
    throw new WfsyncError("E_STATE_CORRUPT", `The state file ${file} is not valid JSON (${(err as Error).message}).`, {
      detail: `wfsync will not overwrite it. Restore it from ${bak ? `${bak} or ` : ""}version control, or move it away to start from an empty state.`,
    });
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (version !== undefined && version !== STATE_VERSION) {
    const bak = backup();
    throw new WfsyncError(
      "E_STATE_VERSION",
      `The state file ${file} has version ${JSON.stringify(version)}; this wfsync reads version ${STATE_VERSION}.`,
      { detail: `It was probably written by another wfsync version; use that version${bak ? `, or restore the file from ${bak}` : ""}.` },
    );
  }
  const problems = new Problems();
  if (!checkStateFile(value, problems)) {
    const bak = backup();
    throw new WfsyncError("E_STATE_INVALID", `The state file ${file} does not match the state format:`, {
      detail: `${problems.list.map((p) => `  ${p}`).join("\n")}\nwfsync will not overwrite it. ${bak ? `Restore it from ${bak} or fix` : "Fix"} the fields above.`,
    });
  }
  return value;
}

/** The normal form of a recorded tenant URL; one that does not parse is kept as it is (and will not match). */
function sameSpelling(tenant: string | undefined): string | undefined {
  if (tenant === undefined) return undefined;
  try {
    return normaliseBaseUrl(tenant);
  } catch {
    return tenant;
  }
}

function checkApi(file: string, fileApi: string | undefined, wanted: string | undefined): void {
  if (fileApi === undefined || wanted === undefined || fileApi === wanted) return;
  throw new WfsyncError("E_STATE_API", `The state file ${file} was made with the SuperOffice ${fileApi} API; this tenant speaks ${wanted}.`, {
    detail:
      "Option ids and identities differ between the generations (the current one stores no Key), so this state cannot be trusted here. " +
      `If the tenant was upgraded, move ${file} away and run plan: wfsync adopts the options it finds. To force a generation, set "api" in the config or pass --api.`,
  });
}

function checkTenant(file: string, fileTenant: string | undefined, journalTenant: string | undefined, wanted: string | undefined): void {
  const bound = fileTenant ?? journalTenant;
  if (fileTenant !== undefined && journalTenant !== undefined && fileTenant !== journalTenant) {
    throw new WfsyncError("E_STATE_TENANT", `The state file ${file} belongs to ${redactUrl(fileTenant)}, but its journal to ${redactUrl(journalTenant)}.`, {
      detail: `Move ${file}.journal away if it does not belong to this state.`,
    });
  }
  if (bound === undefined || wanted === undefined || bound === wanted) return;
  // A hand-edited file may hold any text; what the user gave (wanted) is normalised already.
  const shown = redactUrl(bound);
  throw new WfsyncError("E_STATE_TENANT", `The state file ${file} belongs to ${shown}, not to ${wanted}.`, {
    detail:
      `Using it against another tenant would mistake that tenant's options for these. Use --url ${shown} (or WFSYNC_URL / config "url") ` +
      `with this state, or give ${wanted} its own state file (config "state").`,
  });
}

function replay(file: string, journal: JournalContent, entries: Map<string, StateEntry>): void {
  const problems = new Problems();
  for (const { line, op } of journal.ops) {
    if (op.op === "remove") entries.delete(op.address);
    else if (checkEntry(op.address, op.entry, `${path.basename(file)} line ${line}`, problems)) entries.set(op.address, entryFromStored(op.entry));
  }
  if (!problems.ok) {
    throw new WfsyncError("E_STATE_JOURNAL", `The state journal ${file} holds entries that do not match the state format:`, {
      detail: problems.list.map((p) => `  ${p}`).join("\n"),
    });
  }
  checkSharedIds(entries, "state file and journal", problems);
  if (!problems.ok) {
    throw new WfsyncError("E_STATE_INVALID", `The state journal ${file}, replayed over the state file, gives one option id two addresses:`, {
      detail: `${problems.list.map((p) => `  ${p}`).join("\n")}\nwfsync will not overwrite them. Fix the state file and move the journal away, or fix the journal's lines.`,
    });
  }
}

class Store implements StateStore {
  private journal: JournalWriter | undefined;
  private journalOps = 0;
  private dirty = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly boundTenant: string | undefined,
    private boundApi: string | undefined,
    private readonly map: Map<string, StateEntry>,
    private readonly lock: HeldLock | undefined,
    private readonly options: OpenStateOptions,
  ) {}

  get tenant(): string | undefined {
    return this.boundTenant;
  }

  get api(): string | undefined {
    return this.boundApi;
  }

  bindApi(api: string): void {
    checkApi(this.path, this.boundApi, api);
    // Written with the next write of the state: binding alone changes no file.
    this.boundApi = api;
  }

  get writable(): boolean {
    return this.lock !== undefined && !this.closed;
  }

  /** A full disk fails one write at a time and may be over by the next: never a lasting fault. */
  get fault(): undefined {
    return undefined;
  }

  entries(): ReadonlyMap<string, StateEntry> {
    return this.map;
  }

  get(address: string): StateEntry | undefined {
    return this.map.get(address);
  }

  async record(address: string, entry: StateEntry): Promise<void> {
    this.assertWritable();
    const stored = checkedStoredEntry(address, entry);
    // Keep in memory exactly what a replay would read back.
    const line = this.writer().append({ op: "record", address, entry: stored });
    this.map.set(address, entryFromStored((JSON.parse(line) as { entry: StoredStateEntry }).entry));
    this.afterOp();
  }

  async remove(address: string): Promise<void> {
    this.assertWritable();
    this.writer().append({ op: "remove", address });
    this.map.delete(address);
    this.afterOp();
  }

  async flush(): Promise<void> {
    if (this.closed) throw closedError(this.path);
    if (this.lock && this.dirty) this.compact();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.lock && this.dirty) this.compact();
    } finally {
      this.journal?.close();
      this.closed = true;
      this.lock?.release();
    }
  }

  /** Writes the state file atomically, then drops the journal it now contains. Throws E_STATE_WRITE. */
  compact(): void {
    const tenant = this.requireTenant();
    try {
      writeFileAtomicSync(this.path, serializeState(tenant, this.map, this.boundApi), { mode: FILE_MODE, backup: true });
    } catch (err) {
      if (fsFaultCode(err) === undefined) throw err;
      // The journal (if any) still holds every operation: the next open folds it in.
      throw stateWriteError(this.path, err);
    }
    this.journal?.close();
    this.journal = undefined;
    fs.rmSync(`${this.path}.journal`, { force: true });
    fsyncDirSync(path.dirname(this.path));
    this.journalOps = 0;
    this.dirty = false;
  }

  private writer(): JournalWriter {
    this.journal ??= new JournalWriter(`${this.path}.journal`, this.requireTenant(), this.options.syncEvery ?? 64);
    return this.journal;
  }

  private afterOp(): void {
    this.dirty = true;
    if (++this.journalOps < (this.options.compactEvery ?? 5000)) return;
    try {
      this.compact();
    } catch (err) {
      // The operation is in the journal already; compaction tries again after as many more.
      if (fsFaultCode((err as WfsyncError).cause) === undefined) throw err;
      this.journalOps = 0;
    }
  }

  private requireTenant(): string {
    if (this.boundTenant === undefined) {
      throw new WfsyncError("E_STATE_NO_TENANT", `Cannot write ${this.path} without knowing its tenant; open it with the tenant URL.`, {
        userError: false,
      });
    }
    return this.boundTenant;
  }

  private assertWritable(): void {
    if (this.closed) throw closedError(this.path);
    if (!this.lock) {
      throw new WfsyncError("E_STATE_READONLY", `The state ${this.path} was opened read-only (without the lock).`, { userError: false });
    }
  }
}

function closedError(file: string): WfsyncError {
  return new WfsyncError("E_STATE_CLOSED", `The state ${file} is already closed.`, { userError: false });
}
