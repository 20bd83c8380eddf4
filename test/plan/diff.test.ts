import { describe, expect, it } from "vitest";
import type { DesiredOption } from "../../src/compile/validate.js";
import { canonicalOption, hashOption, optionAddress, type OptionModel } from "../../src/model/option.js";
import { liveOption, unreadableOption, type LiveOption } from "../../src/model/live.js";
import { diffModels, isEmptyPlan } from "../../src/plan/diff.js";
import type { StateEntry } from "../../src/state/format.js";
import { planToJson, renderPlan } from "../../src/plan/render.js";

function option(key: string, name = key.toUpperCase(), extra: Partial<{ rank: number; split: number; subject: string }> = {}): OptionModel {
  return canonicalOption({
    workflowId: 679,
    workflowStepId: extra.split ?? 844,
    key,
    name,
    rank: extra.rank ?? 1,
    steps: [{ stepType: "SendEmail", shipmentId: 3, subject: extra.subject ?? "Welcome" }],
  });
}

function desired(...options: OptionModel[]): Map<string, DesiredOption> {
  return new Map(
    options.map((o, i) => [
      optionAddress(o),
      { address: optionAddress(o), option: o, hash: hashOption(o), source: { file: "workflows/a.ts", line: 3 + i, column: 5 }, file: "/p/workflows/a.ts" },
    ]),
  );
}

function applied(entries: [OptionModel, number][]): Map<string, StateEntry> {
  return new Map(entries.map(([o, id]) => [optionAddress(o), { id, hash: hashOption(o), option: o, server: {}, source: { file: "workflows/a.ts", line: 3, column: 5 }, appliedAt: "2026-01-01T00:00:00.000Z" }]));
}

function live(...entries: [OptionModel, number][]): Map<string, LiveOption[]> {
  const map = new Map<string, LiveOption[]>();
  for (const [o, id] of entries) {
    const ref = `${o.workflowId}/${o.workflowStepId}`;
    map.set(ref, [...(map.get(ref) ?? []), liveOption(id, o, { WorkflowStepOptionId: id })]);
  }
  return map;
}

const base = { massDeleteShare: 0.5 };

