/**
 * Issue 15's review loop through the built CLI against an in-process emulator: a saved plan
 * (`plan --out`, `apply FILE`) applied as reviewed or refused when what it was planned against
 * changed; `--target`; a key renamed with `state mv` changed in place; `destroy`.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { adminClient, pgTitle, probePostgres, stateUrl, testSchema } from "../helpers/postgres.js";
import { admin, expectApplied, startEngine, workflowFile, type Engine } from "./harness.js";

const A = workflowFile(679, { 844: [{ key: "a" }, { key: "b" }, { key: "c" }] });
const B = workflowFile(702, { 910: [{ key: "x" }, { key: "y" }] });

async function appliedEngine(api: "10.2" | "12" = "10.2"): Promise<Engine> {
  const engine = await startEngine({ files: { "workflows/a.ts": A, "workflows/b.ts": B }, emulator: { api } });
  expectApplied((await engine.apply()).result);
  engine.emu.resetCounters();
  return engine;
}

const cli = (engine: Engine, args: string[]) => runCli(args, { cwd: engine.project.dir });
const writes = (engine: Engine) => {
  const { byMethod } = engine.emu.counters();
  return { save: byMethod.SaveWorkflowStepOption ?? 0, del: byMethod.DeleteWorkflowStepOption ?? 0, flow: byMethod.SaveEmailFlow ?? 0 };
};
const nameOf = (engine: Engine, key: string) => engine.serverOptions().find((o) => o.Key === key)?.Name;

describe("saved plans", () => {
  it("plan --out writes a 0600 versioned plan without secrets; apply FILE applies exactly it", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Reviewed"'));
    const planned = await cli(engine, ["plan", "--out", "p.json"]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("~ 679/844/a");
    const file = engine.project.path("p.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, "utf8");
    const saved = JSON.parse(text);
    expect(saved).toMatchObject({ format_version: 1, kind: "wfsync-plan", api: "10.2", environment: null, targets: [] });
    expect(Object.keys(saved.fingerprints.splits).sort()).toEqual(["679/844", "702/910"]);
    expect(saved.plan.changes.filter((c: { action: string }) => c.action !== "noop")).toMatchObject([{ action: "update", address: "679/844/a" }]);
    // The credentials the CLI ran with never reach the file.
    const { WFSYNC_USERNAME: user, WFSYNC_PASSWORD: password } = EMULATOR_CREDENTIALS;
    expect(text).not.toContain(Buffer.from(`${user}:${password}`).toString("base64"));
    expect(text).not.toMatch(/authorization|password|ticket/i);
    engine.emu.resetCounters();
    const applied = await cli(engine, ["apply", "p.json", "--auto-approve"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(writes(engine)).toEqual({ save: 1, del: 0, flow: 0 });
    expect(nameOf(engine, "a")).toBe("Reviewed");
    await engine.expectConverged();
  });

  it("is refused, naming the split, after an edit on the server; nothing is sent", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Reviewed"'));
    expect((await cli(engine, ["plan", "--out", "p.json"])).code).toBe(0);
    const id = (await engine.stateEntries()).get("702/910/x")!.id;
    expect((await admin(engine.emu, "POST", `/options/${id}`, { Name: "Edited in the web UI" })).status).toBe(200);
    engine.emu.resetCounters();
    const run = await cli(engine, ["apply", "p.json", "--auto-approve"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("p.json is out of date: split 702/910 on the server changed");
    expect(run.stderr).toContain("nothing was sent");
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
    expect(nameOf(engine, "a")).toBe("Option a");
  });

  it("is refused after a code edit", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Reviewed"'));
    expect((await cli(engine, ["plan", "--out", "p.json"])).code).toBe(0);
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Not what was reviewed"'));
    engine.emu.resetCounters();
    const run = await cli(engine, ["apply", "p.json", "--auto-approve"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("out of date: the code (workflow files or environment values) changed");
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
    expect(nameOf(engine, "a")).toBe("Option a");
  });

  it("is refused after another apply (the state changed), and a second apply of the same file too", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Reviewed"'));
    expect((await cli(engine, ["plan", "--out", "p.json"])).code).toBe(0);
    expect((await cli(engine, ["plan", "--out", "q.json"])).code).toBe(0);
    expect((await cli(engine, ["apply", "p.json", "--auto-approve"])).code).toBe(0);
    engine.emu.resetCounters();
    for (const file of ["q.json", "p.json"]) {
      const run = await cli(engine, ["apply", file, "--auto-approve"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("the state (another apply, or a state command, since)");
      expect(run.stderr).toContain("split 679/844 on the server");
    }
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
  });

  it("refuses a hand-edited plan, a file that is no plan, and --target with a saved plan", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"Reviewed"'));
    expect((await cli(engine, ["plan", "--out", "p.json"])).code).toBe(0);
    const saved = JSON.parse(fs.readFileSync(engine.project.path("p.json"), "utf8"));
    const update = saved.plan.changes.find((c: { action: string }) => c.action === "update");
    update.desired.hash = "0".repeat(40);
    engine.project.write("edited.json", JSON.stringify(saved));
    engine.project.write("other.json", JSON.stringify({ version: 1 }));
    engine.emu.resetCounters();
    const edited = await cli(engine, ["apply", "edited.json", "--auto-approve"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("its changes differ from what the same code, state and server give now");
    const other = await cli(engine, ["apply", "other.json", "--auto-approve"]);
    expect(other.stderr).toContain("other.json is not a saved plan");
    const targeted = await cli(engine, ["apply", "p.json", "--target", "679", "--auto-approve"]);
    expect(targeted.stderr).toContain("a saved plan is applied whole");
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
  });

  it("plan --out with --no-refresh is refused, and a folder that is not there is said in words", async () => {
    const engine = await appliedEngine();
    const run = await cli(engine, ["plan", "--no-refresh", "--out", "p.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--out needs the server's content");
    expect(fs.existsSync(engine.project.path("p.json"))).toBe(false);
    const nowhere = await cli(engine, ["plan", "--out", "no/such/folder/p.json"]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toBe("error E_PLAN_FILE: cannot write the plan to no/such/folder/p.json: its folder does not exist\n");
  });
});

describe("--target", () => {
  it("plans and applies only the changes under the prefixes, with a warning that the result is partial", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace('"Option a"', '"A2"').replace('"Option b"', '"B2"'));
    engine.write("workflows/b.ts", B.replace('"Option x"', '"X2"'));
    const plan = await cli(engine, ["plan", "--target", "679/844/a", "--target", "702", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain("partial plan: only changes under 679/844/a, 702; other changes are not shown or applied");
    const changed = JSON.parse(plan.stdout).changes.filter((c: { action: string }) => c.action !== "noop").map((c: { address: string }) => c.address);
    expect(changed).toEqual(["679/844/a", "702/910/x"]);
    const apply = await cli(engine, ["apply", "--target", "679/844/a", "--auto-approve"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stderr).toContain("partial plan");
    expect(writes(engine)).toEqual({ save: 1, del: 0, flow: 0 });
    expect([nameOf(engine, "a"), nameOf(engine, "b"), nameOf(engine, "x")]).toEqual(["A2", "Option b", "Option x"]);
  });

  it("holds the targeted plan to the mass-delete guard, and refuses a malformed target", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/b.ts", workflowFile(702, { 910: [] }));
    engine.write("workflows/a.ts", workflowFile(679, { 844: [{ key: "a" }, { key: "b" }] }));
    const guarded = await cli(engine, ["apply", "--target", "702/910", "--auto-approve"]);
    expect(guarded.code).toBe(1);
    expect(guarded.stderr).toContain("--allow-mass-delete");
    const one = await cli(engine, ["apply", "--target", "679/844/c", "--auto-approve"]);
    expect(one.code, one.stderr).toBe(0);
    expect(writes(engine)).toEqual({ save: 0, del: 1, flow: 0 });
    const bad = await cli(engine, ["plan", "--target", "vip"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--target "vip": expected a workflow id');
  });
});

describe("a key renamed in code", () => {
  const renamed = A.replace('split.option("b"', 'split.option("premium"');

  it("without a declaration, the plan says it looks like a rename and how to declare it", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", renamed);
    const run = await cli(engine, ["plan"]);
    expect(run.stdout).toContain("+ 679/844/premium");
    expect(run.stdout).toContain('looks like a rename of 679/844/b (same content): declare it with split.moved("b", "premium") or `wfsync state mv 679/844/b 679/844/premium`');
  });

  it("after state mv, 10.2: one Save changes the Key in place, no Delete", async () => {
    const engine = await appliedEngine("10.2");
    const id = (await engine.stateEntries()).get("679/844/b")!.id;
    engine.write("workflows/a.ts", renamed);
    const mv = await cli(engine, ["state", "mv", "679/844/b", "679/844/premium"]);
    expect(mv.code, mv.stderr).toBe(0);
    const plan = await cli(engine, ["plan"]);
    expect(plan.stdout).toContain(`~ 679/844/premium [id ${id}]`);
    expect(plan.stdout).toContain('key: "b" → "premium"');
    expect(plan.stdout).toContain("Plan: 0 to create, 1 to update, 0 to delete");
    const apply = await cli(engine, ["apply", "--auto-approve"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(writes(engine)).toEqual({ save: 1, del: 0, flow: 0 });
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === id)?.Key).toBe("premium");
    await engine.expectConverged();
  });

  it("after state mv, 12 (no Keys on the server): a state-only change, nothing sent", async () => {
    const engine = await appliedEngine("12");
    engine.write("workflows/a.ts", renamed);
    expect((await cli(engine, ["state", "mv", "679/844/b", "679/844/premium"])).code).toBe(0);
    const plan = await cli(engine, ["plan"]);
    expect(plan.stdout).toContain("679/844/premium");
    expect(plan.stdout).toContain("(to be recorded in the state: nothing is sent)");
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 to adopt");
    expect((await cli(engine, ["apply", "--auto-approve"])).code).toBe(0);
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
    expect([...(await engine.stateEntries()).keys()]).toContain("679/844/premium");
    await engine.expectConverged();
  });

  it("state mv refuses another split, an address the state has, and an unknown one", async () => {
    const engine = await appliedEngine();
    // One after the other: each takes the state's lock, and a second one at the same moment
    // would be refused for that (E_STATE_LOCKED) instead of for what is asked.
    const runs = [];
    for (const args of [
      ["679/844/b", "702/910/b"],
      ["679/844/b", "679/844/c"],
      ["679/844/nope", "679/844/new"],
    ]) {
      runs.push(await cli(engine, ["state", "mv", ...args]));
    }
    expect(runs[0]!.stderr).toContain("is in split 702/910, not in 679/844");
    expect(runs[1]!.stderr).toContain("the state already has 679/844/c");
    expect(runs[2]!.stderr).toContain("the state has no option 679/844/nope");
    for (const r of runs) expect(r.code).toBe(1);
    expect([...(await engine.stateEntries()).keys()].sort()).toEqual(["679/844/a", "679/844/b", "679/844/c", "702/910/x", "702/910/y"]);
  });
});

describe("a key renamed in code, declared with split.moved", () => {
  const declared = A.replace('split.option("b"', 'split.option("premium"').replace("wf.split(844, (split) => {\n", 'wf.split(844, (split) => {\n    split.moved("b", "premium");\n');

  it("10.2: one Save changes the Key in place, no Delete; the state entry moves; a second apply sends nothing", async () => {
    const engine = await appliedEngine("10.2");
    const id = (await engine.stateEntries()).get("679/844/b")!.id;
    engine.write("workflows/a.ts", declared);
    const { plan, result } = await engine.apply();
    expectApplied(result);
    expect(plan.changes.filter((c) => c.action !== "noop")).toMatchObject([{ action: "update", id, address: "679/844/premium", movedFrom: "679/844/b", reason: "moved from 679/844/b (split.moved)" }]);
    expect(writes(engine)).toEqual({ save: 1, del: 0, flow: 0 });
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === id)?.Key).toBe("premium");
    const state = await engine.stateEntries();
    expect(state.has("679/844/b")).toBe(false);
    expect(state.get("679/844/premium")?.id).toBe(id);
    await engine.expectConverged();
  });

  it("12: a state-only change, nothing sent", async () => {
    const engine = await appliedEngine("12");
    const id = (await engine.stateEntries()).get("679/844/b")!.id;
    engine.write("workflows/a.ts", declared);
    const { plan, result } = await engine.apply();
    expectApplied(result);
    expect(plan.changes.filter((c) => c.action !== "noop" || c.record)).toMatchObject([{ action: "noop", record: true, movedFrom: "679/844/b" }]);
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
    expect((await engine.stateEntries()).get("679/844/premium")?.id).toBe(id);
    await engine.expectConverged();
  });

  it("a moved declaration that names no option of the split, or one still declared, is an error at its line", async () => {
    const engine = await appliedEngine();
    engine.write("workflows/a.ts", A.replace("wf.split(844, (split) => {\n", 'wf.split(844, (split) => {\n    split.moved("b", "nope");\n    split.moved("a", "c");\n'));
    const message = await engine.plan().then(() => "", (err: Error) => err.message);
    expect(message).toMatch(/workflows\/a\.ts:5:5 - error E_MOVED: split\.moved\("b", "nope"\): this split declares no option "nope"/);
    expect(message).toMatch(/workflows\/a\.ts:6:5 - error E_MOVED: split\.moved\("a", "c"\): option "a" is still declared in this split/);
  });
});

const probe = await probePostgres();

describe.skipIf(!probe.ok)(pgTitle("a database state", probe), () => {
  it("state mv and a saved plan work on a PostgreSQL state as on a file", async () => {
    const admin = await adminClient();
    const url = stateUrl(await testSchema(admin), "team");
    const engine = await startEngine({ files: { "workflows/a.ts": A }, config: { state: url } });
    expectApplied((await engine.apply()).result);
    engine.emu.resetCounters();
    engine.write("workflows/a.ts", A.replace('split.option("b"', 'split.option("premium"'));
    expect((await cli(engine, ["state", "mv", "679/844/b", "679/844/premium"])).code).toBe(0);
    expect((await cli(engine, ["plan", "--out", "p.json"])).code).toBe(0);
    const applied = await cli(engine, ["apply", "p.json", "--auto-approve"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(writes(engine)).toEqual({ save: 1, del: 0, flow: 0 });
    expect((await cli(engine, ["apply", "p.json", "--auto-approve"])).stderr).toContain("the state (another apply, or a state command, since)");
    await engine.expectConverged();
  });
});

describe("destroy", () => {
  it("shows the plan, needs --allow-mass-delete and approval, deletes what wfsync manages and forgets what is gone", async () => {
    const engine = await appliedEngine();
    const stranger = await admin(engine.emu, "POST", "/options", { WorkflowId: 679, WorkflowStepId: 844, Key: "stranger", Name: "Not wfsync's", Rank: 9, Steps: [] });
    expect(stranger.status).toBe(200);
    const goneId = (await engine.stateEntries()).get("702/910/y")!.id;
    expect((await admin(engine.emu, "DELETE", `/options/${goneId}`)).status).toBe(204);
    engine.emu.resetCounters();
    const unapproved = await cli(engine, ["destroy", "--allow-mass-delete"]);
    expect(unapproved.code).toBe(1);
    expect(unapproved.stdout).toContain("- 679/844/a");
    expect(unapproved.stderr).toContain("--auto-approve");
    const unguarded = await cli(engine, ["destroy", "--auto-approve"]);
    expect(unguarded.code).toBe(1);
    expect(unguarded.stderr).toContain("--allow-mass-delete");
    expect(writes(engine)).toEqual({ save: 0, del: 0, flow: 0 });
    const run = await cli(engine, ["destroy", "--auto-approve", "--allow-mass-delete"]);
    expect(run.code, run.stderr).toBe(0);
    expect(writes(engine)).toEqual({ save: 0, del: 4, flow: 0 });
    expect(engine.serverOptions().map((o) => o.Key)).toEqual(["stranger"]);
    expect((await engine.stateEntries()).size).toBe(0);
  });

  it("works with the workflow files gone, and --target destroys only part", async () => {
    const engine = await appliedEngine();
    engine.project.remove("workflows/a.ts");
    engine.project.remove("workflows/b.ts");
    const run = await cli(engine, ["destroy", "--target", "702/910/x", "--auto-approve"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("partial plan: only changes under 702/910/x");
    expect(writes(engine)).toEqual({ save: 0, del: 1, flow: 0 });
    expect([...(await engine.stateEntries()).keys()].sort()).toEqual(["679/844/a", "679/844/b", "679/844/c", "702/910/y"]);
  });
});

describe("--help and the README agree", () => {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  /** The README's command-reference row of `wfsync COMMAND`. */
  const row = (command: string) => readme.split("\n").find((l) => l.startsWith(`| \`wfsync ${command} `) || l.startsWith(`| \`wfsync ${command}\``)) ?? "";
  const ownOptions = (help: string) => [...(help.split("Global Options:")[0] ?? "").matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== "--help");

  it.each(["plan", "apply", "destroy"])("every option of `%s --help` is in its README row", async (command) => {
    const help = await runCli([command, "--help"], { cwd: process.cwd() });
    expect(help.code).toBe(0);
    const options = ownOptions(help.stdout);
    expect(options).toContain("--target");
    expect(options.filter((o) => !row(command).includes(o))).toEqual([]);
  });

  it("apply takes a plan file, state has mv, and both are in the README", async () => {
    const apply = await runCli(["apply", "--help"], { cwd: process.cwd() });
    expect(apply.stdout).toContain("Usage: wfsync apply [options] [plan-file]");
    expect(row("apply")).toContain("`wfsync apply [FILE]");
    const state = await runCli(["state", "--help"], { cwd: process.cwd() });
    expect(state.stdout).toMatch(/^\s+mv <old> <new>/m);
    expect(row("state list")).toContain("mv OLD NEW");
  });
});
