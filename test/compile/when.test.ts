/**
 * Option kinds, the fields servers added after 10.2.9, and what a tenant's generation cannot
 * take: each problem reported at its line, as other validation problems are.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsupportedFeatures } from "../../src/compile/support.js";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => {
  h.compiler.setTarget(undefined);
  h.cleanup();
});

/** Line 4 is the first line of `body`. */
const flow = (body: string) => `import { workflow } from "wfsync";

export default workflow(1, (wf) => wf.split(2, (split) => {
${body}
}));
`;
const run = (body: string) => h.run({ "workflows/w.ts": flow(body) });

describe("when", () => {
  it.each([
    [`{ selection: 12 }`, { kind: "SelectionMembership", selectionId: 12 }],
    [`{ project: 5 }`, { kind: "ProjectMembership", projectId: 5 }],
    [`{ form: 3 }`, { kind: "FormSubmission", formId: 3 }],
    [`{ link: 9 }`, { kind: "LinkClicked", linkId: 9 }],
  ])("turns %s into the model's kind", (when, expected) => {
    const c = run(`split.option("k", { name: "K", when: ${when} });`);
    expect(c.errors).toEqual([]);
    expect(c.result.options.get("1/2/k")!.option.when).toEqual(expected);
  });

  it("canonicalises restriction groups, and FormData's form and restrictions", () => {
    const c = run(`split.option("p", { name: "P", when: { personData: [{ restrictions: [{ name: "personId", operator: "=", values: ["7"] }] }] } });
split.option("f", { name: "F", when: { formData: { form: 3, restrictions: [{ name: "G", restrictions: [{ name: "q1", operator: "=", values: ["yes"], interOperator: "Or" }] }] } } });`);
    // Two kinds in one split is its own error; here only the shapes matter.
    expect(c.errors).toEqual(["workflows/w.ts:5:1 E_WHEN_KIND"]);
    expect(JSON.stringify(c.result.options.get("1/2/p")!.option.when)).toBe(
      '{"kind":"PersonData","restrictionGroups":[{"description":"","name":"","restrictions":[{"interOperator":"And","interParenthesis":0,"isActive":true,"name":"personId","operator":"=","subRestrictions":[],"values":["7"]}]}]}',
    );
  });

  it("is a type error at its line when it names two kinds, a wrong key or a wrong type", () => {
    expect(run(`split.option("k", { name: "K", when: { selection: 1, project: 2 } });`).errors).toEqual(["workflows/w.ts:4:54 TS2322"]);
    expect(run(`split.option("k", { name: "K", when: { selectoin: 1 } });`).errors[0]).toMatch(/^workflows\/w\.ts:4:\d+ TS2\d+$/);
    expect(run(`split.option("k", { name: "K", when: { personData: [{ restrictions: [{ name: "a" }] }] } });`).errors[0]).toMatch(/^workflows\/w\.ts:4:\d+ TS2741$/);
  });

  it.each([
    ["a target id of 0", `{ selection: 0 }`, "when.selection must be a positive id, got 0"],
    ["a fractional id", `{ link: 1.5 }`, "when.link must be a positive id, got 1.5"],
    ["two kinds (cast)", `{ selection: 1, project: 2 } as any`, "when takes exactly one of selection, project, form, link, personData, formData, got selection and project"],
    ["no kind", `{} as any`, "when takes exactly one of selection, project, form, link, personData, formData, got none"],
    ["an unknown kind", `{ segment: 4 } as any`, 'when has no "segment"'],
    ["not an object", `12 as any`, "when must be an object with one of selection"],
    ["no groups", `{ personData: [] }`, "when.personData needs at least one restriction group"],
    ["an empty group", `{ personData: [{ restrictions: [] }] }`, "when.personData[0] needs at least one restriction"],
    ["a restriction without a column", `{ personData: [{ restrictions: [{ name: "", operator: "=" }] }] }`, "when.personData[0].restrictions[0] needs a name (the archive column)"],
    ["a misspelt restriction field", `{ personData: [{ restrictions: [{ name: "a", operator: "=", valeus: [] }] }] } as any`, "when.personData[0].restrictions[0].valeus: a restriction has no such field"],
    ["a number for a value", `{ personData: [{ restrictions: [{ name: "a", operator: "=", values: [1] }] }] } as any`, "when.personData[0].restrictions[0].values: expected a list of strings, got [1]"],
    ["groups that are no list", `{ personData: "vip" } as any`, 'when.personData: expected a list of restriction groups, got "vip"'],
    ["FormData without a form", `{ formData: { form: 0, restrictions: [{ restrictions: [{ name: "q", operator: "=" }] }] } }`, "when.formData.form must be a positive id, got 0"],
    ["FormData with another field", `{ formData: { form: 1, restrictions: [], colour: 1 } } as any`, 'when.formData has no "colour"'],
  ])("reports %s at the option", (_what, when, message) => {
    const c = run(`split.option("k", { name: "K", when: ${when} });`);
    expect(c.errors).toEqual(["workflows/w.ts:4:1 E_WHEN"]);
    expect(c.error("E_WHEN").message).toContain(`option "k": ${message}`);
    expect(c.result.options.size).toBe(0);
  });

  it("reports options of one split with different kinds, naming the first", () => {
    const c = run(`split.option("a", { name: "A", when: { selection: 1 } });\nsplit.option("n", { name: "N" });\nsplit.option("b", { name: "B", when: { link: 2 } });`);
    expect(c.errors).toEqual(["workflows/w.ts:6:1 E_WHEN_KIND"]);
    expect(c.error("E_WHEN_KIND").message).toMatch(/option "b" splits on LinkClicked, but option "a" \(.*w\.ts:4:1\) on SelectionMembership/);
  });

  it("takes a kind on nested options too", () => {
    const c = run(`split.option("o", { name: "O" }, (path) => path.split({ splitName: "Inner" }, (inner) => {
  inner.option("x", { name: "X", when: { selection: 3 } });
}));`);
    expect(c.errors).toEqual([]);
    const step = c.result.options.get("1/2/o")!.option.steps[0]!;
    expect(step).toMatchObject({ splitName: "Inner", options: [{ key: "x", when: { kind: "SelectionMembership", selectionId: 3 } }] });
  });
});

