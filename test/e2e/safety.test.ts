/**
 * Never damage a tenant: a recorded id that now belongs to another option is never claimed; a
 * create that may still land is never sent again; whoever else creates on the tenant (during the
 * confirmation prompt, from another checkout with its own state) never leads to duplicates.
 */
import { describe, expect, it } from "vitest";
import { openSession } from "../../src/cli/session.js";
import { applyPlan } from "../../src/apply/apply.js";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { planWorkspace } from "../../src/workspace/workspace.js";
import { onCleanup } from "../helpers/cleanup.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { makeProject } from "../helpers/tmp-project.js";
import { runCli } from "../helpers/cli.js";
import {
  admin,
  configText,
  duplicateKeys,
  expectApplied,
  expectStateMatchesServer,
  manyOptions,
  startEngine,
  workflowFile,
  type Engine,
} from "./harness.js";


async function outOfBand(engine: Engine, body: Record<string, unknown>): Promise<number> {
  const res = await admin(engine.emu, "POST", "/options", body);
  expect(res.status).toBe(200);
  return res.json.WorkflowStepOptionId as number;
}

describe("ids reused on the server", () => {
  const stranger = { WorkflowId: 702, WorkflowStepId: 910, Key: "stranger", Name: "Not wfsync's", Rank: 1, Steps: [] };

  async function reusedId(): Promise<{ engine: Engine; id: number }> {
    const engine = await startEngine({ files: { "workflows/w.ts": workflowFile(679, { 844: [{ key: "vip", name: "VIP" }] }) } });
    expectApplied((await engine.apply()).result);
    const id = (await engine.stateEntries()).get("679/844/vip")!.id;
    // A sandbox restored from a copy: the data is back to the seed, and the next option the server
    // makes, in another flow, gets the id the state recorded.
    expect((await admin(engine.emu, "POST", "/reset")).status).toBe(200);
    expect(await outOfBand(engine, stranger)).toBe(id);
    return { engine, id };
  }

  it("removing the option from code never deletes the option that now has its id", async () => {
    const { engine, id } = await reusedId();
    engine.write("workflows/w.ts", workflowFile(679, { 844: [] }));
    const { plan, result } = await engine.apply();
    expect(plan.changes).toMatchObject([{ action: "delete", id, alreadyGone: true }]);
    expectApplied(result);
    expect(engine.serverOptions()).toMatchObject([{ WorkflowStepOptionId: id, Key: "stranger", Name: "Not wfsync's", WorkflowStepId: 910 }]);
    expect((await engine.stateEntries()).size).toBe(0);
  });

  it("changing the option in code never overwrites or moves the option that now has its id", async () => {
    const { engine, id } = await reusedId();
    engine.write("workflows/w.ts", workflowFile(679, { 844: [{ key: "vip", name: "VIP, renamed" }] }));
    const { plan, result } = await engine.apply();
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["create 679/844/vip"]);
    expectApplied(result);
    const server = engine.serverOptions();
    expect(server.find((o) => o.WorkflowStepOptionId === id)).toMatchObject({ Key: "stranger", Name: "Not wfsync's", WorkflowStepId: 910 });
    expect(server.find((o) => o.Key === "vip")).toMatchObject({ Name: "VIP, renamed", WorkflowStepId: 844 });
    await engine.expectConverged();
  });
});

describe("a server slower than the client's timeout", () => {
  it("never sends a create again while it may still land; says it does not know; the next run adopts", { timeout: 60_000 }, async () => {
    const engine = await startEngine({
      files: { "workflows/w.ts": workflowFile(679, { 844: manyOptions(12) }) },
      config: { timeoutMs: 1000 },
      session: { queueTimings: { baseDelayMs: 5, maxDelayMs: 20 } },
    });
    // Saves take effect (and are answered) 2.5 s after they arrive; the client gives up after 1 s.
    expect((await admin(engine.emu, "POST", "/faults", { writeDelay: 2500 })).status).toBe(200);
    const { result } = await engine.apply();
    const unknown = result.failed.filter((f) => (f.error as { code?: string }).code === "E_CREATE_UNKNOWN");
    expect(result.applied.length + unknown.length).toBe(12);
    expect(unknown.length).toBeGreaterThan(0);
    expect((unknown[0]!.error as Error).message).toMatch(/^not known whether 679\/844\/o\d+ was created: .* It was not sent again; the next run finds it/);

    // The late saves land; nothing was sent twice.
    await until(() => engine.serverOptions().length >= 12);
    expect(engine.emu.counters().byMethod.SaveWorkflowStepOption).toBe(12);
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    expect(engine.serverOptions()).toHaveLength(12);

    await admin(engine.emu, "POST", "/faults", { writeDelay: 0 });
    expectApplied((await engine.apply()).result);
    expect(engine.serverOptions()).toHaveLength(12);
    expectStateMatchesServer(await engine.stateEntries(), engine.serverOptions());
    await engine.expectConverged();
  });

  it("exits 1 from the CLI, naming what is not known", { timeout: 60_000 }, async () => {
    const engine = await startEngine({ files: { "workflows/w.ts": workflowFile(679, { 844: manyOptions(2) }) }, config: { timeoutMs: 1000, maxRetries: 1 } });
    await admin(engine.emu, "POST", "/faults", { writeDelay: 2500 });
    const run = await runCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed: create 679\/844\/o0 \(workflows\/w\.ts:\d+:\d+\): error E_CREATE_UNKNOWN: not known whether 679\/844\/o0 was created/);
    await until(() => engine.serverOptions().length >= 2);
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
  });
});

