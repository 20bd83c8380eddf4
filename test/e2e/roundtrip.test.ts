/**
 * Create, update and delete round trips against the emulator, each followed by the convergence
 * check; rank changes, key renames, and step ids that survive an update.
 */
import { describe, expect, it } from "vitest";
import type { OptionRecord, StepRecord } from "../../src/emulator/index.js";
import { duplicateKeys, expectApplied, expectStateMatchesServer, startEngine, workflowFile, type Engine, type OptionSpec } from "./harness.js";

const VIP_BODY = `p.addToList({ selection: 12 });
      p.waitForTime({ numIntervals: 2, intervalType: "Days" });
      p.split((inner) => {
        inner.option("hot", { name: "Asked for a demo" }, (q) => q.createRequest({ title: "Demo" }));
        inner.option("rest", { name: "Everyone else" }, (q) => q.waitForAction());
      });
      p.sendEmail({ shipmentId: 3, subject: "Welcome" });`;

function onboarding(overrides: { vip?: Partial<OptionSpec>; extra?: OptionSpec[] } = {}): string {
  return workflowFile(679, {
    844: [
      { key: "vip", name: "VIP customers", body: VIP_BODY, ...overrides.vip },
      { key: "everyone-else", name: "Everyone else", body: `p.sendEmail({ shipmentId: 4, subject: "Hello" });` },
      ...(overrides.extra ?? []),
    ],
  });
}

const WEBINAR = workflowFile(702, { 910: [{ key: "attended", name: "Attended", body: `p.notifyByEmail();` }] });

function byKey(engine: Engine, key: string): OptionRecord {
  const found = engine.serverOptions().filter((o) => o.Key === key);
  expect(found, `options with key ${key}`).toHaveLength(1);
  return found[0]!;
}

/** Every step id in the option's tree, in order, with nested options' ids. */
function treeIds(steps: readonly StepRecord[]): string[] {
  return steps.flatMap((s) => [
    `${s.StepType}#${s.WorkflowStepId}`,
    ...(s.Options ?? []).flatMap((o) => [`option ${o.Key}#${o.WorkflowStepOptionId}`, ...treeIds(o.Steps)]),
  ]);
}

