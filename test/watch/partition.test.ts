/** The pure parts of a watch run: last good model, frozen files and partition. */
import { describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { diffModels } from "../../src/plan/diff.js";
import { LastGoodModel, findFrozenFiles } from "../../src/watch/model.js";
import { partitionPlan, type PartitionRules } from "../../src/watch/partition.js";
import { applied, byAddress, option } from "./fakes.js";

const A = "/p/workflows/a.ts";
const B = "/p/workflows/b.ts";
const HELPER = "/p/workflows/shared/helper.ts";
const RULES: PartitionRules = { applied: new Map(), allowDelete: true, compileClean: true, frozen: () => false, missingSplits: new Set() };
const actions = (changes: readonly { action: string; address: string }[]) => changes.map((c) => `${c.action} ${c.address}`);

describe("LastGoodModel", () => {
  it("keeps a frozen file's last good options and drops a removed file's", () => {
    const m = new LastGoodModel();
    const vip = option(1, 2, "vip", "VIP", A);
    const web = option(3, 4, "web", "Web", B);
    expect([...m.update(byAddress(vip, web), new Set([A, B]), new Set()).keys()]).toEqual(["1/2/vip", "3/4/web"]);
    // A fails: the compile has nothing for it, the model keeps its options.
    expect([...m.update(byAddress(web), new Set([A, B]), new Set([A])).keys()].sort()).toEqual(["1/2/vip", "3/4/web"]);
    // A fails but some of its options came through: still the last good ones.
    const renamed = option(1, 2, "vip", "Renamed", A);
    expect(m.update(byAddress(renamed, web), new Set([A, B]), new Set([A])).get("1/2/vip")?.option.name).toBe("VIP");
    // B is deleted: its options leave the model (they become deletes).
    expect([...m.update(byAddress(renamed), new Set([A]), new Set()).keys()]).toEqual(["1/2/vip"]);
  });

  it("freezes workflow files an error points into, also through a shared module", () => {
    const at = (file: string) => new WfsyncError("E_DUPLICATE_RANK", "two options with rank 1", { location: { file, line: 3, column: 5 } });
    const frozen = findFrozenFiles(
      { errors: [at("workflows/shared/helper.ts"), at("workflows/a.ts"), new WfsyncError("E_READ", "cannot read")], failedFiles: new Set() },
      "/p",
      new Set([A, B]),
      (f) => (f === HELPER ? [B] : []),
    );
    expect([...frozen].sort()).toEqual([A, B]);
  });

  it("freezes both files of a split declared twice", () => {
    const twice = new WfsyncError("E_DUPLICATE_SPLIT", "split 844 of workflow 679 is already declared at workflows/a.ts:4:3; declare each split once", {
      location: { file: "workflows/b.ts", line: 4, column: 3 },
      related: { file: "workflows/a.ts", line: 4, column: 3 },
    });
    const frozen = findFrozenFiles({ errors: [twice], failedFiles: new Set() }, "/p", new Set([A, B]), () => []);
    expect([...frozen].sort()).toEqual([A, B]);
  });
});

describe("partitionPlan", () => {
  const vip = option(1, 2, "vip", "VIP", A);
  const gone = option(1, 2, "gone", "Gone", A);
  const other = option(1, 2, "other", "Other", A);
  const state = byAddress({ address: "1/2/vip", ...applied(vip, 1) }, { address: "1/2/gone", ...applied(gone, 2) }, { address: "1/2/other", ...applied(other, 3) });
  const plan = diffModels({ desired: byAddress(option(1, 2, "vip", "VIP 2", A), other), applied: state, massDeleteShare: 0.5 });

  it("sends deletes only with --allow-delete and a clean compile", () => {
    expect(actions(partitionPlan(plan, RULES).send)).toEqual(["delete 1/2/gone", "update 1/2/vip"]);
    const without = partitionPlan(plan, { ...RULES, allowDelete: false });
    expect(actions(without.send)).toEqual(["update 1/2/vip"]);
    expect(without.pendingDeletes.map((p) => p.reason)).toEqual(["run watch with --allow-delete to delete it"]);
    const broken = partitionPlan(plan, { ...RULES, compileClean: false });
    expect(broken.pendingDeletes.map((p) => p.reason)).toEqual(["deletes wait until every file compiles"]);
  });

  it("holds changes of a failing file and never sends a mass delete", () => {
    const held = partitionPlan(plan, { ...RULES, frozen: (c) => c.address === "1/2/vip" });
    expect(held.held.map((h) => `${h.change.address}: ${h.reason}`)).toEqual(["1/2/vip: its file does not compile"]);
    const mass = partitionPlan(diffModels({ desired: new Map(), applied: state, massDeleteShare: 0.5 }), RULES);
    expect(mass.send).toEqual([]);
    expect(mass.pendingDeletes).toHaveLength(3);
    expect(mass.pendingDeletes[0]!.reason).toContain("--allow-mass-delete");
    // Without --allow-delete too: restarting watch with that flag would not delete them.
    const massWithout = partitionPlan(diffModels({ desired: new Map(), applied: state, massDeleteShare: 0.5 }), { ...RULES, allowDelete: false });
    expect(massWithout.pendingDeletes.map((p) => p.reason)).toEqual(Array(3).fill("deletes 3 of 3 options of split 1/2: stop watch and run `wfsync apply --allow-mass-delete`"));
  });
});
