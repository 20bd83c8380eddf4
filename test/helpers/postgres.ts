/**
 * The real PostgreSQL the database-state tests run against: WFSYNC_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test (trust auth; `.ci/run` starts the server). Each test
 * gets a schema of its own, dropped after it. On a machine with no PostgreSQL the probe says why,
 * and the tests that need it are skipped with that reason in their name instead of failing.
 */
import net from "node:net";
import { randomBytes } from "node:crypto";
import type { Client } from "pg";
import { onCleanup } from "./cleanup.js";

export const PG_URL = process.env.WFSYNC_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type PgProbe = { ok: true } | { ok: false; why: string };

/** Whether the test database answers; never throws. */
export async function probePostgres(): Promise<PgProbe> {
  let pg: typeof import("pg");
  try {
    const m = await import("pg");
    pg = ((m as unknown as { default?: typeof import("pg") }).default ?? m) as typeof import("pg");
  } catch {
    return { ok: false, why: "the optional dependency pg is not installed" };
  }
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { ok: true };
  } catch (err) {
    return { ok: false, why: `no PostgreSQL at ${PG_URL} (${(err as Error).message})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A title that says why a skipped suite did not run. */
export function pgTitle(title: string, probe: PgProbe): string {
  if (!probe.ok) console.warn(`skipping "${title}": ${probe.why}`);
  return probe.ok ? title : `${title} (skipped: ${probe.why})`;
}

/** An admin connection to the test database, closed after the test. */
export async function adminClient(): Promise<Client> {
  const m = await import("pg");
  const pg = ((m as unknown as { default?: typeof import("pg") }).default ?? m) as typeof import("pg");
  const client = new pg.Client({ connectionString: PG_URL });
  client.on("error", () => undefined);
  await client.connect();
  onCleanup(() => client.end().catch(() => undefined));
  return client;
}

/** A fresh schema name for this test, dropped (with everything in it) after the test. */
export async function testSchema(admin: Client): Promise<string> {
  const schema = `wfsync_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  onCleanup(() => admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined));
  return schema;
}

/** The state URL of a schema (and optionally a state name), on `base` (default PG_URL). */
export function stateUrl(schema: string, name?: string, base = PG_URL): string {
  const url = new URL(base);
  url.searchParams.set("schema", schema);
  if (name !== undefined) url.searchParams.set("name", name);
  return url.toString();
}

/** Backend pids of the wfsync connections holding an advisory lock in `schema`'s key space. */
export async function lockHolders(admin: Client, schema: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN "${schema}".locks h ON h.backend_pid = l.pid WHERE l.locktype = 'advisory' AND l.granted`,
  );
  return rows.map((r) => r.pid);
}

/**
 * A TCP proxy on 127.0.0.1 in front of the database, which the test can cut: every connection
 * through it is destroyed at once, and new ones are refused (the database "goes down" for the
 * process under test, without touching the shared server).
 */
export async function startPgProxy(base = PG_URL): Promise<{ url: string; cut(): void; restore(): void; connections(): number; close(): Promise<void> }> {
  const target = new URL(base);
  const sockets = new Set<net.Socket>();
  let down = false;
  let total = 0;
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    total++;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(base);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  const proxy = {
    url: url.toString(),
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    /** Takes connections again after cut() (the database is back). */
    restore() {
      down = false;
    },
    connections: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  onCleanup(() => proxy.close());
  return proxy;
}
