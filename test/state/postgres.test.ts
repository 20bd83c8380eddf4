/**
 * The state in a real PostgreSQL (test/helpers/postgres.ts): the same store as the file, bound
 * to its tenant, locked with an advisory lock that names its holder and dies with its connection,
 * and each operation committed when it resolves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { openState, storedEntry, type StateStore } from "../../src/state/index.js";
import { execFileSync } from "node:child_process";
import { onCleanup } from "../helpers/cleanup.js";
import { runCli } from "../helpers/cli.js";
import { makeProject } from "../helpers/tmp-project.js";
import { adminClient, lockHolders, pgTitle, probePostgres, startPgProxy, stateUrl, testSchema } from "../helpers/postgres.js";
import { transpileStateModule } from "./transpile.js";
import { stateAddress as addr, stateEntry as entry } from "../helpers/state.js";

const TENANT = "https://online.superoffice.com/Cust12345";
const OTHER = "https://online.superoffice.com/Cust99999";
const probe = await probePostgres();


async function opened(url: string, options: Parameters<typeof openState>[1]): Promise<StateStore> {
  const store = await openState(url, options);
  onCleanup(() => store.close());
  return store;
}

async function rejection(p: Promise<unknown>): Promise<WfsyncError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WfsyncError);
  return err as WfsyncError;
}

describe.skipIf(!probe.ok)(pgTitle("the PostgreSQL state", probe), () => {
  it("keeps what was recorded and removed, read back exactly as the file store reads it", async () => {
    const admin = await adminClient();
    const url = stateUrl(await testSchema(admin));
    const store = await opened(url, { tenant: TENANT, lock: true, command: "test" });
    await Promise.all([store.record(addr("a"), entry("a", 1)), store.record(addr("b"), entry("b", 2)), store.record(addr("c"), entry("c", 3))]);
    await store.remove(addr("b"));
    store.bindApi("10.2");
    await store.record(addr("c"), entry("c", 4));
    await store.close();

    const again = await opened(url, { tenant: TENANT, lock: false });
    expect([...again.entries().keys()].sort()).toEqual([addr("a"), addr("c")]);
    expect(again.get(addr("c"))?.id).toBe(4);
    expect(again.api).toBe("10.2");
    expect(again.tenant).toBe(TENANT);

    // The same entry through a file state reads back identically (state show prints storedEntry).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-pg-file-"));
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = await opened(path.join(dir, "state.json"), { tenant: TENANT, lock: true });
    await file.record(addr("c"), entry("c", 4));
    expect(JSON.stringify(storedEntry(again.get(addr("c"))!))).toBe(JSON.stringify(storedEntry(file.get(addr("c"))!)));
    // Property order survives the database too (a json column keeps the text).
    const { rows } = await admin.query(`SELECT entry::text AS e FROM "${new URL(url).searchParams.get("schema")}".entries WHERE address = $1`, [addr("c")]);
    expect(rows[0].e).toBe(JSON.stringify(storedEntry(entry("c", 4))));
  });

  it("keeps the server's answer without its field rights, as the file store does", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const url = stateUrl(schema);
    const store = await opened(url, { tenant: TENANT, lock: true, command: "test" });
    const server = { WorkflowStepOptionId: 1, Key: "a", TableRight: { Mask: "Select" }, FieldProperties: { Key: { FieldLength: 255 } }, Steps: [{ WorkflowStepId: 7, StepType: "AddToList", TableRight: null }] };
    const lean = { WorkflowStepOptionId: 1, Key: "a", Steps: [{ WorkflowStepId: 7, StepType: "AddToList" }] };
    await store.record(addr("a"), entry("a", 1, { server }));
    expect(store.get(addr("a"))!.server).toEqual(lean);
    await store.close();
    const { rows } = await admin.query(`SELECT entry::text AS e FROM "${schema}".entries WHERE address = $1`, [addr("a")]);
    expect(rows[0].e).not.toMatch(/TableRight|FieldProperties/i);
    expect((await opened(url, { tenant: TENANT, lock: false })).get(addr("a"))!.server).toEqual(lean);
  });

  it("names each tenant's state after the tenant, and refuses a named state bound to another tenant", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const mine = await opened(stateUrl(schema), { tenant: TENANT, lock: true });
    await mine.record(addr("a"), entry("a", 1));
    await mine.close();
    const theirs = await opened(stateUrl(schema), { tenant: OTHER, lock: true });
    expect(theirs.entries().size).toBe(0);
    await theirs.close();

    const shared = await opened(stateUrl(schema, "production"), { tenant: TENANT, lock: true });
    await shared.record(addr("a"), entry("a", 1));
    await shared.close();
    const err = await rejection(openState(stateUrl(schema, "production"), { tenant: OTHER, lock: true }));
    expect(err.code).toBe("E_STATE_TENANT");
    expect(err.message).toBe(`The state "production" in postgres://[redacted]@127.0.0.1:5432/test?name=production&schema=${schema} belongs to ${TENANT}, not to ${OTHER}.`);
  });

  it("refuses a second writer, naming the first; waits for it with a lock timeout; never a stuck lock", async () => {
    const admin = await adminClient();
    const url = stateUrl(await testSchema(admin), "team");
    const first = await opened(url, { tenant: TENANT, lock: true, command: "wfsync apply" });
    const err = await rejection(openState(url, { tenant: TENANT, lock: true, command: "wfsync watch" }));
    expect(err.code).toBe("E_STATE_LOCKED");
    expect(err.message).toMatch(
      new RegExp(`^The state "team" in \\S+ is in use by "wfsync apply" \\(user ${os.userInfo().username}, pid ${process.pid} on host ${os.hostname()}\\) since \\d{4}-\\d\\d-\\d\\dT[^ ]+\\.$`),
    );
    // A reader never needs the lock.
    expect((await opened(url, { tenant: TENANT, lock: false })).writable).toBe(false);

    const waiting = openState(url, { tenant: TENANT, lock: true, command: "second", lockTimeoutMs: 60_000 });
    await first.record(addr("a"), entry("a", 1));
    await first.close();
    const second = await waiting;
    onCleanup(() => second.close());
    expect(second.get(addr("a"))?.id).toBe(1);

    // The holder's connection dies (a crash): the lock goes with it, and its writes stop.
    const [holder] = await lockHolders(admin, new URL(url).searchParams.get("schema")!);
    await admin.query("SELECT pg_terminate_backend($1)", [holder]);
    // pg_terminate_backend only signals; the backend is gone once pg_stat_activity no longer lists it.
    while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [holder])).rows.length) await sleep(5);
    const lost = await rejection(second.record(addr("b"), entry("b", 2)));
    expect(lost.code).toBe("E_STATE_WRITE");
    const third = await opened(url, { tenant: TENANT, lock: true, lockTimeoutMs: 30_000 });
    expect([...third.entries().keys()]).toEqual([addr("a")]);
  });

  it("fails each operation the database does not confirm with E_STATE_WRITE, and keeps every one it did", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const proxy = await startPgProxy();
    const url = stateUrl(schema, "cut", proxy.url);
    const store = await opened(url, { tenant: TENANT, lock: true });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.record(addr(`k${i}`), entry(`k${i}`, i + 1))));
    proxy.cut();
    const err = await rejection(store.record(addr("late"), entry("late", 999)));
    expect(err.code).toBe("E_STATE_WRITE");
    expect(err.message).toMatch(/^cannot write the state postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/test\?name=cut&schema=\S+ \(state "cut"\): /);
    expect(store.get(addr("late"))).toBeUndefined();
    await store.close();
    const again = await opened(stateUrl(schema, "cut"), { tenant: TENANT, lock: false });
    expect(again.entries().size).toBe(50);
  });

  it("commits 500 operations that arrive at once, each resolving once its row is there", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const store = await opened(stateUrl(schema), { tenant: TENANT, lock: true });
    const resolved: string[] = [];
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => store.record(addr(`k${i}`), entry(`k${i}`, i + 1)).then(() => resolved.push(addr(`k${i}`)))),
    );
    expect(resolved).toHaveLength(500);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries`);
    expect(rows[0].n).toBe(500);
  });

  it("opens read-only without creating anything, and refuses rows that do not match the state format", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const reader = await opened(stateUrl(schema), { tenant: TENANT, lock: false });
    expect(reader.entries().size).toBe(0);
    const { rows } = await admin.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    expect(rows).toEqual([]);

    const store = await opened(stateUrl(schema), { tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a", 1));
    await store.record(addr("b"), entry("b", 2));
    await store.close();
    await admin.query(`UPDATE "${schema}".entries SET entry = json_build_object('id', 1, 'hash', 'x') WHERE address = $1`, [addr("b")]);
    const err = await rejection(openState(stateUrl(schema), { tenant: TENANT, lock: false }));
    expect(err.code).toBe("E_STATE_INVALID");
    expect(err.detail).toContain(`entry "${addr("b")}".appliedAt: expected an ISO date, got nothing`);
  });

  it("needs a name or a tenant to know which state", async () => {
    const admin = await adminClient();
    const err = await rejection(openState(stateUrl(await testSchema(admin)), { lock: false }));
    expect(err.code).toBe("E_STATE_NAME");
  });

  it("says in words when the database cannot be reached", async () => {
    const proxy = await startPgProxy();
    proxy.cut();
    const err = await rejection(openState(stateUrl("wfsync_unreachable", "x", proxy.url), { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_CONNECT");
    expect(err.message).toMatch(/^Cannot open the state database postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/test\?name=x&schema=wfsync_unreachable: /);
  });
});

describe("without the optional PostgreSQL client", () => {
  it("a file state works, and a database state says the client is missing", () => {
    // The state module alone, in a folder with no node_modules above it: `pg` cannot be found.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-no-pg-"));
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    const modulePath = transpileStateModule(dir);
    const script = `
      const { openState } = await import(${JSON.stringify(modulePath)});
      const file = await openState(${JSON.stringify(path.join(dir, "state.json"))}, { tenant: "${TENANT}", lock: true });
      await file.close();
      try {
        await openState("postgres://wfsync@127.0.0.1:1/x?name=a", { tenant: "${TENANT}", lock: false });
        console.log("opened");
      } catch (err) {
        console.log(JSON.stringify({ code: err.code, message: err.message, detail: err.detail }));
      }`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" }));
    expect(out).toEqual({
      code: "E_STATE_PG_MISSING",
      message: "The state is a PostgreSQL database, but the PostgreSQL client (package pg) is not installed.",
      detail: 'It is an optional dependency of wfsync: install it beside wfsync (npm install pg@8), or use a state file (config "state").',
    });
  });

  it("state list --all shows every state the database holds: name, tenant, API generation, options, last write", async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const first = await opened(stateUrl(schema), { tenant: TENANT, lock: true, command: "test" });
    await Promise.all([first.record(addr("a"), entry("a", 1)), first.record(addr("b"), entry("b", 2))]);
    first.bindApi("12");
    await first.record(addr("a"), entry("a", 1));
    await first.close();
    const second = await opened(stateUrl(schema, "team"), { tenant: OTHER, lock: true, command: "test" });
    await second.record(addr("c"), entry("c", 3));
    await second.close();

    const project = makeProject({ "sync.config.ts": `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: ${JSON.stringify(TENANT)} });\n` });
    onCleanup(() => project.cleanup());
    const env = { WFSYNC_STATE_URL: stateUrl(schema) };
    const json = await runCli(["state", "list", "--all", "--json"], { cwd: project.dir, env });
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { database: string; states: { name: string; tenant: string; api: string | null; options: number; updatedAt: string }[] };
    expect(doc.states.map((s) => [s.name, s.tenant, s.api, s.options])).toEqual([
      [TENANT, TENANT, "12", 2],
      ["team", OTHER, null, 1],
    ]);
    for (const s of doc.states) expect(new Date(s.updatedAt).toISOString()).toBe(s.updatedAt);
    const text = await runCli(["state", "list", "--all"], { cwd: project.dir, env });
    expect(text.stdout).toContain("2 states");
    expect(text.stdout).toMatch(/team\s+https:\/\/online\.superoffice\.com\/Cust99999\s+api -\s+1 option\s+last written/);

    // A project with environments lists them too, none chosen: WFSYNC_STATE_URL is every one's.
    const fleet = makeProject({
      "sync.config.ts": `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ environments: { a: { url: ${JSON.stringify(TENANT)} }, b: { url: ${JSON.stringify(OTHER)} } } });\n`,
    });
    onCleanup(() => fleet.cleanup());
    const both = await runCli(["state", "list", "--all", "--json"], { cwd: fleet.dir, env });
    expect(both.code, both.stderr).toBe(0);
    expect((JSON.parse(both.stdout) as { states: unknown[] }).states).toHaveLength(2);
    const none = await runCli(["state", "list", "--all"], { cwd: fleet.dir, env: { WFSYNC_STATE_URL: "" } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("set WFSYNC_STATE_URL, or choose an environment whose state is one (--env NAME)");

    const file = await runCli(["state", "list", "--all"], { cwd: project.dir, env: { WFSYNC_STATE_URL: "" } });
    expect(file.code).toBe(1);
    expect(file.stderr).toContain("--all lists the states of a PostgreSQL database");
  });
});
