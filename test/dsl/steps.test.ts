/** Every step method of the DSL, compiled from a real file, lands in the canonical model. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

const EVERY_STEP = `import { workflow } from "wfsync";

export default workflow(100, (wf) => {
  wf.split(200, (split) => {
    split.option("all", { name: "Every step" }, (path) => {
      path.none();
      path.sendEmail({ shipmentId: 3 });
      path.sendEmail({ shipmentId: 4, subject: "Hi", attachments: [7, 8] });
      path.sendSMS();
      path.waitForTime({ numIntervals: 2, intervalType: "Days" });
      path.waitForTime({ timeWaitAlgorithm: "NumIntervals", numIntervals: 3, intervalType: "WorkingDays" });
      path.waitForTime({ until: "[DT:12/15/2026 09:00:00]" });
      path.waitForTime({ timeWaitAlgorithm: "UntilDateField" });
      path.waitForAction();
      path.split((inner) => {
        inner.option("second", { name: "Second", rank: 2 }, (p) => p.none());
        inner.option("first", { name: "First", rank: 1 }, (p) => {
          p.split((deep) => deep.option("deep", { name: "Deep" }));
        });
      });
      path.updateContact();
      path.updateParticipant();
      path.addToList({ selection: 12 });
      path.removeFromList({ selection: 13, project: 5 });
      path.createRequest({ title: "Call" });
      path.createRequest({ title: "Call", message: "m", category: 1, priority: 2, owner: 3, requestType: 4, status: 5 });
      path.createFollowUp({ title: "Follow up" });
      path.createFollowUp({
        title: "Follow up", agenda: "a", assignTo: 7, availability: "busy", completed: true, duration: 30,
        followUpType: 2, project: 9, workflowActionTime: 1, workflowActionTimeUnit: "Hours",
        workflowActionType: "x", workflowOwnerType: "y",
      });
      path.createSale();
      path.notifyByEmail();
      path.notifyBySMS();
      path.runScript();
    });
  });
});
`;

// Written with keys in sorted order: the JSON comparison checks values and key order at once.
const EXPECTED_STEPS = [
  { stepType: "None" },
  { attachments: [], shipmentId: 3, stepType: "SendEmail", subject: "" },
  { attachments: [7, 8], shipmentId: 4, stepType: "SendEmail", subject: "Hi" },
  { stepType: "SendSMS" },
  { intervalType: "Days", numIntervals: 2, stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", until: "" },
  { intervalType: "WorkingDays", numIntervals: 3, stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", until: "" },
  { intervalType: "None", numIntervals: 0, stepType: "WaitForTime", timeWaitAlgorithm: "UntilSpecified", until: "[DT:12/15/2026 09:00:00]" },
  { intervalType: "None", numIntervals: 0, stepType: "WaitForTime", timeWaitAlgorithm: "UntilDateField", until: "" },
  { stepType: "WaitForAction" },
  {
    options: [
      { key: "first", name: "First", rank: 1, steps: [{ options: [{ key: "deep", name: "Deep", rank: 1, steps: [] }], stepType: "Split" }] },
      { key: "second", name: "Second", rank: 2, steps: [{ stepType: "None" }] },
    ],
    stepType: "Split",
  },
  { stepType: "UpdateContact" },
  { stepType: "UpdateContact" },
  { project: 0, selection: 12, stepType: "AddToList" },
  { project: 5, selection: 13, stepType: "RemoveFromList" },
  { category: 0, message: "", owner: 0, priority: 0, requestType: 0, status: 0, stepType: "CreateRequest", title: "Call" },
  { category: 1, message: "m", owner: 3, priority: 2, requestType: 4, status: 5, stepType: "CreateRequest", title: "Call" },
  {
    agenda: "", assignTo: 0, availability: "", completed: false, duration: 0, followUpType: 0, project: 0,
    stepType: "CreateFollowUp", title: "Follow up", workflowActionTime: 0, workflowActionTimeUnit: "None",
    workflowActionType: "", workflowOwnerType: "",
  },
  {
    agenda: "a", assignTo: 7, availability: "busy", completed: true, duration: 30, followUpType: 2, project: 9,
    stepType: "CreateFollowUp", title: "Follow up", workflowActionTime: 1, workflowActionTimeUnit: "Hours",
    workflowActionType: "x", workflowOwnerType: "y",
  },
  { stepType: "CreateSale" },
  { stepType: "NotifyByEmail" },
  { stepType: "NotifyBySMS" },
  { stepType: "RunScript" },
];

function unsortedKeys(value: unknown, at = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unsortedKeys(v, `${at}[${i}]`));
  if (!value || typeof value !== "object") return [];
  const keys = Object.keys(value);
  const here = keys.join() === [...keys].sort().join() ? [] : [at];
  return [...here, ...keys.flatMap((k) => unsortedKeys((value as Record<string, unknown>)[k], `${at}.${k}`))];
}

describe("every step type", () => {
  it("compiles one option using every PathBuilder method into the canonical model", () => {
    const c = h.run({ "workflows/all.ts": EVERY_STEP });
    expect(c.errors).toEqual([]);
    const desired = c.result.options.get("100/200/all");
    expect(desired).toBeDefined();
    const option = desired!.option;
    const expected = { key: "all", name: "Every step", rank: 1, steps: EXPECTED_STEPS, workflowId: 100, workflowStepId: 200 };
    expect(option).toEqual(expected);
    expect(JSON.stringify(option)).toBe(JSON.stringify(expected));
    expect(unsortedKeys(option)).toEqual([]);
    expect(desired!.address).toBe("100/200/all");
    expect(desired!.hash).toMatch(/^[0-9a-f]{40}$/);
    // 22 steps at the top, 1 + 1 + 0 below the nested split (the deep option has none).
    expect(c.result.stats).toEqual({ workflows: 1, splits: 1, options: 1, steps: 24 });
  });

  it("gives the same hash to the same option compiled again, and another to a changed one", () => {
    const a = h.run({ "workflows/all.ts": EVERY_STEP }).result.options.get("100/200/all")!;
    const b = h.run({ "workflows/all.ts": EVERY_STEP }).result.options.get("100/200/all")!;
    const changed = h.run({ "workflows/all.ts": EVERY_STEP.replace('subject: "Hi"', 'subject: "Hello"') });
    expect(b.hash).toBe(a.hash);
    expect(changed.result.options.get("100/200/all")!.hash).not.toBe(a.hash);
  });
});

describe("ranks", () => {
  const split = (body: string) => `import { workflow } from "wfsync";
export default workflow(1, (wf) => {
  wf.split(2, (split) => {
${body}
  });
});
`;
  const ranks = (body: string) => {
    const c = h.run({ "workflows/r.ts": split(body) });
    expect(c.errors).toEqual([]);
    return Object.fromEntries([...c.result.options.values()].map((o) => [o.option.key, o.option.rank]));
  };

  it("defaults to declaration order", () => {
    expect(ranks(`split.option("c", { name: "C" }); split.option("a", { name: "A" }); split.option("b", { name: "B" });`)).toEqual({ c: 1, a: 2, b: 3 });
  });

  it("keeps explicit ranks, in any declaration order", () => {
    expect(ranks(`split.option("late", { name: "L", rank: 7 }); split.option("early", { name: "E", rank: 3 });`)).toEqual({ late: 7, early: 3 });
  });

  it("mixes explicit ranks with positions for the options that give none", () => {
    expect(ranks(`split.option("x", { name: "X", rank: 9 }); split.option("y", { name: "Y" });`)).toEqual({ x: 9, y: 2 });
  });

  it("sorts nested options by rank, whatever the declaration order", () => {
    const c = h.run({
      "workflows/n.ts": split(`split.option("o", { name: "O" }, (path) => path.split((s) => {
      s.option("z", { name: "Z", rank: 3 });
      s.option("b", { name: "B" });
      s.option("a", { name: "A", rank: 1 });
    }));`),
    });
    expect(c.errors).toEqual([]);
    const step = c.result.options.get("1/2/o")!.option.steps[0]!;
    expect(step.options!.map((o) => [o.key, o.rank])).toEqual([["a", 1], ["b", 2], ["z", 3]]);
  });
});
