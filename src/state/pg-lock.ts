/**
 * The lock of a database state: a session-level advisory lock on a key derived from the schema
 * and the state's name, held by the connection the state writes through. PostgreSQL releases
 * it when that connection ends for any reason (the process killed, the host gone, the
 * connection cut), so a crash leaves no lock behind; and since every write goes through that
 * same connection, nothing is written once the lock is lost.
 *
 * Advisory locks say nothing about who holds them, so the holder also writes a row in `locks`
 * (user, host, pid, command, since) with its backend pid; a second opener shows the row whose
 * backend holds the lock now (a row left by a dead holder matches no lock and is ignored).
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "pg";
import { WfsyncError } from "../errors.js";
import { formatDuration } from "../text.js";
import type { DatabaseLocation } from "./location.js";
import { table } from "./pg-connect.js";

export interface DbLockHolder {
  readonly user: string;
  readonly hostname: string;
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** How often a waiting opener tries again (`--lock-timeout`). */
const POLL_MS = 200;

/** The two int4 halves of the advisory lock key: (schema, state name), each a 31-bit hash. */
export function lockKey(location: DatabaseLocation, name: string): [number, number] {
  const half = (text: string) => createHash("sha256").update(text).digest().readUInt32BE(0) & 0x7fffffff;
  return [half(`wfsync:${location.schema}`), half(name)];
}

/**
 * Takes the lock, waiting up to `timeoutMs` (0: fail at once) for its holder to let go, then
 * records this process as holder. Throws E_STATE_LOCKED naming the holder.
 */
export async function acquireDbLock(client: Client, location: DatabaseLocation, name: string, command: string, timeoutMs: number): Promise<void> {
  const [k1, k2] = lockKey(location, name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [k1, k2]);
    if (rows[0]?.ok) break;
    const left = deadline - Date.now();
    if (left <= 0) throw lockedError(location, name, await currentHolder(client, location, name, k1, k2), timeoutMs);
    await sleep(Math.min(POLL_MS, left));
  }
  const holder: DbLockHolder = { user: os.userInfo().username, hostname: os.hostname(), pid: process.pid, command, since: new Date().toISOString() };
  await client.query(
    `INSERT INTO ${table(location, "locks")} (state, backend_pid, holder) VALUES ($1, pg_backend_pid(), $2) ` +
      "ON CONFLICT (state) DO UPDATE SET backend_pid = excluded.backend_pid, holder = excluded.holder",
    [name, JSON.stringify(holder)],
  );
}

/** Lets the lock go (the connection ending would too); the holder row goes with it. */
export async function releaseDbLock(client: Client, location: DatabaseLocation, name: string): Promise<void> {
  const [k1, k2] = lockKey(location, name);
  await client.query(`DELETE FROM ${table(location, "locks")} WHERE state = $1 AND backend_pid = pg_backend_pid()`, [name]);
  await client.query("SELECT pg_advisory_unlock($1, $2)", [k1, k2]);
}

/** The holder of the lock now: the row of the backend that holds it, if it wrote one. */
async function currentHolder(client: Client, location: DatabaseLocation, name: string, k1: number, k2: number): Promise<{ backend: number; holder?: DbLockHolder } | undefined> {
  const { rows } = await client.query<{ pid: number; holder: DbLockHolder | null; app: string | null }>(
    `SELECT l.pid, h.holder, a.application_name AS app FROM pg_locks l ` +
      `LEFT JOIN ${table(location, "locks")} h ON h.state = $3 AND h.backend_pid = l.pid ` +
      "LEFT JOIN pg_stat_activity a ON a.pid = l.pid " +
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 2",
    [k1, k2, name],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { backend: row.pid, ...(row.holder ? { holder: row.holder } : {}) };
}

function lockedError(location: DatabaseLocation, name: string, held: { backend: number; holder?: DbLockHolder } | undefined, timeoutMs: number): WfsyncError {
  const h = held?.holder;
  const who = h ? `"${h.command}" (user ${h.user}, pid ${h.pid} on host ${h.hostname}) since ${h.since}` : held ? `database session ${held.backend}` : "another wfsync";
  const waited = timeoutMs > 0 ? ` (waited ${formatDuration(timeoutMs)})` : "";
  return new WfsyncError("E_STATE_LOCKED", `The state "${name}" in ${location.shown} is in use by ${who}${waited}.`, {
    detail:
      "Wait for it to finish, or pass --lock-timeout (e.g. --lock-timeout 5m) to wait for it. The lock is held by that process's " +
      "database connection and goes when it ends, even if it is killed: there is never a lock to delete by hand.",
  });
}
