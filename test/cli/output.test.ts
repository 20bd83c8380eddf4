/**
 * Output to build on, through the built CLI against the emulator: the NDJSON event stream of
 * `apply --json=stream` (each line parses, counts match the summary), GitHub Actions annotations
 * and step summaries, `plan --format markdown`, the compact plan, and the exit code of a plan
 * whose only change is an option already gone from the server.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { admin, manyOptions, startEngine, startProxy, workflowFile, type Engine } from "../e2e/harness.js";

const cli = (engine: Engine, args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { cwd: engine.project.dir, env: { ...EMULATOR_CREDENTIALS, GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined, ...env } });

interface Event {
  type: string;
  time: string;
  [field: string]: unknown;
}

/** Every stdout line is one JSON event with a type and an ISO time. */
function parseEvents(stdout: string): Event[] {
  const lines = stdout.split("\n");
  expect(lines.pop()).toBe("");
  return lines.map((line) => {
    const e = JSON.parse(line) as Event;
    expect(typeof e.type).toBe("string");
    expect(new Date(e.time).toISOString()).toBe(e.time);
    return e;
  });
}

function countDone(events: readonly Event[]): Record<string, number> {
  const n: Record<string, number> = { applied: 0, failed: 0, cancelled: 0 };
  for (const e of events) if (e.type === "operation_done") n[e.result as string]! += 1;
  return n;
}

describe("apply --json=stream", () => {
  it("streams plan, operation and summary events whose counts match the summary, throttling included", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(6) }) }, emulator: { rateLimit: 3 } });
    const run = await cli(engine, ["apply", "--auto-approve", "--json=stream"]);
    expect(run.code, run.stderr).toBe(0);
    const events = parseEvents(run.stdout);
    expect(events[0]).toMatchObject({ type: "plan", format_version: 1, api: "10.2", summary: { create: 6 } });
    const summary = events.at(-1)!;
    expect(summary).toMatchObject({ type: "summary", applied: 6, failed: 0, cancelled: 0, stopped: null });
    expect(countDone(events)).toEqual({ applied: summary.applied, failed: summary.failed, cancelled: summary.cancelled });
    // Every operation started before it was done, and was done once.
    const done = events.filter((e) => e.type === "operation_done");
    for (const d of done) {
      const started = events.findIndex((e) => e.type === "operation_started" && e.address === d.address);
      expect(started).toBeGreaterThan(0);
      expect(started).toBeLessThan(events.indexOf(d));
      expect(d).toMatchObject({ action: "create", result: "applied" });
      expect(d.id).toBe(engine.serverOptions().find((o) => `679/844/${o.Key}` === d.address)!.WorkflowStepOptionId);
    }
    expect(new Set(done.map((d) => d.address)).size).toBe(6);
    // 6 creates and the reads around them at 3 requests/s: the server said 429 at least once.
    expect(events.some((e) => e.type === "throttled" && typeof e.waitMs === "number")).toBe(true);
  });

  it("a failed operation is an operation_done with result failed and the message; the summary counts it", async () => {
    const engine = await startEngine({
      files: { "workflows/a.ts": workflowFile(679, { 844: [{ key: "a" }, { key: "b" }, { key: "c" }] }) },
      config: { maxRetries: 0, timeoutMs: 2000 },
      via: (url) => startProxy(url, { loseAnswer: (p) => /DeleteWorkflowStepOption/i.test(p) }),
    });
    expect((await cli(engine, ["apply", "--auto-approve"])).code).toBe(0);
    engine.write("workflows/a.ts", workflowFile(679, { 844: [{ key: "a", name: "Renamed" }, { key: "b" }] }));
    const run = await cli(engine, ["apply", "--auto-approve", "--json=stream"]);
    const events = parseEvents(run.stdout);
    const summary = events.at(-1)!;
    expect(summary.type).toBe("summary");
    expect(countDone(events)).toEqual({ applied: summary.applied, failed: summary.failed, cancelled: summary.cancelled });
    expect(summary.failed).toBe(1);
    expect(run.code).toBe(1);
    expect(events.find((e) => e.type === "operation_done" && e.result === "failed")).toMatchObject({ address: "679/844/c", action: "delete", code: expect.any(String), message: expect.any(String) });
  });

  it("--json stays one document; a compile error ends the stream with an error event", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: [{ key: "a" }] }) } });
    const one = await cli(engine, ["apply", "--auto-approve", "--json"]);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ format_version: 1, result: { applied: 1, operations: [{ address: "679/844/a", action: "create", result: "applied" }] } });
    engine.write("workflows/a.ts", 'import { workflow } from "wfsync";\nexport default workflow(679, (wf) => wf.split(844, (s) => s.option("a", { name: 5 })));\n');
    const broken = await cli(engine, ["apply", "--auto-approve", "--json=stream"]);
    expect(broken.code).toBe(1);
    const [error] = parseEvents(broken.stdout);
    expect(error).toMatchObject({ type: "error", code: "E_COMPILE", problems: [{ location: expect.stringMatching(/^workflows\/a\.ts:2:\d+$/) }] });
    const bad = await cli(engine, ["apply", "--json=lines"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--json=stream");
  });
});

const TYPE_ERROR = [
  'import { workflow } from "wfsync";',
  "export default workflow(679, (wf) =>",
  '  wf.split(844, (s) => s.option("a", { name: "A" }, (p) => p.waitForTime({ numIntervals: 2, intervalType: "Dayz" }))),',
  ");",
  "",
].join("\n");

