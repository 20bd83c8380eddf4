/**
 * Import from a server of the current generation: options without Key, with kinds, and steps
 * with the fields servers added after 10.2.9. The generated file declares exactly what the
 * server has (compiled back and compared), and is the same bytes every time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertWorkflow, type SupportedOption, type UnsupportedOption } from "../../src/import/convert.js";
import { generateWorkflowFile } from "../../src/import/generate.js";
import { optionToFlowCarrier } from "../../src/model/flow.js";
import { canonicalOption, hashOption, type RawStep } from "../../src/model/option.js";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

const place = { workflowId: 601, workflowStepId: 6001 };
const restriction = { name: "personId", operator: "oneOf", values: ["1", "2"] };

/** What a current server would answer: carriers made from models (keys play no part there). */
const carrier = (id: number, name: string, rank: number, steps: RawStep[], when?: Record<string, unknown>) =>
  optionToFlowCarrier(canonicalOption({ ...place, key: "ignored", name, rank, steps, ...(when ? { when: when as never } : {}) }), id);

const EVERY_STEP: RawStep[] = [
  { stepType: "SendSMS", from: "ACME", text: "Your offer is waiting", exit: true },
  {
    stepType: "WaitForAction", actionTimeout: 3, waitForTimeout: true, timeoutIntervalType: "Days",
    actions: [{ actionType: "LinkClicked", restrictionGroups: [{ restrictions: [{ name: "linkId", operator: "=", values: ["8"] }] }] }],
  },
  {
    stepType: "UpdateParticipant", description: "Mark as engaged",
    fieldValuesPerson: [{ key: "person.title", currentOperationType: "Set", values: ["Engaged"] }],
  },
  { stepType: "CreateRequest", title: "Call back", status: 3 },
  { stepType: "CreateFollowUp", title: "Follow up", assignTo: 7, workflowActionType: "After", workflowOwnerType: "Specified" },
  { stepType: "CreateSale", title: "Deal", amount: 1250.5, date: "2026-05-31T00:00:00", actionType: "After", source: 6 },
  { stepType: "NotifyByEmail", to: "SpecificEmailAddress", specificEmailAddresses: ["sales@example.com"], subject: "New lead", text: "See the flow" },
  { stepType: "NotifyBySMS", specificPhoneNumbers: ["+47 900 00 000"], text: "New lead" },
  { stepType: "RunScript", scriptId: 42 },
  { stepType: "DistributeToOwner", onlyToUnassigned: true, associates: [1, 2], defaultAssociate: 1 },
  {
    stepType: "Split", splitName: "Clicked?",
    options: [
      { key: "", name: "Clicked", rank: 1, steps: [{ stepType: "None" }], when: { kind: "LinkClicked", linkId: 9 } },
      { key: "", name: "Clicked twice", rank: 2, steps: [], when: { kind: "LinkClicked", linkId: 10 } },
    ],
  },
  { stepType: "SendEmail", shipmentId: 3 },
];

const SERVER = {
  workflowId: 601,
  emailFlowId: 61,
  flowName: "Webinar",
  splits: [
    {
      workflowStepId: 6001,
      options: [
        carrier(11, "VIP customers", 1, EVERY_STEP, { kind: "SelectionMembership", selectionId: 12 }),
        carrier(12, "Everyone in project 5", 2, [{ stepType: "SendEmail", shipmentId: 4 }], { kind: "SelectionMembership", selectionId: 13 }),
      ],
    },
    {
      workflowStepId: 6002,
      options: [
        carrier(21, "Decision makers", 1, [], {
          kind: "PersonData",
          restrictionGroups: [{ name: "Titles", restrictions: [restriction, { name: "title", operator: "contains", values: ["CEO"], interOperator: "Or" }] }],
        }),
        carrier(22, "No criteria yet", 2, [{ stepType: "SendSMS" }], { kind: "PersonData", restrictionGroups: [] }),
        { ...carrier(23, "Future", 3, []), OptionType: "Scoring" },
        { ...carrier(24, "With an extra", 4, []), Colour: "red" },
      ],
    },
  ],
};

describe("import from the current generation", () => {
  it("keys every option by its name, records no key to save, and says what it cannot express", () => {
    const imported = convertWorkflow(SERVER, { api: "12" });
    const [vip, project] = imported.splits[0]!.options as SupportedOption[];
    expect([vip!.declared.key, project!.declared.key]).toEqual(["vip-customers", "everyone-in-project-5"]);
    expect(vip!.generatedKeys).toEqual([]);
    expect(vip!.updateParticipant).toBe(true);
    // The server's option in code's keys: its hash is the declared one, so the next plan is empty.
    expect(hashOption(vip!.server)).toBe(hashOption(vip!.declared));
    const nested = vip!.declared.steps.find((s) => s.stepType === "Split")!.options!;
    expect(nested.map((o) => o.key)).toEqual(["clicked", "clicked-twice"]);
    const problems = (imported.splits[1]!.options.filter((o) => !o.supported) as UnsupportedOption[]).map((o) => [o.name, o.problems]);
    expect(problems).toEqual([
      ["No criteria yet", ["the PersonData option has no RestrictionGroups; the DSL needs at least one"]],
      ["Future", ['unknown OptionType "Scoring": an option kind the DSL does not know']],
      ["With an extra", ["Colour: a field the DSL cannot express"]],
    ]);
  });

  it("refuses options of one split with different kinds, as validation would", () => {
    const mixed = { ...SERVER, splits: [{ workflowStepId: 6001, options: [carrier(1, "A", 1, [], { kind: "LinkClicked", linkId: 1 }), carrier(2, "B", 2, [], { kind: "FormSubmission", formId: 2 })] }] };
    const [, b] = convertWorkflow(mixed, { api: "12" }).splits[0]!.options as UnsupportedOption[];
    expect(b!.problems).toEqual(['its kind FormSubmission differs from LinkClicked of option "A"; the DSL takes one kind per split']);
  });

  it("writes when and the new fields (only those not at their default); the file compiles back to the server's options", () => {
    const imported = convertWorkflow(SERVER, { api: "12" });
    const text = generateWorkflowFile(imported, { command: "wfsync import --workflow 601 --email-flow 61" });
    expect(text).toMatchSnapshot();
    expect(generateWorkflowFile(convertWorkflow(SERVER, { api: "12" }), { command: "wfsync import --workflow 601 --email-flow 61" })).toBe(text);
    const c = h.run({ "workflows/webinar.ts": text });
    expect(c.errors).toEqual([]);
    const supported = imported.splits.flatMap((s) => s.options.filter((o): o is SupportedOption => o.supported));
    expect(supported).toHaveLength(3);
    for (const o of supported) {
      const compiled = c.result.options.get(`${o.declared.workflowId}/${o.declared.workflowStepId}/${o.declared.key}`);
      expect(compiled?.option).toEqual(o.declared);
    }
  });
});
