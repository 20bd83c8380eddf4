/**
 * The state in PostgreSQL: the same StateStore as the file, for a team (several checkouts, CI)
 * working on the same tenants. The same versioned entries the file holds, one row each, bound to
 * the tenant the same way; locked with an advisory lock that dies with its holder (pg-lock.ts).
 *
 * Durability is the journal's: `record`/`remove` resolve once their row is committed. Operations
 * that arrive while a commit is in flight are gathered and committed together in one statement
 * (a group commit), so a busy apply makes one round trip per batch, not per option, and never
 * waits for the database while it could be sending. Every statement goes over the connection
 * that holds the lock: if it is lost, nothing more is written, and each operation not confirmed
 * fails with E_STATE_WRITE, which stops apply from sending more.
 */
import type { Client } from "pg";
import { normaliseBaseUrl } from "../client/url.js";
import { redactUrl } from "../redact.js";
import { WfsyncError } from "../errors.js";
import { Problems, checkEntry, checkSharedIds, checkedStoredEntry, entryFromStored, type StateEntry, type StoredStateEntry } from "./format.js";
import { parseDatabaseLocation, type DatabaseLocation } from "./location.js";
import { connect, describeDbFault, ensureSchema, table } from "./pg-connect.js";
import { acquireDbLock, releaseDbLock } from "./pg-lock.js";
import type { OpenStateOptions, StateStore } from "./interface.js";

interface StateRow {
  readonly tenant: string;
  readonly api: string | null;
}

