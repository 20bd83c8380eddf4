/**
 * The command-line contract of plan, apply and state, through the built CLI against an
 * in-process emulator: exit codes, refusals that send nothing, `plan --json`, the state commands,
 * the tenant binding and the lock.
 */
import fs from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { pidAlive } from "../../src/state/lock.js";
import { runCli, startCli } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { duplicateKeys, expectApplied, startEngine, startProxy, workflowFile, type Engine } from "./harness.js";

const A = workflowFile(679, { 844: [{ key: "a" }, { key: "b" }, { key: "c" }] });
const B = workflowFile(702, { 910: [{ key: "x" }, { key: "y" }] });

async function appliedEngine(): Promise<Engine> {
  const engine = await startEngine({ files: { "workflows/a.ts": A, "workflows/b.ts": B } });
  expectApplied((await engine.apply()).result);
  engine.emu.resetCounters();
  return engine;
}

const cli = (engine: Engine, args: string[], env?: Record<string, string>) => runCli(args, { cwd: engine.project.dir, ...(env ? { env } : {}) });
const statePath = (engine: Engine) => engine.project.path(".wfsync/state.json");
const writes = (engine: Engine) => {
  const { byMethod } = engine.emu.counters();
  return (byMethod.SaveWorkflowStepOption ?? 0) + (byMethod.DeleteWorkflowStepOption ?? 0);
};