describe("diffModels", () => {
  it("creates what code has and nobody applied", () => {
    const plan = diffModels({ ...base, desired: desired(option("vip")), applied: new Map(), live: new Map([["679/844", []]]) });
    expect(plan.changes.map((c) => [c.action, c.address, c.source])).toEqual([["create", "679/844/vip", { file: "workflows/a.ts", line: 3, column: 5 }]]);
    expect(plan.summary).toMatchObject({ create: 1, update: 0, delete: 0, noop: 0 });
  });

  it("is empty when code, state and server agree", () => {
    const o = option("vip");
    const plan = diffModels({ ...base, desired: desired(o), applied: applied([[o, 10]]), live: live([o, 10]) });
    expect(isEmptyPlan(plan)).toBe(true);
    expect(renderPlan(plan, { color: false })).toContain("No changes.");
  });

  it("updates a changed option and shows field and step changes", () => {
    const before = option("vip", "VIP");
    const after = option("vip", "VIP customers", { subject: "Hello" });
    const plan = diffModels({ ...base, desired: desired(after), applied: applied([[before, 10]]), live: live([before, 10]) });
    expect(plan.changes[0]).toMatchObject({ action: "update", id: 10 });
    const text = renderPlan(plan, { color: false });
    expect(text).toContain('name: "VIP" → "VIP customers"');
    expect(text).toMatch(/-\s+1\. SendEmail .*subject="Welcome"/);
    expect(text).toMatch(/\+\s+1\. SendEmail .*subject="Hello"/);
    expect(text).toContain("workflows/a.ts:3:5");
  });

  it("restores an option changed on the server (drift) and says so", () => {
    const o = option("vip");
    const drifted = option("vip", "Renamed in the UI");
    const plan = diffModels({ ...base, desired: desired(o), applied: applied([[o, 10]]), live: live([drifted, 10]) });
    expect(plan.changes[0]).toMatchObject({ action: "update", id: 10, reason: "changed on the server" });
  });

  it("re-creates an option deleted on the server", () => {
    const o = option("vip");
    const plan = diffModels({ ...base, desired: desired(o), applied: applied([[o, 10]]), live: new Map([["679/844", []]]) });
    expect(plan.changes[0]).toMatchObject({ action: "create", reason: "gone from the server" });
  });

  it("adopts by Key an option gone under its recorded id (a re-create whose state write was lost)", () => {
    const o = option("vip");
    const plan = diffModels({ ...base, desired: desired(o), applied: applied([[o, 10]]), live: live([o, 11]) });
    expect(plan.changes[0]).toMatchObject({ action: "noop", id: 11, record: true, reason: "gone under id 10; adopted by Key" });
    expect(plan.unmanaged).toEqual([]);
  });

  it("takes an option whose Key changed on the server for the Key it has now, not for the state's", () => {
    // Option 1 is "a" in the state, but its Key was changed to "b" on the server: it is "b" now.
    const a = option("a");
    const b = option("b");
    const plan = diffModels({ ...base, desired: desired(a, b), applied: applied([[a, 1]]), live: live([b, 1]) });
    expect(plan.changes.map((c) => [c.address, c.action, "id" in c ? c.id : null, c.reason ?? null])).toEqual([
      ["679/844/a", "create", null, "gone from the server"],
      ["679/844/b", "noop", 1, "adopted"],
    ]);
  });

  it("never takes an option that got a recorded id in another split (ids reused after a restore)", () => {
    const vip = option("vip");
    const stranger = option("stranger", "Not ours", { split: 910 });
    // The state says vip is id 5 in split 844; on the server id 5 is now an option of split 910.
    const removed = diffModels({ ...base, desired: new Map(), applied: applied([[vip, 5]]), live: live([stranger, 5]) });
    expect(removed.changes).toHaveLength(1);
    expect(removed.changes[0]).toMatchObject({ action: "delete", id: 5, alreadyGone: true });
    expect(removed.changes[0]!.reason).toContain("id 5 is now 679/910/stranger, which is not touched");
    // Nothing to send, as the summary says (apply only forgets the state entry: forgetGone).
    expect(isEmptyPlan(removed)).toBe(true);
    expect(removed.summary).toMatchObject({ delete: 0, noop: 1 });
    expect(removed.unmanaged).toEqual([{ address: "679/910/stranger", id: 5 }]);
    const edited = diffModels({ ...base, desired: desired(option("vip", "VIP 2")), applied: applied([[vip, 5]]), live: live([stranger, 5]) });
    expect(edited.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["create 679/844/vip"]);
  });

  it("never takes an option of the same split that got a recorded id under another Key", () => {
    const vip = option("vip");
    const other = option("other");
    const plan = diffModels({ ...base, desired: new Map(), applied: applied([[vip, 5]]), live: live([other, 5]) });
    expect(plan.changes[0]).toMatchObject({ action: "delete", alreadyGone: true });
  });

  it("adopts one option with the same Key instead of creating a second", () => {
    const o = option("vip");
    const same = diffModels({ ...base, desired: desired(o), applied: new Map(), live: live([o, 77]) });
    expect(same.changes[0]).toMatchObject({ action: "noop", id: 77, record: true, reason: "adopted" });
    expect(isEmptyPlan(same)).toBe(false);
    const other = diffModels({ ...base, desired: desired(o), applied: new Map(), live: live([option("vip", "old"), 77]) });
    expect(other.changes[0]).toMatchObject({ action: "update", id: 77, reason: "adopted" });
  });

  it("reports several options with the Key as a conflict", () => {
    const o = option("vip");
    const plan = diffModels({ ...base, desired: desired(o), applied: new Map(), live: live([o, 1], [o, 2]) });
    expect(plan.changes[0]).toMatchObject({ action: "conflict", ids: [1, 2] });
    expect(plan.summary.conflict).toBe(1);
  });

  it("deletes what the state has and code no longer has; a gone one only leaves the state", () => {
    const a = option("a", "A", { rank: 1 });
    const b = option("b", "B", { rank: 2 });
    const c = option("c", "C", { rank: 3 });
    const plan = diffModels({ ...base, desired: desired(a, c), applied: applied([[a, 1], [b, 2], [c, 3]]), live: live([a, 1], [b, 2], [c, 3]) });
    expect(plan.changes.filter((x) => x.action === "delete").map((x) => x.address)).toEqual(["679/844/b"]);
    expect(plan.massDeletes).toEqual([]);
    const gone = diffModels({ ...base, desired: desired(a, c), applied: applied([[a, 1], [b, 2], [c, 3]]), live: live([a, 1], [c, 3]) });
    expect(gone.changes.find((x) => x.action === "delete")).toMatchObject({ alreadyGone: true });
    expect(gone.summary.delete).toBe(0);
  });

  it("flags deleting every option of a split, or more than the share, as a mass delete", () => {
    const a = option("a", "A", { rank: 1 });
    const b = option("b", "B", { rank: 2 });
    const all = diffModels({ ...base, desired: new Map(), applied: applied([[a, 1], [b, 2]]), live: live([a, 1], [b, 2]) });
    expect(all.massDeletes).toEqual([{ split: "679/844", deletes: 2, managed: 2 }]);
    expect(renderPlan(all, { color: false })).toContain("--allow-mass-delete");
  });

  it("never touches options it does not manage, and lists them", () => {
    const o = option("vip");
    const stranger = option("made-in-ui", "UI");
    const plan = diffModels({ ...base, desired: desired(o), applied: applied([[o, 1]]), live: live([o, 1], [stranger, 9]) });
    expect(plan.changes.every((c) => c.action === "noop")).toBe(true);
    expect(plan.unmanaged).toEqual([{ address: "679/844/made-in-ui", id: 9 }]);
  });

  it("without a refresh compares with the state only", () => {
    const o = option("vip");
    const changed = option("vip", "changed");
    const plan = diffModels({ ...base, desired: desired(changed), applied: applied([[o, 5]]) });
    expect(plan.refreshed).toBe(false);
    expect(plan.changes[0]).toMatchObject({ action: "update", id: 5 });
  });

  it("renders --json in the documented shape", () => {
    const o = option("vip");
    const json = planToJson(diffModels({ ...base, desired: desired(o), applied: new Map(), live: new Map([["679/844", []]]) })) as {
      changes: Record<string, unknown>[];
      summary: Record<string, number>;
    };
    expect(json.changes[0]).toMatchObject({ action: "create", address: "679/844/vip", workflowId: 679, workflowStepId: 844, key: "vip", source: "workflows/a.ts:3:5", before: null });
    expect(json.changes[0]!.after).toMatchObject({ key: "vip", name: "VIP" });
    expect(json.summary).toEqual({ create: 1, update: 0, delete: 0, adopt: 0, noop: 0 });
  });

  it("counts an adoption as its own change: in the summary line, in --json, and in isEmptyPlan", () => {
    const o = option("vip");
    const plan = diffModels({ ...base, desired: desired(o), applied: new Map(), live: live([o, 77]) });
    expect(plan.summary).toMatchObject({ create: 0, update: 0, delete: 0, adopt: 1, noop: 0 });
    expect(isEmptyPlan(plan)).toBe(false);
    const text = renderPlan(plan, { color: false });
    expect(text).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 to adopt, 0 unchanged.");
    expect(text).not.toContain("(recorded in the state)");
    expect((planToJson(plan) as { summary: Record<string, number> }).summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 1, noop: 0 });
  });
});