describe("GitHub Actions", () => {
  it("a type error is also an ::error annotation at its file, line and column (validate, plan, apply), relative to the repository", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": TYPE_ERROR } });
    const col = TYPE_ERROR.split("\n")[2]!.indexOf("intervalType") + 1;
    const repo = path.dirname(engine.project.dir);
    const inRepo = `${path.basename(engine.project.dir)}/workflows/a.ts`;
    for (const args of [["validate"], ["plan"], ["apply", "--auto-approve"]]) {
      const run = await cli(engine, args, { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: repo });
      expect(run.code).toBe(1);
      const annotations = run.stderr.split("\n").filter((l) => l.startsWith("::error "));
      expect(annotations, `${args.join(" ")}: ${run.stderr}`).toHaveLength(1);
      expect(annotations[0]).toMatch(new RegExp(`^::error file=${inRepo.replace(/[.]/g, "\\.")},line=3,col=${col},title=wfsync TS2322::Type '"Dayz"' is not assignable`));
      // The readable error is still there, and nothing goes to stdout.
      expect(run.stderr).toContain(`workflows/a.ts:3:${col} - error TS2322`);
    }
    const elsewhere = await cli(engine, ["validate"]);
    expect(elsewhere.stderr).not.toContain("::error");
  });

  it("plan and apply append a Markdown summary to $GITHUB_STEP_SUMMARY; plan --format markdown prints it", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: [{ key: "vip", name: "VIP | gold" }, { key: "b" }] }) } });
    const summaryFile = engine.project.path("step-summary.md");
    fs.writeFileSync(summaryFile, "# earlier step\n");
    const secret = "s3cret-pw-4711";
    expect((await admin(engine.emu, "POST", "/credentials", { username: "wfsync", password: secret })).status).toBe(200);
    const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile, WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: secret };
    const md = await cli(engine, ["plan", "--format", "markdown"], env);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(`### wfsync plan: http://127\\.0\\.0\\.1:${new URL(engine.emu.url).port}`);
    expect(md.stdout).toContain("**Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.**");
    expect(md.stdout).toContain("| ➕ create | 679/844 | `vip` | VIP \\| gold | `workflows/a.ts:5:5` |");
    const applied = await cli(engine, ["apply", "--auto-approve"], env);
    expect(applied.code, applied.stderr).toBe(0);
    const written = fs.readFileSync(summaryFile, "utf8");
    expect(written.startsWith("# earlier step\n")).toBe(true);
    expect(written.split("### wfsync plan:")).toHaveLength(3);
    expect(written).toContain(md.stdout);
    expect(written).toContain("**Apply: 2 applied, 0 failed in");
    expect(written).not.toContain(secret);
    const both = await cli(engine, ["plan", "--json", "--format", "markdown"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--json and --format markdown disagree");
  });
});

describe("readable at scale", () => {
  it("a plan above 50 changes is compact, grouped by split with counts; --diff gives full detail, --compact forces it", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(51) }) } });
    const run = await cli(engine, ["plan"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("split 679/844  +51\n");
    expect(run.stdout).toContain('  + 679/844/o0  "Option o0"  (workflows/a.ts:5:5)\n');
    expect(run.stdout).toContain('  + 679/844/o50  "Option o50"  (workflows/a.ts:155:5)\n');
    expect(run.stdout).not.toContain("steps:");
    expect(run.stdout).toContain("Plan: 51 to create, 0 to update, 0 to delete, 0 unchanged.");
    const full = await cli(engine, ["plan", "--diff"]);
    expect(full.stdout).toContain("steps:");
    expect(full.stdout).not.toContain("split 679/844");

    engine.write("workflows/a.ts", workflowFile(679, { 844: manyOptions(2) }));
    expect((await cli(engine, ["plan"])).stdout).toContain("steps:");
    const forced = await cli(engine, ["plan", "--compact"]);
    expect(forced.stdout).toContain("split 679/844  +2\n");
    expect(forced.stdout).not.toContain("steps:");
  });
});

describe("an option already gone from the server", () => {
  it("is no change for --detailed-exitcode (as the summary says); apply forgets its state entry", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: [{ key: "a" }, { key: "b" }, { key: "c" }] }) } });
    expect((await cli(engine, ["apply", "--auto-approve"])).code).toBe(0);
    const c = engine.serverOptions().find((o) => o.Key === "c")!;
    expect((await admin(engine.emu, "DELETE", `/options/${c.WorkflowStepOptionId}`)).status).toBe(204);
    engine.write("workflows/a.ts", workflowFile(679, { 844: [{ key: "a" }, { key: "b" }] }));

    const plan = await cli(engine, ["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged.");
    const json = JSON.parse((await cli(engine, ["plan", "--json", "--detailed-exitcode"])).stdout) as { summary: Record<string, number>; changes: Record<string, unknown>[] };
    expect(json.summary).toMatchObject({ delete: 0, noop: 3 });
    expect(json.changes.find((x) => x.address === "679/844/c")).toMatchObject({ action: "noop" });

    expect(plan.stdout).toContain("(to be forgotten in the state: nothing is sent)");
    expect(plan.stdout).not.toContain("Destructive changes:");
    const apply = await cli(engine, ["apply"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Forgot 1 option already gone from the server (in the state only; nothing was sent).");
    expect([...(await engine.stateEntries()).keys()].sort()).toEqual(["679/844/a", "679/844/b"]);
    const after = await cli(engine, ["plan"]);
    expect(after.stdout).toContain("No changes.");
  });
});