describe("someone else creates on the tenant", () => {
  it("an option created with the Key while apply waits for confirmation is adopted, not created twice", async () => {
    const engine = await startEngine({ files: { "workflows/w.ts": workflowFile(679, { 844: [{ key: "vip", name: "VIP" }] }) } });
    const { plan, state } = await planWorkspace(engine.session, { refresh: true, lock: true, command: "wfsync apply" });
    try {
      expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["create 679/844/vip"]);
      // …the user reads the plan; meanwhile a colleague creates the option in the flow editor.
      const theirs = await outOfBand(engine, { WorkflowId: 679, WorkflowStepId: 844, Key: "vip", Name: "VIP (by hand)", Rank: 1, Steps: [] });
      const result = await applyPlan(plan, { tenant: engine.session.tenant, state });
      expectApplied(result);
      expect(engine.serverOptions().map((o) => o.WorkflowStepOptionId)).toEqual([theirs]);
      // Adopted, and given the code's content.
      expect(engine.serverOptions()[0]).toMatchObject({ Name: "VIP" });
    } finally {
      await state.close();
    }
    await engine.expectConverged();
  });

  it("two checkouts with their own state files applying at once leave no duplicate", { timeout: 60_000 }, async () => {
    const files = { "workflows/w.ts": workflowFile(679, { 844: manyOptions(10) }), "workflows/v.ts": workflowFile(702, { 910: manyOptions(6, "v") }) };
    const engine = await startEngine({ files, emulator: { latency: 5 } });
    const second = makeProject({ "sync.config.ts": configText(engine.emu.url), ...files }, "wfsync-second-");
    onCleanup(() => second.cleanup());
    // Both have read every split (to plan, and again just before their creates) before either
    // sends a create: the worst interleaving, made certain.
    let waiting = 0;
    let release!: () => void;
    const bothReady = new Promise<void>((resolve) => (release = resolve));
    const gate = (api: WorkflowApi): WorkflowApi => {
      let arrived = false;
      return {
        ...api,
        saveWorkflowStepOption: async (carrier) => {
          if (!arrived) {
            arrived = true;
            if (++waiting === 2) release();
          }
          await bothReady;
          return api.saveWorkflowStepOption(carrier);
        },
      };
    };
    const other = openSession({ logLevel: "silent" }, { cwd: second.dir, env: { ...EMULATOR_CREDENTIALS }, wrapApi: gate });
    onCleanup(() => other.close());
    const mine = openSession({ logLevel: "silent" }, { cwd: engine.project.dir, env: { ...EMULATOR_CREDENTIALS }, wrapApi: gate });
    onCleanup(() => mine.close());
    const applyWith = async (session: typeof mine) => {
      const { plan, state } = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply" });
      try {
        return await applyPlan(plan, { tenant: session.tenant, state });
      } finally {
        await state.close();
      }
    };
    const results = await Promise.all([applyWith(mine), applyWith(other)]);
    for (const r of results) expectApplied(r);
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    expect(engine.serverOptions()).toHaveLength(16);
    // Both states name the options that remain, so both converge.
    expectStateMatchesServer(await engine.stateEntries(), engine.serverOptions());
    await engine.expectConverged();
    const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: second.dir });
    expect(plan.stdout).toContain("No changes.");
    expect(plan.code).toBe(0);
  });
});

async function until(ready: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
