import { describe, expect, it } from "vitest";
import type { DesiredOption } from "../../src/compile/validate.js";
import { canonicalOption, hashOption, optionAddress, type OptionModel } from "../../src/model/option.js";
import { diffModels, isEmptyPlan, liveOption, type AppliedOption, type LiveOption } from "../../src/plan/diff.js";
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

function applied(entries: [OptionModel, number][]): Map<string, AppliedOption> {
  return new Map(entries.map(([o, id]) => [optionAddress(o), { id, hash: hashOption(o), option: o, source: { file: "workflows/a.ts", line: 3, column: 5 } }]));
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

  it("never adopts by Key an option the state maps to another address", () => {
    // Option 1 is "a" in the state, but its Key was changed to "b" on the server.
    const a = option("a");
    const b = option("b");
    const plan = diffModels({ ...base, desired: desired(a, b), applied: applied([[a, 1]]), live: live([b, 1]) });
    expect(plan.changes.map((c) => [c.address, c.action, "id" in c ? c.id : null])).toEqual([
      ["679/844/a", "update", 1],
      ["679/844/b", "create", null],
    ]);
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
    expect(json.changes[0]).toMatchObject({ action: "create", address: "679/844/vip", workflowId: 679, workflowStepId: 844, key: "vip", source: "workflows/a.ts:3:5", before: {} });
    expect(json.changes[0]!.after).toMatchObject({ key: "vip", name: "VIP" });
    expect(json.summary).toEqual({ create: 1, update: 0, delete: 0, noop: 0 });
  });
});