describe("step fields after 10.2.9", () => {
  const steps = (body: string) => run(`split.option("k", { name: "K" }, (path) => {\n${body}\n});`);

  it("lands every new field in the model, defaults left out", () => {
    const c = steps(`path.sendSMS({ from: "ACME", text: "Hi", exit: false });
path.notifyByEmail({ to: "SpecificEmailAddress", specificEmailAddresses: ["a@x.com"], subject: "S", text: "T" });
path.runScript({ scriptId: 4 });
path.createSale({ title: "Deal", amount: 99.5, date: "2026-05-31", actionType: "After" });
path.waitForAction({ actionTimeout: 3, timeoutIntervalType: "Days", actions: [{ actionType: "LinkClicked" }] });
path.updateParticipant({ description: "D", fieldValuesPerson: [{ key: "person.title", values: ["CEO"] }] });
path.distributeToOwner({ associates: [1, 2] });`);
    expect(c.errors).toEqual([]);
    expect(c.result.options.get("1/2/k")!.option.steps).toEqual([
      { stepType: "SendSMS", from: "ACME", text: "Hi" },
      { stepType: "NotifyByEmail", to: "SpecificEmailAddress", specificEmailAddresses: ["a@x.com"], subject: "S", text: "T" },
      { stepType: "RunScript", scriptId: 4 },
      { stepType: "CreateSale", title: "Deal", amount: 99.5, date: "2026-05-31", actionType: "After" },
      { stepType: "WaitForAction", actionTimeout: 3, timeoutIntervalType: "Days", actions: [{ actionType: "LinkClicked", restrictionGroups: [] }] },
      { stepType: "UpdateContact", description: "D", fieldValuesPerson: [{ currentOperationType: "", isActive: true, key: "person.title", values: ["CEO"] }] },
      { stepType: "DistributeToOwner", associates: [1, 2] },
    ]);
  });

  it("is a type error at its line for a wrong field type", () => {
    expect(steps(`path.sendSMS({ text: 5 });`).errors).toEqual(["workflows/w.ts:5:16 TS2322"]);
  });

  it.each([
    ["a wrong enum", `path.notifyBySMS({ to: "Everyone" } as any);`, 'notifyBySMS() field "to": expected one of "OurContact", "OurServiceContact", "SpecificPhoneNumbers", got "Everyone"'],
    ["a bad date", `path.createSale({ date: "31.05.2026" });`, 'createSale() field "date": expected a date such as "2026-05-31"'],
    ["a field inside an action", `path.waitForAction({ actions: [{ actionType: "LinkClicked", colour: 1 }] } as any);`, 'waitForAction() field "actions[0].colour": a wait-for action has no such field'],
    ["an unknown split field", `path.split({ colour: 1 } as any, (s) => s.option("x", { name: "X" }));`, 'split() has no field "colour"'],
  ])("reports %s at the step", (_what, body, message) => {
    const c = steps(body);
    expect(c.errors).toEqual(["workflows/w.ts:5:1 E_STEP_FIELD"]);
    expect(c.error("E_STEP_FIELD").message).toContain(message);
  });
});