export async function openDatabaseState(url: string, options: OpenStateOptions): Promise<StateStore> {
  const location = parseDatabaseLocation(url);
  const wanted = options.tenant === undefined ? undefined : normaliseBaseUrl(options.tenant);
  const name = location.name ?? wanted;
  if (name === undefined) {
    throw new WfsyncError("E_STATE_NAME", `Which state in ${location.shown}? It is named after the tenant, and no tenant URL is known here.`, {
      detail: 'Give the tenant (--url, WFSYNC_URL or config "url"), or name the state in the URL: ?name=NAME.',
    });
  }
  const command = options.command ?? "wfsync";
  const client = await connect(location, command);
  try {
    const exists = await ensureSchema(client, location, options.lock);
    if (options.lock) await acquireDbLock(client, location, name, command, options.lockTimeoutMs ?? 0);
    const { row, entries } = exists ? await readState(client, location, name) : { row: undefined, entries: new Map<string, StateEntry>() };
    const bound = row ? sameSpelling(row.tenant) : undefined;
    checkTenant(location, name, bound, wanted);
    checkApi(location, name, row?.api ?? undefined, options.api);
    return new DatabaseStore(client, location, name, bound ?? wanted, row?.api ?? options.api, entries, options.lock);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** One state of a database, as `state list --all` shows it. */
export interface DatabaseStateSummary {
  readonly name: string;
  /** The normalised URL of the tenant it is bound to. */
  readonly tenant: string;
  readonly api: string | null;
  readonly options: number;
  /** ISO time of its last write. */
  readonly updatedAt: string;
}

/** Every state the database's schema holds (none if it has no schema yet), by name. Reads only. */
export async function listDatabaseStates(url: string): Promise<{ shown: string; states: DatabaseStateSummary[] }> {
  const location = parseDatabaseLocation(url);
  const client = await connect(location, "wfsync state list");
  try {
    if (!(await ensureSchema(client, location, false))) return { shown: location.shown, states: [] };
    const { rows } = await client.query<{ name: string; tenant: string; api: string | null; options: string; updated_at: Date }>(
      `SELECT s.name, s.tenant, s.api, s.updated_at, count(e.address) AS options FROM ${table(location, "states")} s ` +
        `LEFT JOIN ${table(location, "entries")} e ON e.state = s.name GROUP BY s.name, s.tenant, s.api, s.updated_at ORDER BY s.name`,
    );
    return {
      shown: location.shown,
      states: rows.map((r) => ({ name: r.name, tenant: r.tenant, api: r.api, options: Number(r.options), updatedAt: new Date(r.updated_at).toISOString() })),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The state's row and entries, read in one snapshot and checked like a file's. */
async function readState(client: Client, location: DatabaseLocation, name: string): Promise<{ row: StateRow | undefined; entries: Map<string, StateEntry> }> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const states = await client.query<StateRow>(`SELECT tenant, api FROM ${table(location, "states")} WHERE name = $1`, [name]);
    const rows = await client.query<{ address: string; entry: string }>(`SELECT address, entry::text AS entry FROM ${table(location, "entries")} WHERE state = $1`, [name]);
    await client.query("COMMIT");
    const problems = new Problems();
    const entries = new Map<string, StateEntry>();
    for (const { address, entry } of rows.rows) {
      const value: unknown = JSON.parse(entry);
      if (checkEntry(address, value, `entry ${JSON.stringify(address)}`, problems)) entries.set(address, entryFromStored(value));
    }
    checkSharedIds(entries, "entries", problems);
    if (!problems.ok) {
      throw new WfsyncError("E_STATE_INVALID", `The state "${name}" in ${location.shown} does not match the state format:`, {
        detail: `${problems.list.map((p) => `  ${p}`).join("\n")}\nwfsync will not overwrite it. Fix those rows (table ${location.schema}.entries), or remove the entries with wfsync state rm.`,
      });
    }
    return { row: states.rows[0], entries };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

function sameSpelling(tenant: string): string {
  try {
    return normaliseBaseUrl(tenant);
  } catch {
    return tenant;
  }
}

function checkTenant(location: DatabaseLocation, name: string, bound: string | undefined, wanted: string | undefined): void {
  if (bound === undefined || wanted === undefined || bound === wanted) return;
  const shown = redactUrl(bound);
  throw new WfsyncError("E_STATE_TENANT", `The state "${name}" in ${location.shown} belongs to ${shown}, not to ${wanted}.`, {
    detail:
      `Using it against another tenant would mistake that tenant's options for these. Use --url ${shown} (or WFSYNC_URL / config "url") ` +
      `with this state, or give ${wanted} its own state: another ?name= in the state URL, or none (each tenant then has its own).`,
  });
}

function checkApi(location: DatabaseLocation, name: string, stateApi: string | undefined, wanted: string | undefined): void {
  if (stateApi === undefined || wanted === undefined || stateApi === wanted) return;
  throw new WfsyncError("E_STATE_API", `The state "${name}" in ${location.shown} was made with the SuperOffice ${stateApi} API; this tenant speaks ${wanted}.`, {
    detail:
      "Option ids and identities differ between the generations (the current one stores no Key), so this state cannot be trusted here. " +
      'If the tenant was upgraded, pull the state to a file for safekeeping (wfsync state pull), remove its entries, and run plan: wfsync adopts the options it finds. To force a generation, set "api" in the config or pass --api.',
  });
}

/** An operation waiting for its commit: the entry's JSON text, or `null` for a remove. */
type PendingOp = { readonly text: string | null; readonly entry?: StateEntry };

class DatabaseStore implements StateStore {
  readonly path: string;
  private pending = new Map<string, PendingOp>();
  private waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  private writing: Promise<void> | undefined;
  /** Set once the connection (and with it the lock) is gone: nothing more can be written. */
  private lost: WfsyncError | undefined;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly location: DatabaseLocation,
    readonly name: string,
    private readonly boundTenant: string | undefined,
    private boundApi: string | undefined,
    private readonly map: Map<string, StateEntry>,
    private readonly locked: boolean,
  ) {
    this.path = `${location.shown} (state "${name}")`;
    client.on("error", (err) => this.loseConnection(err));
    client.on("end", () => this.loseConnection(new Error("the connection to the database ended")));
  }

  get tenant(): string | undefined {
    return this.boundTenant;
  }

  get api(): string | undefined {
    return this.boundApi;
  }

  bindApi(api: string): void {
    checkApi(this.location, this.name, this.boundApi, api);
    this.boundApi = api;
  }

  get writable(): boolean {
    return this.locked && !this.closed && !this.lost;
  }

  get fault(): WfsyncError | undefined {
    return this.lost;
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
    const text = JSON.stringify(stored);
    // In memory exactly what a reader of the row gets back.
    await this.enqueue(address, { text, entry: entryFromStored(JSON.parse(text) as StoredStateEntry) });
  }

  async remove(address: string): Promise<void> {
    this.assertWritable();
    await this.enqueue(address, { text: null });
  }

  async flush(): Promise<void> {
    if (this.closed) throw new WfsyncError("E_STATE_CLOSED", `The state ${this.path} is already closed.`, { userError: false });
    await this.idle();
    if (this.lost) throw this.lost;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Every operation's own promise carries its failure; closing only waits for them to settle.
    await this.idle().catch(() => undefined);
    this.closed = true;
    try {
      if (this.locked && !this.lost) await releaseDbLock(this.client, this.location, this.name);
    } catch {
      // The lock goes with the connection, which ends now either way.
    } finally {
      await this.client.end().catch(() => undefined);
    }
  }

  private enqueue(address: string, op: PendingOp): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    // The last operation on an address wins, as on replay of a journal.
    this.pending.set(address, op);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Commits batches until nothing is pending; each batch's callers hear its outcome. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.size) {
        const batch = this.pending;
        const waiters = this.waiters;
        this.pending = new Map();
        this.waiters = [];
        try {
          await this.commit(batch);
        } catch (err) {
          const fault = this.writeError(err);
          for (const w of waiters) w.reject(fault);
          continue;
        }
        for (const [address, op] of batch) {
          if (op.entry) this.map.set(address, op.entry);
          else this.map.delete(address);
        }
        for (const w of waiters) w.resolve();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** One statement, so one commit: the state's row (tenant, api), the removes and the upserts. */
  private async commit(batch: ReadonlyMap<string, PendingOp>): Promise<void> {
    if (this.lost) throw this.lost;
    const removed: string[] = [];
    const addresses: string[] = [];
    const texts: string[] = [];
    for (const [address, op] of batch) {
      if (op.text === null) removed.push(address);
      else {
        addresses.push(address);
        texts.push(op.text);
      }
    }
    const states = table(this.location, "states");
    const entries = table(this.location, "entries");
    await this.client.query(
      `WITH s AS (INSERT INTO ${states} (name, tenant, api) VALUES ($1, $2, $3) ` +
        `ON CONFLICT (name) DO UPDATE SET api = coalesce(excluded.api, ${states}.api), updated_at = now()), ` +
        `d AS (DELETE FROM ${entries} WHERE state = $1 AND address = ANY($4::text[])) ` +
        `INSERT INTO ${entries} (state, address, entry) SELECT $1, a, e::json FROM unnest($5::text[], $6::text[]) AS t(a, e) ` +
        "ON CONFLICT (state, address) DO UPDATE SET entry = excluded.entry",
      [this.name, this.requireTenant(), this.boundApi ?? null, removed, addresses, texts],
    );
  }

  private async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private loseConnection(err: unknown): void {
    if (this.closed || this.lost) return;
    this.lost = this.writeError(err, "the connection to the database was lost");
  }

  private writeError(err: unknown, what?: string): WfsyncError {
    if (err instanceof WfsyncError) return err;
    return new WfsyncError("E_STATE_WRITE", `cannot write the state ${this.path}: ${what ? `${what} (${describeDbFault(err)})` : describeDbFault(err)}`, {
      cause: err,
      detail:
        "The database did not confirm these operations; everything it confirmed before is kept. Once the database answers again, " +
        "run again: options applied but not recorded are found on the server and adopted.",
    });
  }

  private requireTenant(): string {
    if (this.boundTenant === undefined) {
      throw new WfsyncError("E_STATE_NO_TENANT", `Cannot write ${this.path} without knowing its tenant; open it with the tenant URL.`, { userError: false });
    }
    return this.boundTenant;
  }

  private assertWritable(): void {
    if (this.closed) throw new WfsyncError("E_STATE_CLOSED", `The state ${this.path} is already closed.`, { userError: false });
    if (!this.locked) throw new WfsyncError("E_STATE_READONLY", `The state ${this.path} was opened read-only (without the lock).`, { userError: false });
  }
}
