import { describe, expect, it } from "vitest";
import type { DesiredOption } from "../../src/compile/validate.js";
import { canonicalOption, hashOption, optionAddress, type OptionModel } from "../../src/model/option.js";
import { liveOption, type LiveOption } from "../../src/model/live.js";
import { diffModels } from "../../src/plan/diff.js";
import { codeFingerprint, splitFingerprints, stateFingerprint, whatChanged } from "../../src/plan/saved.js";
import { isTargeted, parseTargets, targetPlan } from "../../src/plan/target.js";
import type { StateEntry } from "../../src/state/format.js";

function option(key: string, split = 844, subject = "Welcome", name = "Same name"): OptionModel {
  return canonicalOption({ workflowId: 679, workflowStepId: split, key, name, rank: 1, steps: [{ stepType: "SendEmail", shipmentId: 3, subject }] });
}
const desired = (...os: OptionModel[]) =>
  new Map<string, DesiredOption>(os.map((o) => [optionAddress(o), { address: optionAddress(o), option: o, hash: hashOption(o), source: { file: "w.ts", line: 1, column: 1 }, file: "/p/w.ts" }]));
const applied = (...es: [OptionModel, number][]) =>
  new Map<string, StateEntry>(es.map(([o, id]) => [optionAddress(o), { id, hash: hashOption(o), option: o, server: { Key: o.key }, appliedAt: "2026-01-01T00:00:00.000Z" }]));
const live = (...es: [OptionModel, number][]) => {
  const map = new Map<string, LiveOption[]>();
  for (const [o, id] of es) map.set(`679/${o.workflowStepId}`, [...(map.get(`679/${o.workflowStepId}`) ?? []), liveOption(id, o, { WorkflowStepOptionId: id, Key: o.key })]);
  return map;
};

describe("targeting", () => {
  it("matches whole segments of the address", () => {
    expect(isTargeted("679/844/vip", ["679"])).toBe(true);
    expect(isTargeted("679/844/vip", ["679/844"])).toBe(true);
    expect(isTargeted("679/844/vip", ["679/844/vip"])).toBe(true);
    expect(isTargeted("679/844/vip", ["67"])).toBe(false);
    expect(isTargeted("679/844/vip", ["679/844/vi"])).toBe(false);
    expect(() => parseTargets(["679/x", "a", "1/2/3/4", "679//"])).toThrow(/"679\/x", "a", "1\/2\/3\/4", "679\/\/"/);
    expect(parseTargets(["679", "679"])).toEqual(["679"]);
  });

  it("cuts the changes, the summary and the mass deletes to the targets", () => {
    const [a, b, c] = [option("a", 844), option("b", 844, "B"), option("c", 900)];
    const plan = diffModels({ desired: desired(), applied: applied([a, 1], [b, 2], [c, 3]), live: live([a, 1], [b, 2], [c, 3]), massDeleteShare: 0.5 });
    expect(plan.massDeletes.map((m) => m.split)).toEqual(["679/844", "679/900"]);
    const one = targetPlan(plan, ["679/844/a"], 0.5);
    expect(one.changes.map((x) => x.address)).toEqual(["679/844/a"]);
    expect(one.summary.delete).toBe(1);
    // One of the two options of 679/844 is half of them, not more: no longer a mass delete.
    expect(one.massDeletes).toEqual([]);
    const split = targetPlan(plan, ["679/900"], 0.5);
    expect(split.massDeletes).toEqual([{ split: "679/900", deletes: 1, managed: 1 }]);
  });
});

describe("a likely rename", () => {
  it("a delete and a create of the same content in one split: the create says how to declare the rename", () => {
    const old = option("old");
    const plan = diffModels({ desired: desired(option("new")), applied: applied([old, 1]), live: live([old, 1]), massDeleteShare: 1 });
    expect(plan.changes.find((c) => c.action === "create")?.reason).toBe('looks like a rename of 679/844/old (same content): declare it with split.moved("old", "new") or `wfsync state mv 679/844/old 679/844/new` to change the key in place instead of deleting and creating');
  });

  it("no hint for other content or another split", () => {
    const old = option("old");
    for (const other of [option("new", 844, "Other subject"), option("new", 900)]) {
      const plan = diffModels({ desired: desired(other), applied: applied([old, 1]), live: live([old, 1]), massDeleteShare: 1 });
      expect(plan.changes.find((c) => c.action === "create")?.reason).toBeUndefined();
    }
  });

  it("a state entry moved to the new key is one update of the Key in place", () => {
    const old = option("old");
    const moved = option("new");
    // As `state mv` leaves it: the new address and key, the hash last applied (the old key's).
    const state = new Map([["679/844/new", { id: 1, hash: hashOption(old), option: moved, server: { Key: "old" }, appliedAt: "2026-01-01T00:00:00.000Z" }]]);
    const plan = diffModels({ desired: desired(moved), applied: state, live: live([old, 1]), massDeleteShare: 1 });
    expect(plan.changes).toMatchObject([{ action: "update", id: 1, address: "679/844/new", before: { key: "old" }, after: { key: "new" } }]);
    expect(plan.changes[0]!.reason).toBeUndefined();
  });

  it("split.moved: the old address's entry is matched to the new key; ignored once the state has moved", () => {
    const old = option("old");
    const renamed = option("new");
    const moved = new Map([["679/844/old", "679/844/new"]]);
    const plan = diffModels({ desired: desired(renamed), applied: applied([old, 1]), live: live([old, 1]), massDeleteShare: 1, moved });
    expect(plan.changes).toMatchObject([{ action: "update", id: 1, address: "679/844/new", movedFrom: "679/844/old" }]);
    expect(plan.summary).toMatchObject({ create: 0, update: 1, delete: 0 });
    const after = diffModels({ desired: desired(renamed), applied: applied([renamed, 1]), live: live([renamed, 1]), massDeleteShare: 1, moved });
    expect(after.changes).toMatchObject([{ action: "noop", record: false }]);
    expect(after.changes[0]!.movedFrom).toBeUndefined();
  });
});

describe("saved plan fingerprints", () => {
  it("name what changed: the code, the state, a split", () => {
    const a = option("a");
    const fp = (d: OptionModel, s: [OptionModel, number], l: [OptionModel, number]) => ({
      code: codeFingerprint(desired(d)),
      state: stateFingerprint(applied(s)),
      splits: splitFingerprints(new Set(["679/844", "679/900"]), live(l)),
    });
    const then = fp(a, [a, 1], [a, 1]);
    expect(whatChanged(then, fp(a, [a, 1], [a, 1]))).toEqual([]);
    expect(then.splits["679/900"]).toBe("missing");
    const b = option("a", 844, "Edited");
    expect(whatChanged(then, fp(b, [a, 1], [a, 1]))).toEqual(["the code (workflow files or environment values)"]);
    expect(whatChanged(then, fp(a, [a, 2], [a, 1]))).toEqual(["the state (another apply, or a state command, since)"]);
    expect(whatChanged(then, fp(a, [a, 1], [b, 1]))).toEqual(["split 679/844 on the server"]);
  });
});