describe("what the tenant's server cannot take", () => {
  const FILE = flow(`split.option("k", { name: "K", when: { selection: 12 } }, (path) => {
  path.sendSMS({ text: "Hi" });
  path.createSale({ title: "T", source: 3 });
  path.split((inner) => inner.option("x", { name: "X", when: { formData: { form: 1, restrictions: [{ restrictions: [{ name: "q", operator: "=" }] }] } } }));
  path.distributeToOwner();
  path.addToList({ selection: 4 });
});
split.option("old", { name: "Old" }, (path) => path.sendEmail({ shipmentId: 3 }));`);

  const desired = () => {
    h.compiler.setTarget(undefined);
    const c = h.run({ "workflows/w.ts": FILE });
    expect(c.errors).toEqual([]);
    return { c, option: c.result.options.get("1/2/k")!, old: c.result.options.get("1/2/old")! };
  };

  it("on 10.2: every kind and newer field, at its own line", () => {
    const { c, option, old } = desired();
    const errors = unsupportedFeatures(option, { api: "10.2" });
    expect(errors.map((e) => `${c.where(e.location)} ${e.code} ${e.message}`)).toEqual([
      "workflows/w.ts:4:1 E_UNSUPPORTED `when` needs SuperOffice 10.2.10 or later (the flow API); this tenant runs the 10.2.4–10.2.9 API",
      "workflows/w.ts:5:3 E_UNSUPPORTED `sendSMS({ text })` needs SuperOffice 10.2.11 or later; this tenant runs the 10.2.4–10.2.9 API",
      "workflows/w.ts:6:3 E_UNSUPPORTED `createSale({ title, source })` needs SuperOffice 10.3.5 or later; this tenant runs the 10.2.4–10.2.9 API",
      "workflows/w.ts:7:25 E_UNSUPPORTED `when: { formData }` needs SuperOffice 10.3.2 or later; this tenant runs the 10.2.4–10.2.9 API",
      "workflows/w.ts:8:3 E_UNSUPPORTED `distributeToOwner()` needs SuperOffice 11.2 or later; this tenant runs the 10.2.4–10.2.9 API",
    ]);
    expect(unsupportedFeatures(old, { api: "10.2" })).toEqual([]);
  });

  it("on 12: only what the server's version lacks; all of it when the version is unknown", () => {
    const { c, option, old } = desired();
    expect(unsupportedFeatures(option, { api: "12" })).toEqual([]);
    expect(unsupportedFeatures(option, { api: "12", version: "12.4.1514" })).toEqual([]);
    const errors = unsupportedFeatures(option, { api: "12", version: "10.3.1" });
    expect(errors.map((e) => `${c.where(e.location)} ${e.message}`)).toEqual([
      "workflows/w.ts:6:3 `createSale({ source })` needs SuperOffice 10.3.5 or later; this tenant runs SuperOffice 10.3.1",
      "workflows/w.ts:7:25 `when: { formData }` needs SuperOffice 10.3.2 or later; this tenant runs SuperOffice 10.3.1",
      "workflows/w.ts:8:3 `distributeToOwner()` needs SuperOffice 11.2 or later; this tenant runs SuperOffice 10.3.1",
    ]);
    expect(unsupportedFeatures(old, { api: "12", version: "10.2.10" })).toEqual([]);
  });

  it("on 12: text a 10.2 server took where the current generation has an enum", () => {
    h.compiler.setTarget(undefined);
    const c = run(`split.option("f", { name: "F" }, (path) => {\n  path.createFollowUp({ title: "T", workflowActionType: "Call", availability: "Busy" });\n});`);
    expect(c.errors).toEqual([]);
    const errors = unsupportedFeatures(c.result.options.get("1/2/f")!, { api: "12" });
    expect(errors.map((e) => `${c.where(e.location)} ${e.message}`)).toEqual([
      'workflows/w.ts:5:3 `createFollowUp({ workflowActionType: "Call" })`: from SuperOffice 10.2.10 on, workflowActionType is one of None, FirstAvailable, FirstAvailableAfter, Today, After, Estimated',
    ]);
    expect(unsupportedFeatures(c.result.options.get("1/2/f")!, { api: "10.2" })).toEqual([]);
  });

  it("is a validation error when the project names its generation, and the options it hits are left out", () => {
    h.compiler.setTarget({ api: "10.2" });
    try {
      const c = h.run({ "workflows/w.ts": FILE });
      expect(c.errors).toEqual([
        "workflows/w.ts:4:1 E_UNSUPPORTED",
        "workflows/w.ts:5:3 E_UNSUPPORTED",
        "workflows/w.ts:6:3 E_UNSUPPORTED",
        "workflows/w.ts:7:25 E_UNSUPPORTED",
        "workflows/w.ts:8:3 E_UNSUPPORTED",
      ]);
      expect([...c.result.options.keys()]).toEqual(["1/2/old"]);
    } finally {
      h.compiler.setTarget(undefined);
    }
  });
});