describe("refusals that send nothing", () => {
  it("wrong credentials: exit 1, a 401 message naming the variables, never the secret; the state untouched", async () => {
    const engine = await appliedEngine();
    const before = fs.readFileSync(statePath(engine));
    engine.project.write("workflows/a.ts", A.replace('"Option a"', '"Changed"'));
    const secret = "not-the-password-4711";
    const wrong = { WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: secret };
    const [plan, apply, token] = await Promise.all([
      cli(engine, ["plan"], wrong),
      cli(engine, ["apply", "--auto-approve"], wrong),
      cli(engine, ["plan"], { WFSYNC_TOKEN: "bad-token-0815" }),
    ]);
    for (const run of [plan, apply]) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain("401");
      expect(run.stderr).toContain("WFSYNC_USERNAME/WFSYNC_PASSWORD");
      const output = run.stdout + run.stderr;
      expect(output).not.toContain(secret);
      expect(output).not.toContain(Buffer.from(`wfsync:${secret}`).toString("base64"));
    }
    expect(token.code).toBe(1);
    expect(token.stderr).toContain("WFSYNC_TOKEN");
    expect(token.stderr).not.toContain("bad-token-0815");
    expect(engine.emu.counters().unauthorized).toBeGreaterThan(0);
    expect(writes(engine)).toBe(0);
    expect(fs.readFileSync(statePath(engine)).equals(before)).toBe(true);
    expect(fs.existsSync(`${statePath(engine)}.journal`)).toBe(false);
    expect(fs.existsSync(`${statePath(engine)}.lock`)).toBe(false);
  });

  it("wrong credentials on a first run leave no state file", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": A } });
    const run = await cli(engine, ["apply", "--auto-approve"], { WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "nope-nope" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("401");
    expect(fs.existsSync(statePath(engine))).toBe(false);
    expect(engine.serverOptions()).toEqual([]);
  });

  it("a compile error: exit 1 at file:line:col, and not one request", async () => {
    const engine = await appliedEngine();
    // Were the broken file read as empty, its options would be planned as deletes.
    engine.project.write("workflows/b.ts", B.replace("selection: 1", 'selection: "one"'));
    const runs = await Promise.all([["plan"], ["apply", "--auto-approve", "--allow-mass-delete"]].map((args) => cli(engine, args)));
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/workflows\/b\.ts:\d+:\d+ - error TS\d+/);
      expect(run.stderr).toContain("nothing was sent");
    }
    expect(engine.emu.counters().total).toBe(0);
  });

  it("apply without a terminal and without --auto-approve refuses before any write", async () => {
    const engine = await appliedEngine();
    const before = fs.readFileSync(statePath(engine));
    engine.project.write("workflows/a.ts", A.replace('"Option a"', '"Changed"'));
    // One after the other: each takes the state lock to plan.
    for (const args of [["apply"], ["apply", "--json"]]) {
      const run = await cli(engine, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("E_NEEDS_APPROVAL");
      expect(run.stderr).toContain("--auto-approve");
    }
    expect(writes(engine)).toBe(0);
    expect(fs.readFileSync(statePath(engine)).equals(before)).toBe(true);
  });

  it("apply without a terminal and with nothing to change says so and exits 0", async () => {
    const engine = await appliedEngine();
    // One after the other: each takes the state lock.
    const text = await cli(engine, ["apply"]);
    const json = await cli(engine, ["apply", "--json"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("No changes.");
    expect(text.stderr).not.toContain("E_NEEDS_APPROVAL");
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ result: { applied: 0 } });
    expect(writes(engine)).toBe(0);
  });

  it("deleting all options of a split needs --allow-mass-delete", async () => {
    const engine = await appliedEngine();
    engine.project.remove("workflows/b.ts");
    const refused = await cli(engine, ["apply", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("E_MASS_DELETE");
    expect(refused.stderr).toContain("--allow-mass-delete");
    expect(refused.stdout).toContain("702/910: deletes 2 of the 2 options");
    expect(writes(engine)).toBe(0);

    const allowed = await cli(engine, ["apply", "--auto-approve", "--allow-mass-delete"]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(engine.emu.counters().byMethod.DeleteWorkflowStepOption).toBe(2);
    expect(engine.serverOptions().map((o) => o.Key).sort()).toEqual(["a", "b", "c"]);
    const plan = await cli(engine, ["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});

describe("plan output", () => {
  it("--json has the documented shape; --detailed-exitcode says 2, then 0 after apply", async () => {
    const engine = await appliedEngine();
    engine.project.write(
      "workflows/a.ts",
      workflowFile(679, { 844: [{ key: "a", name: "Renamed" }, { key: "b" }, { key: "d" }] }), // c deleted, d created
    );
    const run = await cli(engine, ["plan", "--json", "--detailed-exitcode"]);
    expect(run.code, run.stderr).toBe(2);
    const json = JSON.parse(run.stdout) as { format_version: number; api: string; tenant: Record<string, unknown>; changes: Record<string, unknown>[]; summary: Record<string, number> };
    expect(json).toMatchObject({ format_version: 1, api: "10.2", tenant: { url: engine.emu.url } });
    expect(json.summary).toEqual({ create: 1, update: 1, delete: 1, adopt: 0, noop: 3 });
    for (const c of json.changes) {
      for (const field of ["action", "address", "workflowId", "workflowStepId", "key", "id", "source"]) expect(c).toHaveProperty(field);
      // Unchanged options carry no payload unless -v asks for it.
      for (const field of ["before", "after"]) expect(c.action === "noop" ? !(field in c) : field in c).toBe(true);
      expect(c.address).toBe(`${c.workflowId}/${c.workflowStepId}/${c.key}`);
    }
    const byAddress = Object.fromEntries(json.changes.map((c) => [c.address, c]));
    const ids = new Map(engine.serverOptions().map((o) => [o.Key, o.WorkflowStepOptionId]));
    expect(byAddress["679/844/a"]).toMatchObject({ action: "update", workflowId: 679, workflowStepId: 844, key: "a", id: ids.get("a") });
    expect(byAddress["679/844/a"]!.before).toMatchObject({ name: "Option a" });
    expect(byAddress["679/844/a"]!.after).toMatchObject({ name: "Renamed", steps: [{ stepType: "AddToList", selection: 1 }] });
    expect(byAddress["679/844/a"]!.source).toMatch(/^workflows\/a\.ts:\d+:\d+$/);
    expect(byAddress["679/844/d"]).toMatchObject({ action: "create", id: null, before: null });
    expect(byAddress["679/844/c"]).toMatchObject({ action: "delete", id: ids.get("c"), after: null });
    expect(byAddress["702/910/x"]).toMatchObject({ action: "noop" });
    expect(writes(engine)).toBe(0);

    const applied = await cli(engine, ["apply", "--auto-approve", "--json"]);
    expect(applied.code, applied.stderr).toBe(0);
    const appliedJson = JSON.parse(applied.stdout) as { result: { operations: Record<string, unknown>[] } };
    expect(appliedJson).toMatchObject({ format_version: 1, plan: { summary: { create: 1, update: 1, delete: 1 } }, result: { applied: 3, failed: [], cancelled: 0 } });
    // Every operation, with the id it has now (a create's new id from the server).
    const created = engine.serverOptions().find((o) => o.Key === "d")!.WorkflowStepOptionId;
    expect(appliedJson.result.operations.map((o) => [o.address, o.action, o.id, o.result]).sort()).toEqual([
      ["679/844/a", "update", ids.get("a"), "applied"],
      ["679/844/c", "delete", ids.get("c"), "applied"],
      ["679/844/d", "create", created, "applied"],
    ]);
    const verbose = JSON.parse((await cli(engine, ["plan", "--json", "-v"])).stdout) as { changes: Record<string, unknown>[] };
    expect(verbose.changes.every((c) => c.action === "noop" && "before" in c && "after" in c)).toBe(true);
    const after = await cli(engine, ["plan", "--detailed-exitcode"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain("No changes.");
  });

  it("--no-refresh compares with the state only and sends nothing", async () => {
    const engine = await appliedEngine();
    engine.project.write("workflows/a.ts", A.replace('"Option a"', '"Changed"'));
    // No credentials at all: a plan that sends nothing must not need them.
    const run = await cli(engine, ["plan", "--no-refresh", "--json"], {});
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as { changes: { address: string; action: string }[]; refreshed: boolean };
    expect(json.refreshed).toBe(false);
    expect(json.changes.filter((c) => c.action !== "noop")).toEqual([expect.objectContaining({ address: "679/844/a", action: "update" })]);
    expect(engine.emu.counters().total).toBe(0);
  });
});

describe("apply without a terminal", () => {
  it("prints a heartbeat line on stderr while it works, and the elapsed time in its summary", async () => {
    // Slow requests one at a time, and a heartbeat far shorter than the work: lines must appear.
    const engine = await startEngine({ files: { "workflows/a.ts": A }, config: { concurrency: 1 }, emulator: { latency: 200 } });
    const run = await cli(engine, ["apply", "--auto-approve"], { ...EMULATOR_CREDENTIALS, WFSYNC_HEARTBEAT_MS: "20" });
    expect(run.code, run.stderr).toBe(0);
    const beats = run.stderr.split("\n").filter((l) => /^applying \d\/3 · \d+\.\d\/s · \d+(\.\d)? m?s elapsed/.test(l));
    expect(beats.length, run.stderr).toBeGreaterThanOrEqual(2);
    expect(run.stderr).not.toContain("\u001b[");
    expect(run.stdout).toMatch(/^Apply: 3 applied, 0 failed in \d+(\.\d)? m?s\.$/m);
  });
});

describe("output to a closed pipe", () => {
  /** A state of `count` entries (copies of one real entry), so the output is far larger than a pipe's buffer. */
  function inflateState(engine: Engine, count: number): void {
    const file = JSON.parse(fs.readFileSync(statePath(engine), "utf8")) as { entries: Record<string, { id: number; option: { key: string } }> };
    const [first] = Object.values(file.entries);
    for (let i = 0; i < count; i++) file.entries[`679/844/many-${i}`] = { ...first!, id: 900_000 + i, option: { ...first!.option, key: `many-${i}` } };
    fs.writeFileSync(statePath(engine), JSON.stringify(file));
  }

  it("`state list | head` and `plan --no-refresh | head` end quietly with 141, no EPIPE stack", async () => {
    const engine = await appliedEngine();
    inflateState(engine, 5000);
    for (const args of [["state", "list"], ["plan", "--no-refresh"]]) {
      const run = startCli(args, { cwd: engine.project.dir });
      // The reader takes the first chunk and goes away, as `head -3` does.
      run.child.stdout!.once("data", () => run.child.stdout!.destroy());
      const result = await run.done;
      expect(result.stderr, args.join(" ")).not.toMatch(/EPIPE|\n\s+at /);
      expect(result.stderr).toBe("");
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 141, signal: null });
    }
  });
});

describe("state commands", () => {
  it("list, show and rm; after rm the option is adopted by Key, not created again", async () => {
    const engine = await appliedEngine();
    const ids = new Map(engine.serverOptions().map((o) => [o.Key, o.WorkflowStepOptionId]));

    const [list, listJson, show, missing] = await Promise.all([
      cli(engine, ["state", "list"]),
      cli(engine, ["state", "list", "--json"]),
      cli(engine, ["state", "show", "679/844/b"]),
      cli(engine, ["state", "show", "679/844/nope"]),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`tenant ${engine.emu.url}`);
    expect(list.stdout).toMatch(new RegExp(`679/844/a\\s+id ${ids.get("a")}\\s+workflows/a\\.ts:\\d+:\\d+`));
    const entries = (JSON.parse(listJson.stdout) as { entries: { address: string; id: number }[] }).entries;
    expect(entries.map((e) => e.address)).toEqual(["679/844/a", "679/844/b", "679/844/c", "702/910/x", "702/910/y"]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ address: "679/844/b", id: ids.get("b"), option: { key: "b", name: "Option b" } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("E_STATE_NO_ENTRY");

    const rm = await cli(engine, ["state", "rm", "679/844/b"]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await engine.stateEntries()).has("679/844/b")).toBe(false);
    expect(engine.emu.counters().total).toBe(0); // state commands never call the server

    const plan = await engine.plan();
    expect(plan.changes.find((c) => c.address === "679/844/b")).toMatchObject({ action: "noop", id: ids.get("b"), record: true, reason: "adopted" });
    // The summary counts the adoption, and --detailed-exitcode agrees with it.
    const [text, json] = await Promise.all([cli(engine, ["plan", "--detailed-exitcode"]), cli(engine, ["plan", "--json", "--detailed-exitcode"])]);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 to adopt, 4 unchanged.");
    expect(json.code, json.stderr).toBe(2);
    expect((JSON.parse(json.stdout) as { summary: Record<string, number> }).summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 1, noop: 4 });
    expectApplied((await engine.apply()).result);
    expect(writes(engine)).toBe(0);
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    expect((await engine.stateEntries()).get("679/844/b")?.id).toBe(ids.get("b"));
    await engine.expectConverged();
  });

  it("refuses a state bound to another tenant", async () => {
    const engine = await appliedEngine();
    // The emulator answers under any path prefix, so this is a second tenant on the same server.
    const other = `${engine.emu.url}/Cust99999`;
    for (const run of await Promise.all([["plan"], ["apply", "--auto-approve"]].map((args) => cli(engine, [...args, "--url", other])))) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("E_STATE_TENANT");
      expect(run.stderr).toContain(`belongs to ${engine.emu.url}, not to ${other}`);
    }
    expect(engine.emu.counters().total).toBe(0);
  });

  it("says so when apply takes over a stale lock left by a process that is gone", async () => {
    const engine = await appliedEngine();
    engine.project.write("workflows/a.ts", A.replace('"Option a"', '"Changed"'));
    let pid = 4_194_000;
    while (pidAlive(pid)) pid -= 7;
    fs.writeFileSync(`${statePath(engine)}.lock`, JSON.stringify({ pid, hostname: os.hostname(), startedAt: "2025-01-01T00:00:00.000Z", command: "wfsync apply", token: "0" }));
    const run = await cli(engine, ["apply", "--auto-approve"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`WARN  Took over a stale state lock left by "wfsync apply" (pid ${pid}, no longer running) since 2025-01-01T00:00:00.000Z.`);
    expect(fs.existsSync(`${statePath(engine)}.lock`)).toBe(false);
  });

  it("refuses a second apply while one runs, naming the one that holds the lock", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const engine = await startEngine({
      files: { "workflows/a.ts": A },
      // Holds every request until released: the first apply waits with the lock taken.
      via: (url) => startProxy(url, { beforeForward: () => (held++, gate) }),
    });
    const first = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    try {
      while (held === 0) await new Promise((r) => setTimeout(r, 5));
      const second = await cli(engine, ["apply", "--auto-approve"]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("E_STATE_LOCKED");
      expect(second.stderr).toContain(`in use by "wfsync apply" (pid ${first.child.pid})`);
    } finally {
      release();
    }
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(engine.serverOptions()).toHaveLength(3);
    await engine.expectConverged();
  });
});

describe("changes made on the server, through the CLI", () => {
  async function driftedEngine(): Promise<{ engine: Engine; id: number }> {
    const engine = await appliedEngine();
    const id = engine.serverOptions().find((o) => o.Key === "a")!.WorkflowStepOptionId;
    const res = await fetch(`${engine.emu.url}/__emulator/options/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Name: "UI name" }) });
    expect(res.status).toBe(200);
    engine.emu.resetCounters();
    return { engine, id };
  }

  it("--drift report: plan --detailed-exitcode and apply exit 3 and send nothing; --drift revert puts it back", async () => {
    const { engine, id } = await driftedEngine();
    const plan = await cli(engine, ["plan", "--detailed-exitcode", "--drift", "report"]);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain('name: changed on the server "Option a" → "UI name" — left as it is (drift policy report)');
    const apply = await cli(engine, ["apply", "--auto-approve", "--drift", "report"]);
    expect(apply.code, apply.stderr).toBe(3);
    expect(writes(engine)).toBe(0);
    const revert = await cli(engine, ["apply", "--auto-approve"]);
    expect(revert.code, revert.stderr).toBe(0);
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === id)?.Name).toBe("Option a");
    const bad = await cli(engine, ["plan", "--drift", "ignore"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--drift must be "revert"/);
  });

  it("a conflict: apply exits 1 and sends nothing; --prefer code sends the code's value; --prefer server is refused with the way to get it", async () => {
    const { engine, id } = await driftedEngine();
    engine.project.write("workflows/a.ts", A.replace('"Option a"', '"Code name"'));
    const json = await cli(engine, ["plan", "--json"]);
    expect(json.code).toBe(1);
    const change = (JSON.parse(json.stdout) as { changes: { address: string; action: string; source: string; fields: unknown[] }[] }).changes.find((c) => c.address === "679/844/a")!;
    expect(change).toMatchObject({ action: "conflict", source: expect.stringMatching(/^workflows\/a\.ts:\d+:\d+$/), fields: [{ field: "name", kind: "conflict", base: "Option a", code: "Code name", server: "UI name", outcome: "held" }] });
    const refused = await cli(engine, ["apply", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--prefer code/);
    expect(writes(engine)).toBe(0);
    const server = await cli(engine, ["apply", "--auto-approve", "--prefer", "server"]);
    expect(server.code).toBe(1);
    expect(server.stderr).toMatch(/--refresh-only/);
    const chosen = await cli(engine, ["apply", "--auto-approve", "--prefer", "code"]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === id)?.Name).toBe("Code name");
  });
});