describe("options whose content the server has but wfsync cannot read", () => {
  const unreadable = (o: OptionModel, id: number): LiveOption => unreadableOption(id, o, { WorkflowStepOptionId: id }, 'Steps[0]: unknown StepType "PostCard"');

  it("leaves an unmanaged one alone and plans everything else", () => {
    const mine = option("mine");
    const plan = diffModels({ ...base, desired: desired(mine), applied: applied([[mine, 1]]), live: new Map([["679/844", [liveOption(1, mine, {}), unreadable(option("alien"), 2)]]]) });
    expect(plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["noop 679/844/mine"]);
    expect(plan.unmanaged).toEqual([{ address: "679/844/alien", id: 2 }]);
  });

  it("never writes over one the code claims, managed or found by Key: a conflict that says why", () => {
    const vip = option("vip", "VIP 2");
    const managed = diffModels({ ...base, desired: desired(vip), applied: applied([[option("vip"), 7]]), live: new Map([["679/844", [unreadable(option("vip"), 7)]]]) });
    expect(managed.changes).toMatchObject([{ action: "conflict", ids: [7] }]);
    expect(managed.changes[0]!.reason).toContain('cannot read its content (Steps[0]: unknown StepType "PostCard")');
    const byKey = diffModels({ ...base, desired: desired(vip), applied: new Map(), live: new Map([["679/844", [unreadable(option("vip"), 8)]]]) });
    expect(byKey.changes).toMatchObject([{ action: "conflict", ids: [8] }]);
  });
});
