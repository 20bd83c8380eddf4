/**
 * What every state store is (the file, store.ts; the database, postgres.ts) and how it is opened:
 * plan, apply, watch and import see only this.
 */
import type { WfsyncError } from "../errors.js";
import type { StateEntry } from "./format.js";
import type { WarnLogger } from "./lock.js";

export interface OpenStateOptions {
  /** The tenant base URL this run talks to; the state must belong to it. Required to write. */
  tenant?: string;
  /** The API generation this run speaks ("10.2" or "12"); a state of the other is refused. */
  api?: string;
  /** Take the lock (commands that write); `false` opens read-only. */
  lock: boolean;
  /** Shown to a second opener, e.g. `wfsync apply`. */
  command?: string;
  /** How long to wait for a lock another process holds (`--lock-timeout`); default 0: refuse at once. */
  lockTimeoutMs?: number;
  logger?: WarnLogger;
  /** fdatasync the journal every N operations (default 64; 1 = every operation). */
  syncEvery?: number;
  /** Compact on its own after N journal operations (default 5,000), so a daemon's journal stays small. */
  compactEvery?: number;
}

export interface StateStore {
  /** The file, or the database URL (without credentials) and the state's name: safe to show. */
  readonly path: string;
  /** The tenant the state belongs to: the file's, else the opener's (bound on first write). */
  readonly tenant: string | undefined;
  /** The API generation the state was made with: the file's, else the opener's. */
  readonly api: string | undefined;
  /**
   * Binds the state to the API generation the tenant turned out to speak (kept in the file);
   * refuses (E_STATE_API) a state made with the other one.
   */
  bindApi(api: string): void;
  readonly writable: boolean;
  /**
   * A fault that keeps the state from recording anything any more (a database state whose
   * connection, and with it the lock, is gone); undefined while it can. A file has none.
   */
  readonly fault: WfsyncError | undefined;
  /** Every entry by address. Treat entries as immutable. */
  entries(): ReadonlyMap<string, StateEntry>;
  get(address: string): StateEntry | undefined;
  /** Resolves once the entry is on disk (journal). */
  record(address: string, entry: StateEntry): Promise<void>;
  remove(address: string): Promise<void>;
  /** Writes the whole state file and empties the journal. */
  flush(): Promise<void>;
  /** Flushes (when writable) and releases the lock. */
  close(): Promise<void>;
}
