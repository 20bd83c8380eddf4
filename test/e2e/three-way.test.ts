/**
 * The three-way, field-level comparison end to end: a change made in the flow editor (the
 * emulator's admin route) against the code and the state, under each drift policy, on both API
 * generations. Every scenario ends with the convergence check where the policy allows one.
 */
import { describe, expect, it } from "vitest";
import type { WfsyncConfig } from "../../src/dsl/config.js";
import { WfsyncError } from "../../src/errors.js";
import { driftLeft, type Change } from "../../src/plan/diff.js";
import { planToJson, renderPlan } from "../../src/plan/render.js";
import type { ApiGeneration as Generation } from "../../src/emulator/index.js";
import { admin, expectApplied, startEngine, workflowFile, type Engine } from "./harness.js";

const FILE = "workflows/w.ts";
const code = (a: { name?: string; selection?: number } = {}) =>
  workflowFile(679, {
    844: [
      { key: "a", name: a.name ?? "Option a", body: `p.addToList({ selection: ${a.selection ?? 1} });` },
      { key: "b", name: "Option b", body: `p.sendEmail({ shipmentId: 2, subject: "Hi" });` },
    ],
  });

function start(api: Generation, drift?: WfsyncConfig["drift"]): Promise<Engine> {
  return startEngine({ files: { [FILE]: code() }, emulator: { api }, ...(drift ? { config: { drift } } : {}) });
}