describe("round trips", () => {
  it("creates, updates (name, rank, steps, nested split) and deletes; each apply converges", async () => {
    const engine = await startEngine({ files: { "workflows/onboarding.ts": onboarding(), "workflows/webinar.ts": WEBINAR } });

    // Create.
    const created = await engine.apply();
    expect(created.plan.summary).toMatchObject({ create: 3, update: 0, delete: 0 });
    expectApplied(created.result);
    await engine.expectConverged();
    const vip = byKey(engine, "vip");
    expect(vip).toMatchObject({ WorkflowId: 679, WorkflowStepId: 844, Name: "VIP customers", Rank: 1 });
    expect(vip.Steps.map((s) => s.StepType)).toEqual(["AddToList", "WaitForTime", "Split", "SendEmail"]);
    expect(vip.Steps[2]!.Options!.map((o) => [o.Key, o.Name, o.Steps[0]!.StepType])).toEqual([
      ["hot", "Asked for a demo", "CreateRequest"],
      ["rest", "Everyone else", "WaitForAction"],
    ]);
    expect(byKey(engine, "everyone-else").Rank).toBe(2);
    expectStateMatchesServer(await engine.stateEntries(), engine.serverOptions());

    // Update: name, rank (swapped with the other option) and a step inside the nested split.
    engine.write(
      "workflows/onboarding.ts",
      onboarding({ vip: { name: "VIP and key accounts", rank: 3, body: VIP_BODY.replace('title: "Demo"', 'title: "Book a demo"') } }),
    );
    const plan = await engine.plan();
    const update = plan.changes.find((c) => c.address === "679/844/vip");
    expect(update).toMatchObject({ action: "update", id: vip.WorkflowStepOptionId });
    expect(plan.summary).toMatchObject({ create: 0, update: 1, delete: 0 });
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    const updated = byKey(engine, "vip");
    expect(updated).toMatchObject({ WorkflowStepOptionId: vip.WorkflowStepOptionId, Name: "VIP and key accounts", Rank: 3 });
    expect(updated.Steps[2]!.Options![0]!.Steps[0]).toMatchObject({ StepType: "CreateRequest", Title: "Book a demo" });

    // Delete one option of three in the split (not a mass delete).
    engine.write("workflows/onboarding.ts", onboarding({ extra: [{ key: "late", name: "Late joiners" }] }));
    expectApplied((await engine.apply()).result);
    expect(engine.serverOptions().filter((o) => o.WorkflowStepId === 844)).toHaveLength(3);
    engine.write("workflows/onboarding.ts", onboarding());
    const removal = await engine.apply();
    expect(removal.plan.summary).toMatchObject({ create: 0, delete: 1 });
    expect(removal.plan.changes.find((c) => c.action === "delete")).toMatchObject({ address: "679/844/late" });
    expectApplied(removal.result);
    await engine.expectConverged();
    expect(engine.serverOptions().map((o) => o.Key).sort()).toEqual(["attended", "everyone-else", "vip"]);
    const entries = await engine.stateEntries();
    expect([...entries.keys()].sort()).toEqual(["679/844/everyone-else", "679/844/vip", "702/910/attended"]);
    expectStateMatchesServer(entries, engine.serverOptions());
  });

  it("changes ranks of options", async () => {
    const engine = await startEngine({
      files: { "workflows/w.ts": workflowFile(679, { 844: [{ key: "a", rank: 1 }, { key: "b", rank: 2 }, { key: "c", rank: 3 }] }) },
    });
    expectApplied((await engine.apply()).result);
    engine.write("workflows/w.ts", workflowFile(679, { 844: [{ key: "a", rank: 3 }, { key: "b", rank: 1 }, { key: "c", rank: 2 }] }));
    const { plan, result } = await engine.apply();
    expect(plan.summary).toMatchObject({ update: 3 });
    expectApplied(result);
    await engine.expectConverged();
    expect(engine.serverOptions().sort((x, y) => x.Rank - y.Rank).map((o) => o.Key)).toEqual(["b", "c", "a"]);
  });

  it("treats a renamed key as a delete of the old option and a create of the new one", async () => {
    const engine = await startEngine({ files: { "workflows/onboarding.ts": onboarding() } });
    expectApplied((await engine.apply()).result);
    const old = byKey(engine, "vip");
    engine.write("workflows/onboarding.ts", onboarding({ vip: { key: "vip-customers" } }));
    const { plan, result } = await engine.apply();
    expect(plan.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`).sort()).toEqual([
      "create 679/844/vip-customers",
      "delete 679/844/vip",
    ]);
    expectApplied(result);
    await engine.expectConverged();
    expect(engine.serverOptions().some((o) => o.WorkflowStepOptionId === old.WorkflowStepOptionId)).toBe(false);
    expect(byKey(engine, "vip-customers").Name).toBe("VIP customers");
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    expect([...(await engine.stateEntries()).keys()].sort()).toEqual(["679/844/everyone-else", "679/844/vip-customers"]);
  });

  it("keeps the server's step ids (and nested option ids) on an update", async () => {
    const engine = await startEngine({ files: { "workflows/onboarding.ts": onboarding() } });
    expectApplied((await engine.apply()).result);
    const before = treeIds(byKey(engine, "vip").Steps);

    // Only the name changes: every step and nested option keeps its id.
    engine.write("workflows/onboarding.ts", onboarding({ vip: { name: "Renamed" } }));
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    expect(treeIds(byKey(engine, "vip").Steps)).toEqual(before);

    // One field of the second step changes: the first step (unchanged) keeps its id, and so do
    // the steps after it.
    engine.write("workflows/onboarding.ts", onboarding({ vip: { name: "Renamed", body: VIP_BODY.replace("numIntervals: 2", "numIntervals: 5") } }));
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    const after = byKey(engine, "vip");
    expect(after.Steps[1]).toMatchObject({ StepType: "WaitForTime", NumIntervals: 5 });
    expect(treeIds(after.Steps)).toEqual(before);

    // A nested option added first: the nested options already there keep theirs (matched by Key).
    const withNew = VIP_BODY.replace("p.split((inner) => {", 'p.split((inner) => {\n        inner.option("new", { name: "New" });');
    engine.write("workflows/onboarding.ts", onboarding({ vip: { name: "Renamed", body: withNew.replace("numIntervals: 2", "numIntervals: 5") } }));
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    const nested = byKey(engine, "vip").Steps[2]!.Options!;
    expect(nested.map((o) => o.Key)).toEqual(["new", "hot", "rest"]);
    expect(treeIds(byKey(engine, "vip").Steps).filter((id) => !id.startsWith("option new"))).toEqual(before);
  });
});

describe("every step type", () => {
  it("round-trips every step type with every field set, and converges", async () => {
    const body = `p.none();
      p.sendEmail({ shipmentId: 3, subject: "Ünïcode — \\"quoted\\" subject", attachments: [101, 7] });
      p.sendSMS();
      p.waitForTime({ numIntervals: 3, intervalType: "WorkingDays" });
      p.waitForTime({ until: "[DT:12/15/2026 09:00:00]" });
      p.waitForTime({ timeWaitAlgorithm: "UntilDateField" });
      p.waitForAction();
      p.updateContact();
      p.updateParticipant();
      p.addToList({ selection: 12, project: 4 });
      p.removeFromList({ selection: 13, project: 5 });
      p.createRequest({ title: "T", message: "M\\nline 2", category: 1, priority: 2, owner: 3, requestType: 4, status: 5 });
      p.createFollowUp({
        title: "Call", agenda: "A", assignTo: 7, availability: "Busy", completed: true, duration: 30, followUpType: 2,
        project: 9, workflowActionTime: 2, workflowActionTimeUnit: "Hours", workflowActionType: "X", workflowOwnerType: "Y",
      });
      p.createSale();
      p.notifyByEmail();
      p.notifyBySMS();
      p.runScript();
      p.split((inner) => {
        inner.option("deep", { name: "Deep", rank: 2 }, (q) => q.split((innermost) => innermost.option("deeper", { name: "Deeper" }, (r) => r.runScript())));
        inner.option("shallow", { name: "Shallow", rank: 1 });
      });`;
    const engine = await startEngine({ files: { "workflows/all.ts": workflowFile(679, { 844: [{ key: "all", name: "Every step", body }] }) } });
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    const steps = byKey(engine, "all").Steps;
    expect(steps.map((s) => s.StepType)).toHaveLength(18);
    expect(steps[1]).toMatchObject({ Subject: 'Ünïcode — "quoted" subject', Attachments: [101, 7] });
    expect(steps[12]).toMatchObject({ Completed: true, WorkflowActionTimeUnit: "Hours" });
  });
});
