/**
 * A team's state in PostgreSQL, end to end: `wfsync apply` processes (the built CLI) against the
 * emulator, sharing one database state (test/helpers/postgres.ts: a schema per test). Two at
 * once, SIGKILL of the holder, a state of another tenant, and the database going away mid-apply.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "pg";
import { describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply.js";
import { openState } from "../../src/state/index.js";
import { planWorkspace } from "../../src/workspace/workspace.js";
import { onCleanup } from "../helpers/cleanup.js";
import { startCli } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS, startTestEmulator } from "../helpers/emulator.js";
import { adminClient, lockHolders, pgTitle, probePostgres, startPgProxy, stateUrl, testSchema } from "../helpers/postgres.js";
import { duplicateKeys, expectStateMatchesServer, manyOptions, startEngine, startProxy, workflowFile, type Engine } from "./harness.js";
import { configFile as watchConfig, flowFile, project as watchProject, serverOptions, watch } from "../watch/harness.js";

const probe = await probePostgres();
const PER_SPLIT = 50;
const TOTAL = 2 * PER_SPLIT;

/** Resolves once `ready()` holds, checking every few milliseconds. */
async function until(ready: () => boolean | Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const saves = (engine: Engine): number => engine.emu.counters().byMethod.SaveWorkflowStepOption ?? 0;

const files = {
  "workflows/onboarding.ts": workflowFile(679, { 844: manyOptions(PER_SPLIT, "on") }),
  "workflows/webinar.ts": workflowFile(702, { 910: manyOptions(PER_SPLIT, "web") }),
};

/** Whether a wfsync process has a database connection (its application_name names its pid). */
async function connected(admin: Client, pid: number | undefined): Promise<boolean> {
  const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1", [`%(pid ${pid} on %`]);
  return rows.length > 0;
}

async function expectExactSet(engine: Engine): Promise<void> {
  const server = engine.serverOptions();
  expect(duplicateKeys(server)).toEqual([]);
  expect(server).toHaveLength(TOTAL);
  const entries = await engine.stateEntries();
  expect(entries.size).toBe(TOTAL);
  expectStateMatchesServer(entries, server);
  await engine.expectConverged();
}

describe.skipIf(!probe.ok)(pgTitle("a state shared in PostgreSQL", probe), () => {
  it("two applies at once: the second is refused naming the first, or waits and then sees its results; no duplicate", { timeout: 90_000 }, async () => {
    const admin = await adminClient();
    const url = stateUrl(await testSchema(admin), "team");
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const engine = await startEngine({ files, config: { state: url, concurrency: 4 }, via: (emu) => startProxy(emu, { beforeForward: () => gate }) });

    // The first takes the lock, then is held at its first request to the server.
    const first = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(async () => (await lockHolders(admin, new URL(url).searchParams.get("schema")!).catch(() => [])).length > 0, "the first apply to hold the lock");

    const refused = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir }).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`error E_STATE_LOCKED: The state "team" in \\S+ is in use by "wfsync apply" \\(user \\S+, pid ${first.child.pid} on host \\S+\\) since \\S+\\.`));
    expect(refused.stderr).toContain("--lock-timeout");

    const waiting = startCli(["--lock-timeout", "5m", "apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(() => connected(admin, waiting.child.pid), "the second apply to wait for the lock");
    open();

    const a = await first.done;
    expect(a.code, a.stderr).toBe(0);
    const b = await waiting.done;
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain("No changes.");
    expect(saves(engine)).toBe(TOTAL);
    await expectExactSet(engine);
  });

  it("SIGKILL of the holder mid-apply releases the lock; the rerun gives exactly the set, no duplicates", { timeout: 90_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const engine = await startEngine({ files, config: { state: stateUrl(schema, "kill"), concurrency: 4 }, emulator: { latency: 30 } });

    const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(() => saves(engine) >= TOTAL / 2, "half the saves");
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    await until(() => engine.emu.counters().inFlight === 0, "the killed apply's requests to finish");
    const recorded = (await engine.stateEntries()).size;
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(TOTAL);
    // Nobody deletes anything: the database lets the lock go when the connection dies.
    await until(async () => (await lockHolders(admin, schema)).length === 0, "the killed holder's lock to go");

    const rerun = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir }).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toBe("");
    await expectExactSet(engine);
  });

  it("refuses a state bound to another tenant before sending anything", { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const url = stateUrl(await testSchema(admin), "shared");
    const one = await startEngine({ files, config: { state: url } });
    const applied = await startCli(["apply", "--auto-approve"], { cwd: one.project.dir }).done;
    expect(applied.code, applied.stderr).toBe(0);

    const other = await startEngine({ files, config: { state: url } });
    const refused = await startCli(["apply", "--auto-approve"], { cwd: other.project.dir }).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error E_STATE_TENANT: The state "shared" in `);
    expect(refused.stderr).toContain(`belongs to ${one.emu.url}, not to ${other.emu.url}.`);
    expect(other.emu.counters().byMethod).toEqual({});
  });

  it("the database going away mid-apply stops the sending and says what is not recorded; the rerun converges", { timeout: 90_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const db = await startPgProxy();
    const engine = await startEngine({ files, config: { state: stateUrl(schema, "down", db.url), concurrency: 4 }, emulator: { latency: 30 } });

    const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(() => saves(engine) >= 20, "20 saves");
    db.cut();
    const done = await run.done;
    expect(done.code).toBe(1);
    expect(done.stdout).toMatch(/error E_STATE_WRITE: cannot write the state postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/test\?name=down&schema=\S+ \(state "down"\): /);
    expect(done.stdout).toMatch(/\d+ changes? not sent/);
    expect(done.stdout).toContain("Once the database answers again, run again");
    const sent = saves(engine);
    expect(sent).toBeLessThan(TOTAL);

    // The database is back (here: the direct URL, given in WFSYNC_STATE_URL instead of the config's).
    const rerun = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir, env: { ...EMULATOR_CREDENTIALS, WFSYNC_STATE_URL: stateUrl(schema, "down") } }).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    const server = engine.serverOptions();
    expect(duplicateKeys(server)).toEqual([]);
    expect(server).toHaveLength(TOTAL);
    // The engine's own reads would use the config's URL, whose proxy is down: read the database directly.
    const store = await openState(stateUrl(schema, "down"), { lock: false });
    onCleanup(() => store.close());
    expect(store.entries().size).toBe(TOTAL);
    expectStateMatchesServer(store.entries(), server);
    const plan = await startCli(["plan", "--detailed-exitcode"], { cwd: engine.project.dir, env: { ...EMULATOR_CREDENTIALS, WFSYNC_STATE_URL: stateUrl(schema, "down") } }).done;
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("a state whose database went away sends nothing at all (a daemon's next run)", { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const db = await startPgProxy();
    const engine = await startEngine({ files, config: { state: stateUrl(schema, "gone", db.url) } });
    const { plan, state } = await planWorkspace(engine.session, { refresh: true, lock: true, command: "test" });
    onCleanup(() => state.close());
    db.cut();
    await until(() => state.fault !== undefined, "the store to notice its connection is gone");
    const result = await applyPlan(plan, { tenant: engine.session.tenant, state, createsJustRead: true });
    expect(result.stopped?.code).toBe("E_STATE_WRITE");
    expect(result.stopped?.message).toMatch(new RegExp(`^cannot write the state \\S+ \\(state "gone"\\): the connection to the database was lost \\([^)]*\\); ${TOTAL} changes not sent\\.$`));
    expect(saves(engine)).toBe(0);
  });

  it("watch opens its state again when the database is back: the run after sends, records and converges", { timeout: 90_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const db = await startPgProxy();
    const emu = await startTestEmulator();
    const p = watchProject({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP customers" }]) });
    p.write("sync.config.ts", watchConfig({ state: stateUrl(schema, "daemon", db.url) }));
    const w = await watch(p, emu, { debounceMs: 20 });
    expect(serverOptions(emu, 844).has("vip")).toBe(true);

    db.cut();
    p.write("workflows/onboarding.ts", flowFile(679, 844, [{ key: "vip", name: "VIP customers" }, { key: "rest", name: "Everyone else" }]));
    const lost = await w.waitForRun((r) => r.stopped?.code === "E_STATE_WRITE" || r.errors.some((e) => e.code === "E_STATE_WRITE"), "a run stopped by the lost database");
    expect(lost.applied).toEqual([]);
    expect(serverOptions(emu, 844).has("rest")).toBe(false);

    db.restore();
    p.write("workflows/onboarding.ts", flowFile(679, 844, [{ key: "vip", name: "VIP customers" }, { key: "rest", name: "Everyone else" }, { key: "new", name: "New" }]));
    const back = await w.waitForRun((r) => r.applied.length > 0, "a run after the database is back", lost.seq);
    expect(back.stopped).toBeUndefined();
    expect(w.notices.map((n) => n.message).join("\n")).toContain("the state's database answers again: reconnected and locked the state again");
    expect([...serverOptions(emu, 844).keys()].sort()).toEqual(["new", "rest", "vip"]);
    await w.handle.close();
    // What the daemon recorded is in the database, each option once, matching the server.
    const store = await openState(stateUrl(schema, "daemon"), { lock: false, tenant: emu.url });
    onCleanup(() => store.close());
    expect([...store.entries().keys()].sort()).toEqual(["679/844/new", "679/844/rest", "679/844/vip"]);
    expect(duplicateKeys(emu.data().options)).toEqual([]);
  });
});
