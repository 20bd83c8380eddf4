/**
 * The PostgreSQL side of a database state: loading the optional client, one connection, the
 * schema (created if missing, versioned), and database faults in words.
 *
 * Tables, in the schema of the URL's `?schema=` (default `wfsync`):
 * - `meta(key, value)`: `version` = SCHEMA_VERSION;
 * - `states(name, tenant, api, created_at, updated_at)`: one row per state, bound to its tenant;
 * - `entries(state, address, entry)`: one row per option, `entry` the same JSON record the state
 *   file holds (type `json`, which keeps the text as written, so `state show` reads the same);
 * - `locks(state, backend_pid, holder)`: who holds a state's advisory lock (see pg-lock.ts).
 */
import os from "node:os";
import type { Client } from "pg";
import { WfsyncError } from "../errors.js";
import type { DatabaseLocation } from "./location.js";

export const SCHEMA_VERSION = 1;

type PgModule = typeof import("pg");
let loaded: Promise<PgModule> | undefined;

/** The `pg` package, imported only when a database state is used (it is an optional dependency). */
export function loadPg(): Promise<PgModule> {
  loaded ??= import("pg").then(
    (m) => ((m as unknown as { default?: PgModule }).default ?? m) as PgModule,
    (err: unknown) => {
      loaded = undefined;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw err;
      throw new WfsyncError("E_STATE_PG_MISSING", "The state is a PostgreSQL database, but the PostgreSQL client (package pg) is not installed.", {
        detail: "It is an optional dependency of wfsync: install it beside wfsync (npm install pg@8), or use a state file (config \"state\").",
      });
    },
  );
  return loaded;
}

/** Schema-qualified table name; the schema was checked to be a plain lower-case SQL name. */
export function table(location: DatabaseLocation, name: "meta" | "states" | "entries" | "locks"): string {
  return `"${location.schema}"."${name}"`;
}

/** One connection; every fault (unreachable, refused credentials) said in words. */
export async function connect(location: DatabaseLocation, command: string): Promise<Client> {
  const pg = await loadPg();
  const client = new pg.Client({
    connectionString: location.connectionString,
    // Shown in pg_stat_activity: who this connection is.
    application_name: `${command} (pid ${process.pid} on ${os.hostname()})`.slice(0, 63),
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // Without a listener, a connection the server ends while idle would crash the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectError(location, err);
  }
  return client;
}

function connectError(location: DatabaseLocation, err: unknown): WfsyncError {
  const code = (err as { code?: string }).code;
  const auth = code === "28P01" || code === "28000";
  return new WfsyncError("E_STATE_CONNECT", `Cannot open the state database ${location.shown}: ${describeDbFault(err)}.`, {
    cause: err,
    detail: auth
      ? "Give the database user's password in PGPASSWORD (or ~/.pgpass, or WFSYNC_STATE_URL); never in the config file."
      : "Check that the database server is running and reachable from here, and the URL's host, port and database.",
  });
}

/** A database or connection fault in a few words (no stack, no connection string). */
export function describeDbFault(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = (e.message ?? String(err)).replace(/\.$/, "");
  return e.code && /^[0-9A-Z]{5}$/.test(e.code) ? `${message} (SQLSTATE ${e.code})` : message;
}

/**
 * Makes sure the schema exists at this version. A reader (no lock) never creates anything: a
 * database without the schema holds no state yet. Creation runs under a transaction-level
 * advisory lock, so two first openers do not race on CREATE.
 */
export async function ensureSchema(client: Client, location: DatabaseLocation, create: boolean): Promise<boolean> {
  if (!(await schemaExists(client, location))) {
    if (!create) return false;
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`wfsync schema ${location.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${location.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${table(location, "meta")} (key text PRIMARY KEY, value text NOT NULL)`);
      await client.query(`INSERT INTO ${table(location, "meta")} VALUES ('version', $1) ON CONFLICT (key) DO NOTHING`, [String(SCHEMA_VERSION)]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table(location, "states")} (name text PRIMARY KEY, tenant text NOT NULL, api text, ` +
          "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())",
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${table(location, "entries")} (state text NOT NULL, address text NOT NULL, entry json NOT NULL, PRIMARY KEY (state, address))`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${table(location, "locks")} (state text PRIMARY KEY, backend_pid integer NOT NULL, holder json NOT NULL)`);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }
  const { rows } = await client.query<{ value: string }>(`SELECT value FROM ${table(location, "meta")} WHERE key = 'version'`);
  const version = rows[0]?.value;
  if (version !== String(SCHEMA_VERSION)) {
    throw new WfsyncError(
      "E_STATE_VERSION",
      `The state database ${location.shown} has wfsync tables of version ${JSON.stringify(version ?? null)} in schema ${location.schema}; this wfsync uses version ${SCHEMA_VERSION}.`,
      { detail: "They were probably made by another wfsync version; use that version, or give this one its own schema (?schema= in the URL)." },
    );
  }
  return true;
}

async function schemaExists(client: Client, location: DatabaseLocation): Promise<boolean> {
  const { rows } = await client.query<{ meta: string | null }>("SELECT to_regclass($1) AS meta", [`"${location.schema}"."meta"`]);
  return rows[0]?.meta != null;
}