function optionA(engine: Engine) {
  const found = engine.serverOptions().filter((o) => o.WorkflowStepId === 844 && (o.Name === "Option a" || o.Name.startsWith("UI") || o.Name.startsWith("Code")));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The selection of option a's AddToList step on the server. */
function selectionOnServer(engine: Engine): unknown {
  return (optionA(engine).Steps[0] as unknown as { Selection?: unknown }).Selection;
}

function writes(engine: Engine): number {
  const by = engine.emu.counters().byMethod;
  return (by.SaveWorkflowStepOption ?? 0) + (by.DeleteWorkflowStepOption ?? 0) + (by.SaveEmailFlow ?? 0);
}

async function editInTheUi(engine: Engine, body: Record<string, unknown>): Promise<number> {
  const id = optionA(engine).WorkflowStepOptionId;
  expect((await admin(engine.emu, "POST", `/options/${id}`, body)).status).toBe(200);
  return id;
}

const changeOfA = (changes: readonly Change[]) => changes.find((c) => c.address === "679/844/a");

describe.each<Generation>(["10.2", "12"])("three-way comparison on the %s API generation", (api) => {
  it("report: a UI edit of a field the code did not change is shown, with the three values and the source line, and nothing is sent", async () => {
    const engine = await start(api, "report");
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });

    const plan = await engine.plan();
    const c = changeOfA(plan.changes)!;
    expect(c).toMatchObject({ action: "noop", record: false, fields: [{ field: "name", kind: "drift", base: "Option a", code: "Option a", server: "UI name", outcome: "kept" }] });
    expect(driftLeft(plan).map((x) => x.address)).toEqual(["679/844/a"]);
    const text = renderPlan(plan, { color: false });
    expect(text).toContain('name: changed on the server "Option a" → "UI name" — left as it is (drift policy report)');
    expect(text).toMatch(/679\/844\/a .*workflows\/w\.ts:\d+:\d+/);
    expect(text).toContain("1 changed on the server (drift policy report: left as it is)");
    const json = planToJson(plan) as { changes: { address: string; source: string; fields?: unknown[] }[]; drifted: number; driftPolicy: string };
    expect(json.changes.find((x) => x.address === "679/844/a")).toMatchObject({ source: expect.stringMatching(/^workflows\/w\.ts:\d+:\d+$/), fields: [{ field: "name", kind: "drift" }] });
    expect(json).toMatchObject({ drifted: 1, driftPolicy: "report" });

    const before = writes(engine);
    const { result } = await engine.apply();
    expectApplied(result);
    expect(result.applied).toEqual([]);
    expect(writes(engine)).toBe(before);
    expect(optionA(engine).Name).toBe("UI name");
    // Still drift, still shown: report never records it.
    expect(driftLeft(await engine.plan()).map((x) => x.address)).toEqual(["679/844/a"]);
  });

  it("revert: the same UI edit is put back", async () => {
    const engine = await start(api, "revert");
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });
    const plan = await engine.plan();
    expect(changeOfA(plan.changes)).toMatchObject({ action: "update", reason: "changed on the server", fields: [{ field: "name", kind: "drift", outcome: "sent" }] });
    expectApplied((await engine.apply()).result);
    expect(optionA(engine).Name).toBe("Option a");
    await engine.expectConverged();
  });

  it("adopt: the UI edit is recorded in the state, nothing is sent, and later code changes of other fields keep it", async () => {
    const engine = await start(api, "adopt");
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });
    const before = writes(engine);
    const { plan, result } = await engine.apply();
    expect(changeOfA(plan.changes)).toMatchObject({ action: "noop", record: true, fields: [{ field: "name", kind: "drift", outcome: "adopted" }] });
    expectApplied(result);
    expect(writes(engine)).toBe(before);
    const entry = (await engine.stateEntries()).get("679/844/a")!;
    expect(entry.option.name).toBe("UI name");
    expect(entry.code?.name).toBe("Option a");
    await engine.expectConverged();
    const behind = await engine.plan();
    expect(changeOfA(behind.changes)).toMatchObject({ action: "noop", record: false, fields: [{ field: "name", kind: "behind", code: "Option a", server: "UI name" }] });
    expect(renderPlan(behind, { color: false })).toContain('name: the code says "Option a", the server "UI name" — adopted from the server earlier; change the code to match (nothing is sent)');

    // The code changes another field: the server's name stays, the code's step goes out.
    engine.write(FILE, code({ selection: 5 }));
    const next = await engine.apply();
    expect(changeOfA(next.plan.changes)).toMatchObject({
      action: "update",
      fields: [
        { field: "name", kind: "behind" },
        { field: "steps", kind: "update", outcome: "sent" },
      ],
    });
    expectApplied(next.result);
    expect(optionA(engine).Name).toBe("UI name");
    expect(selectionOnServer(engine)).toBe(5);
    await engine.expectConverged();
  });

  it("the same field changed on both sides is a conflict: nothing is sent without a choice; --prefer code sends the code's", async () => {
    const engine = await start(api);
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });
    engine.write(FILE, code({ name: "Code name" }));

    const plan = await engine.plan();
    expect(changeOfA(plan.changes)).toMatchObject({ action: "conflict", fields: [{ field: "name", kind: "conflict", base: "Option a", code: "Code name", server: "UI name", outcome: "held" }] });
    expect(renderPlan(plan, { color: false })).toContain('! name: was "Option a", code "Code name", server "UI name" — nothing is sent without a choice');
    const before = writes(engine);
    const refused = await engine.apply().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WfsyncError);
    expect((refused as WfsyncError).code).toBe("E_CONFLICT");
    expect((refused as WfsyncError).message).toMatch(/--prefer code/);
    expect(writes(engine)).toBe(before);
    expect(optionA(engine).Name).toBe("UI name");

    const chosen = await engine.apply({ preferCode: true });
    expect(changeOfA(chosen.plan.changes)).toMatchObject({ action: "update", fields: [{ field: "name", kind: "conflict", outcome: "sent" }] });
    expectApplied(chosen.result);
    expect(optionA(engine).Name).toBe("Code name");
    await engine.expectConverged();
  });

  it("a conflict taken the server's way with --refresh-only: the state takes the server's value, nothing is sent", async () => {
    const engine = await start(api);
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });
    engine.write(FILE, code({ name: "Code name" }));
    const before = writes(engine);
    const { plan, result } = await engine.apply({ refreshOnly: true });
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["noop 679/844/a"]);
    expectApplied(result);
    expect(writes(engine)).toBe(before);
    expect((await engine.stateEntries()).get("679/844/a")?.option.name).toBe("UI name");
    expect(optionA(engine).Name).toBe("UI name");
    // The server's value stands until the code changes that field again.
    await engine.expectConverged();
  });

  it("different fields changed on each side: both kept (the server's name, the code's step)", async () => {
    const engine = await start(api, "report");
    expectApplied((await engine.apply()).result);
    await editInTheUi(engine, { Name: "UI name" });
    engine.write(FILE, code({ selection: 7 }));

    const { plan, result } = await engine.apply();
    expect(changeOfA(plan.changes)).toMatchObject({
      action: "update",
      fields: [
        { field: "name", kind: "drift", outcome: "kept" },
        { field: "steps", kind: "update", outcome: "sent" },
      ],
    });
    expectApplied(result);
    expect(optionA(engine).Name).toBe("UI name");
    expect(selectionOnServer(engine)).toBe(7);
    // Report keeps showing the name until someone chooses; the steps are done.
    const again = await engine.plan();
    expect(changeOfA(again.changes)).toMatchObject({ action: "noop", record: false, fields: [{ field: "name", kind: "drift" }] });
  });

  it("report: an option deleted in the flow editor is shown and not re-created", async () => {
    const engine = await start(api, "report");
    expectApplied((await engine.apply()).result);
    const id = optionA(engine).WorkflowStepOptionId;
    expect((await admin(engine.emu, "DELETE", `/options/${id}`)).status).toBe(204);
    const before = writes(engine);
    const { plan, result } = await engine.apply();
    expect(changeOfA(plan.changes)).toMatchObject({ action: "create", reason: "gone from the server", held: expect.stringMatching(/^drift policy report: not re-created/) });
    expect(driftLeft(plan).map((c) => c.address)).toEqual(["679/844/a"]);
    expect(plan.summary).toMatchObject({ create: 0, drift: 1 });
    expectApplied(result);
    expect(result.applied).toEqual([]);
    expect(writes(engine)).toBe(before);
    expect(engine.serverOptions().filter((o) => o.WorkflowStepId === 844)).toHaveLength(1);
    // Under revert (the default of apply) it is created again: test/e2e/drift.test.ts.
  });
});
