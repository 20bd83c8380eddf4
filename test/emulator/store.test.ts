/** The store on its own: ids, nested splits, indexes at 10,000 options. */
import { describe, expect, it } from "vitest";
import { Binder, type BoundOption } from "../../src/emulator/bind.js";
import { DEMO_SEED, parseSeed } from "../../src/emulator/seed.js";
import { Store, type OptionRecord } from "../../src/emulator/store.js";
import { presentOption } from "../../src/emulator/present.js";

function bind(raw: unknown): BoundOption {
  const binder = new Binder();
  const bound = binder.option(raw, "");
  expect(binder.problems).toEqual([]);
  return bound!;
}

function save(store: Store, raw: unknown): OptionRecord {
  const result = store.saveOption(bind(raw));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const nestedOption = {
  WorkflowStepId: 951,
  WorkflowId: 733,
  Key: "outer",
  Steps: [
    {
      StepType: "Split",
      Options: [
        { Key: "inner-a", Rank: 2, Steps: [{ StepType: "SendEmail", Subject: "A" }] },
        { Key: "inner-b", Rank: 1, Steps: [{ StepType: "Split", Options: [{ Key: "deep", Steps: [{ StepType: "None" }] }] }] },
      ],
    },
  ],
};

describe("Store", () => {
  it("gives nested splits' options their own ids, ordered by Rank, and keeps them on update", () => {
    const store = Store.fromSeed(parseSeed(DEMO_SEED));
    const first = save(store, nestedOption);
    const split = first.Steps[0]!;
    const inner = split.Options!;
    expect(inner.map((o) => o.Key)).toEqual(["inner-b", "inner-a"]);
    expect(inner.every((o) => o.WorkflowStepId === split.WorkflowStepId && o.WorkflowId === 733)).toBe(true);
    const deep = inner[0]!.Steps[0]!.Options![0]!;
    expect(deep.WorkflowStepOptionId).toBeGreaterThan(0);

    // Saving back what was answered keeps every id.
    const again = save(store, presentOption(first));
    expect(again).toEqual(first);

    // Nested options and steps can be read on their own; a nested step is no target for options.
    expect(store.getOption(deep.WorkflowStepOptionId)).toEqual(deep);
    expect(store.getStep(split.WorkflowStepId)!.step).toEqual(split);
    const refused = store.saveOption(bind({ ...nestedOption, WorkflowStepId: split.WorkflowStepId, Steps: [] }));
    expect(refused.ok).toBe(false);
    const nestedUpdate = store.saveOption(bind({ ...nestedOption, WorkflowStepOptionId: deep.WorkflowStepOptionId }));
    expect(nestedUpdate.ok || nestedUpdate.error.message).toContain("nested inside option");

    // Deleting a nested option removes it from the option holding it.
    expect(store.deleteOption(inner[1]!.WorkflowStepOptionId)).toEqual({ ok: true, value: true });
    expect(store.getOption(first.WorkflowStepOptionId)!.Steps[0]!.Options!.map((o) => o.Key)).toEqual(["inner-b"]);
    expect(store.getOption(inner[1]!.WorkflowStepOptionId)).toBeUndefined();
  });

  it("a step id sent twice, or belonging to another option, gets a new id", () => {
    const store = Store.fromSeed(parseSeed(DEMO_SEED));
    const a = save(store, { WorkflowStepId: 844, WorkflowId: 679, Steps: [{ StepType: "None" }] });
    const b = save(store, { WorkflowStepId: 844, WorkflowId: 679, Steps: [{ StepType: "None" }] });
    const aStep = a.Steps[0]!.WorkflowStepId;
    const updated = save(store, {
      WorkflowStepOptionId: b.WorkflowStepOptionId,
      WorkflowStepId: 844,
      WorkflowId: 679,
      Steps: [
        { StepType: "None", WorkflowStepId: b.Steps[0]!.WorkflowStepId },
        { StepType: "None", WorkflowStepId: b.Steps[0]!.WorkflowStepId },
        { StepType: "None", WorkflowStepId: aStep },
      ],
    });
    const ids = updated.Steps.map((s) => s.WorkflowStepId);
    expect(ids[0]).toBe(b.Steps[0]!.WorkflowStepId);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain(aStep);
  });

  it("holds 10,000 options indexed by split and id", () => {
    const store = Store.fromSeed(parseSeed(DEMO_SEED));
    const splits: [number, number][] = [
      [844, 679],
      [910, 702],
      [951, 733],
      [953, 733],
    ];
    const ids: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const [step, workflow] = splits[i % 4]!;
      ids.push(save(store, { WorkflowStepId: step, WorkflowId: workflow, Key: `k${i}`, Rank: i, Steps: [{ StepType: "AddToList", Selection: i }] }).WorkflowStepOptionId);
    }
    expect(store.optionCount).toBe(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(store.optionsOfSplit(953)).toHaveLength(2_500);
    expect(store.getOption(ids[9_999]!)!.Key).toBe("k9999");
    store.deleteOption(ids[3]!);
    expect(store.optionsOfSplit(953)).toHaveLength(2_499);
    const data = store.toData();
    const restored = new Store(JSON.parse(JSON.stringify(data)));
    expect(restored.toData()).toEqual(data);
  });
});
