/**
 * The engine's end-to-end properties on both SuperOffice API generations: the 10.2 profile
 * (SaveWorkflowStepOption per option) and the current one (whole-flow SaveEmailFlow, no Key).
 * Each property runs on both; what only the current generation has (unmanaged flow content
 * surviving a whole-flow save) runs on it alone.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { OptionRecord } from "../../src/emulator/index.js";
import { runCli, startCli } from "../helpers/cli.js";
import { admin, expectApplied, manyOptions, seededRandom, startEngine, workflowFile, type Engine, type EngineOptions } from "./harness.js";

type Generation = "10.2" | "12";

const FILES = {
  "workflows/onboarding.ts": workflowFile(679, { 844: [{ key: "vip", name: "VIP customers" }, { key: "rest", name: "Everyone else" }] }),
  "workflows/webinar.ts": workflowFile(702, { 910: [{ key: "attended", name: "Attended" }] }),
};

/** What a split holds on the server, by name (the current generation stores no Key). */
function names(engine: Engine, split: number): string[] {
  return engine
    .serverOptions()
    .filter((o) => o.WorkflowStepId === split)
    .map((o) => o.Name)
    .sort();
}

/** Options that share split and name: more than one is a duplicate on either generation. */
function duplicates(options: readonly OptionRecord[]): string[] {
  const count = new Map<string, number>();
  for (const o of options) count.set(`${o.WorkflowStepId}/${o.Name}`, (count.get(`${o.WorkflowStepId}/${o.Name}`) ?? 0) + 1);
  return [...count].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/** The writes the server saw, whatever the generation calls them. */
function writes(engine: Engine): number {
  const by = engine.emu.counters().byMethod;
  return (by.SaveWorkflowStepOption ?? 0) + (by.DeleteWorkflowStepOption ?? 0) + (by.SaveEmailFlow ?? 0);
}

function start(api: Generation, options: Partial<EngineOptions> = {}): Promise<Engine> {
  return startEngine({ files: FILES, ...options, emulator: { api, ...options.emulator } });
}

describe.each<Generation>(["10.2", "12"])("on the %s API generation", (api) => {
  it("round trip: create, edit, remove; every plan after an apply is empty", async () => {
    const engine = await start(api);
    const first = await engine.apply();
    expect(first.plan.summary).toMatchObject({ create: 3 });
    expectApplied(first.result);
    await engine.expectConverged();
    expect(names(engine, 844)).toEqual(["Everyone else", "VIP customers"]);

    engine.write("workflows/onboarding.ts", workflowFile(679, { 844: [{ key: "vip", name: "VIP, renamed" }, { key: "rest", name: "Everyone else" }, { key: "new", name: "New" }] }));
    engine.write("workflows/webinar.ts", workflowFile(702, { 910: [] }));
    const second = await engine.apply({ allowMassDelete: true });
    expect(second.plan.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`)).toEqual([
      "update 679/844/vip",
      "create 679/844/new",
      "delete 702/910/attended",
    ]);
    expectApplied(second.result);
    await engine.expectConverged();
    expect(names(engine, 844)).toEqual(["Everyone else", "New", "VIP, renamed"]);
    expect(names(engine, 910)).toEqual([]);
  });

  it("drift: a change made on the server is shown and put back", async () => {
    const engine = await start(api);
    expectApplied((await engine.apply()).result);
    const id = engine.serverOptions().find((o) => o.Name === "VIP customers")!.WorkflowStepOptionId;
    expect((await admin(engine.emu, "POST", `/options/${id}`, { Name: "Edited in the web UI" })).status).toBe(200);
    const plan = await engine.plan();
    expect(plan.changes.find((c) => c.address === "679/844/vip")).toMatchObject({ action: "update", id, reason: "changed on the server" });
    expectApplied((await engine.apply()).result);
    expect(names(engine, 844)).toEqual(["Everyone else", "VIP customers"]);
    await engine.expectConverged();
  });

  it("adoption: an option already on the server is taken, never created twice", async () => {
    const engine = await start(api);
    const made = await admin(engine.emu, "POST", "/options", { WorkflowId: 679, WorkflowStepId: 844, Key: "vip", Name: "VIP customers", Rank: 1, Steps: [] });
    expect(made.status).toBe(200);
    const { plan, result } = await engine.apply();
    expect(plan.changes.find((c) => c.address === "679/844/vip")).toMatchObject({ id: made.json.WorkflowStepOptionId, reason: "adopted" });
    expectApplied(result);
    expect(duplicates(engine.serverOptions())).toEqual([]);
    expect(engine.serverOptions()).toHaveLength(3);
    await engine.expectConverged();
  });

  it("throttling and server faults: applied in the end, nothing twice", { timeout: 60_000 }, async () => {
    const engine = await start(api, {
      files: { "workflows/w.ts": workflowFile(679, { 844: manyOptions(8) }), "workflows/v.ts": workflowFile(702, { 910: manyOptions(6, "v") }) },
      config: { maxRetries: 10 },
      emulator: { api, rateLimit: 20, failRate: 0.2, random: seededRandom(11) },
      session: { queueTimings: { baseDelayMs: 5, maxDelayMs: 50, defaultRetryAfterMs: 50 } },
    });
    expectApplied((await engine.apply()).result);
    expect(engine.emu.counters().injectedFailures + engine.emu.counters().rateLimited).toBeGreaterThan(0);
    expect(duplicates(engine.serverOptions())).toEqual([]);
    expect(engine.serverOptions()).toHaveLength(14);
    await engine.expectConverged();
  });

  it("the mass-delete guard holds, and a compile error sends nothing", async () => {
    const engine = await start(api);
    expectApplied((await engine.apply()).result);
    const before = writes(engine);
    engine.write("workflows/onboarding.ts", workflowFile(679, { 844: [] }));
    await expect(engine.apply()).rejects.toMatchObject({ code: "E_MASS_DELETE" });
    engine.write("workflows/onboarding.ts", `import { workflow } from "wfsync";\nexport default workflow(679, (wf) => { wf.split(844, (s) => { s.option("vip", { name: 7 }); }); });\n`);
    await expect(engine.apply()).rejects.toMatchObject({ code: "E_COMPILE" });
    expect(writes(engine)).toBe(before);
    expect(engine.serverOptions()).toHaveLength(3);
  });

  it("kill -9 in the middle of an apply, then again: the exact set, nothing twice", { timeout: 90_000 }, async () => {
    const engine = await start(api, {
      files: {
        "workflows/a.ts": workflowFile(679, { 844: manyOptions(15, "a") }),
        "workflows/b.ts": workflowFile(702, { 910: manyOptions(15, "b") }),
        "workflows/c.ts": workflowFile(733, { 951: manyOptions(15, "c") }),
      },
      config: { concurrency: 2, rate: 1000 },
      emulator: { api, latency: 40 },
    });
    const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    const deadline = Date.now() + 30_000;
    while (writes(engine) < 2 && Date.now() < deadline) await sleep(5);
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    while (engine.emu.counters().inFlight > 0) await sleep(10);
    expect(engine.serverOptions().length).toBeLessThan(45);

    const again = await runCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(duplicates(engine.serverOptions())).toEqual([]);
    expect(engine.serverOptions()).toHaveLength(45);
    await engine.expectConverged();
  });
});

describe("on the current API generation only", () => {
  it("a whole-flow save gives back what wfsync does not manage, as it was when saved", async () => {
    const engine = await start("12");
    const { plan, state } = await (async () => {
      const { planWorkspace } = await import("../../src/workspace/workspace.js");
      return planWorkspace(engine.session, { refresh: true, lock: true, command: "wfsync apply" });
    })();
    // Between plan and apply: the flow is renamed, gets a trigger, and an option by hand.
    expect((await admin(engine.emu, "POST", "/flows/12", { Name: "Onboarding (renamed in the UI)", Triggers: [{ TriggerType: "FormSubmitted", FormId: 3 }] })).status).toBe(200);
    const theirs = await admin(engine.emu, "POST", "/options", { WorkflowId: 679, WorkflowStepId: 844, Name: "Made by hand", Rank: 9, Steps: [] });
    expect(theirs.status).toBe(200);
    try {
      const { applyPlan } = await import("../../src/apply/apply.js");
      expectApplied(await applyPlan(plan, { tenant: engine.session.tenant, state }));
    } finally {
      await state.close();
    }
    const flow = (await admin(engine.emu, "GET", "/flows/12")).json;
    expect(flow.Name).toBe("Onboarding (renamed in the UI)");
    expect(flow.Triggers).toMatchObject([{ TriggerType: "FormSubmitted", FormId: 3 }]);
    expect(names(engine, 844)).toEqual(["Everyone else", "Made by hand", "VIP customers"]);
    expect(engine.emu.counters().byMethod.SaveEmailFlow).toBe(2); // one per flow: 679's two creates went together
    await engine.expectConverged();
  });

  it("a state made on one generation is refused on the other", async () => {
    const engine = await start("12");
    expectApplied((await engine.apply()).result);
    const run = await runCli(["plan", "--api", "10.2"], { cwd: engine.project.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("E_STATE_API");
  });
});
