/** Options as the current generation carries them: every kind and every step type, both ways. */
import { describe, expect, it } from "vitest";
import { adoptKeys, optionFromFlowCarrier, optionToFlowCarrier, splitOptionTypeOf } from "../../src/model/flow.js";
import { canonicalOption, hashOption, optionFromCarrier, optionToCarrier, type OptionModel, type RawStep } from "../../src/model/option.js";
import { STEP_TYPE_NAMES } from "../../src/model/steps.js";
import { optionIdentity } from "../../src/model/when.js";

const place = { workflowId: 679, workflowStepId: 844 };
const group = (column: string, ...values: string[]) => ({ name: "G", description: "", restrictions: [{ name: column, operator: "=", values }] });

const KINDS = {
  none: undefined,
  selection: { kind: "SelectionMembership", selectionId: 12 },
  project: { kind: "ProjectMembership", projectId: 5 },
  form: { kind: "FormSubmission", formId: 3 },
  link: { kind: "LinkClicked", linkId: 9 },
  personData: { kind: "PersonData", restrictionGroups: [group("personId", "1", "2"), { name: "", description: "d", restrictions: [{ name: "email", operator: "contains", values: ["@x"], interOperator: "Or", interParenthesis: -1, isActive: false, subRestrictions: [{ name: "a", operator: "=" }] }] }] },
  formData: { kind: "FormData", formId: 3, restrictionGroups: [group("field1", "yes")] },
} as const;

/** Every step type, each later field set to something other than its default. */
const EVERY_STEP: RawStep[] = [
  { stepType: "None" },
  { stepType: "SendEmail", shipmentId: 3, subject: "Hi", attachments: [7] },
  { stepType: "SendSMS", from: "ACME", text: "Hello", exit: true },
  { stepType: "WaitForTime", numIntervals: 2, intervalType: "Days", timeWaitAlgorithm: "NumIntervals" },
  {
    stepType: "WaitForAction",
    exitFlow: true, exitToFlowId: 4, exitToSelectionId: 5, actionTimeout: 3, waitForTimeout: true, timeoutIntervalType: "Days",
    actions: [{ actionType: "LinkClicked", restrictionGroups: [group("linkId", "8")] }, { actionType: "FormSubmitted" }],
  },
  {
    stepType: "Split", splitName: "Inner", shipmentId: 6, exitFlow: true, exitToFlowId: 2, exitToSelectionId: 3,
    options: [
      { key: "b", name: "B", rank: 2, steps: [], when: { kind: "SelectionMembership", selectionId: 8 } },
      { key: "a", name: "A", rank: 1, steps: [{ stepType: "None" }], when: { kind: "SelectionMembership", selectionId: 7 } },
    ],
  },
  {
    stepType: "UpdateParticipant", description: "Tag",
    fieldValuesPerson: [{ key: "person.title", currentOperationType: "Set", values: ["CEO"] }],
    fieldValuesCompany: [{ key: "contact.category", values: ["2"], isActive: false }],
  },
  { stepType: "AddToList", selection: 12, project: 4 },
  { stepType: "RemoveFromList", selection: 13 },
  { stepType: "CreateRequest", title: "Call", category: 1, priority: 2, owner: 3, message: "m", requestType: 4, status: 5 },
  {
    stepType: "CreateFollowUp", title: "Follow up", agenda: "a", assignTo: 7, availability: "Busy", completed: true, duration: 30,
    followUpType: 2, project: 9, workflowActionTime: 1, workflowActionTimeUnit: "Hours", workflowActionType: "After", workflowOwnerType: "Specified",
  },
  {
    stepType: "CreateSale", title: "Deal", saleType: 1, stage: 2, amount: 1250.5, currency: 3, description: "d", project: 4,
    date: "2026-05-31T00:00:00", owner: 5, actionType: "After", actionTime: 2, actionTimeUnit: "Weeks", source: 6,
  },
  { stepType: "NotifyByEmail", to: "SpecificEmailAddress", specificEmailAddresses: ["a@x.com"], subject: "S", text: "T" },
  { stepType: "NotifyBySMS", to: "SpecificPhoneNumbers", specificPhoneNumbers: ["+47 1"], from: "ACME", text: "T" },
  { stepType: "RunScript", scriptId: 42 },
  { stepType: "DistributeToOwner", onlyToUnassigned: true, associates: [1, 2], userGroups: [3], defaultAssociate: 1 },
];

const model = (when?: unknown, steps: RawStep[] = EVERY_STEP, key = ""): OptionModel =>
  canonicalOption({ ...place, key, name: "VIP customers", rank: 2, steps, when: when as never });

describe("a flow option both ways", () => {
  it("covers every step type", () => {
    expect(new Set(EVERY_STEP.map((s) => model(undefined, [s]).steps[0]!.stepType))).toEqual(new Set(STEP_TYPE_NAMES));
  });

  it.each(Object.entries(KINDS))("round-trips kind %s with every step type: model → carrier → model", (_name, when) => {
    const option = model(when);
    const carrier = optionToFlowCarrier(option, 77);
    const back = optionFromFlowCarrier(JSON.parse(JSON.stringify(carrier)));
    expect(back.unknown).toEqual([]);
    expect(back.id).toBe(77);
    // The server stores no keys, not even of nested options: code's come back by identity.
    expect(back.option.steps.find((s) => s.stepType === "Split")!.options!.map((o) => o.key)).toEqual(["", ""]);
    const keyed = adoptKeys(back.option, option.key, option);
    expect(keyed).toEqual(option);
    expect(hashOption(keyed)).toBe(hashOption(option));
  });

  it("writes OptionType and the kind's fields, no Key, the current wire names", () => {
    const carrier = optionToFlowCarrier(model(KINDS.selection, EVERY_STEP, "vip"), 0);
    expect(carrier).toMatchObject({ OptionType: "SelectionMembership", SelectionId: 12, WorkflowStepOptionId: 0, WorkflowStepId: 844, WorkflowId: 679, Name: "VIP customers", Rank: 2 });
    expect(carrier).not.toHaveProperty("Key");
    const step = (type: string) => carrier.Steps.find((s) => s.StepType === type)!;
    expect(step("CreateFollowUp")).toMatchObject({ Owner: 7, ActionTime: 1, ActionTimeUnit: "Hours", ActionType: "After", OwnerType: "Specified" });
    expect(step("CreateFollowUp")).not.toHaveProperty("AssignTo");
    expect(step("CreateRequest")).toMatchObject({ TicketStatus: 5 });
    expect(step("CreateRequest")).not.toHaveProperty("Status");
    expect(step("UpdateParticipant")).toMatchObject({ Description: "Tag" });
    expect(step("Split")).toMatchObject({ SplitOptionType: "SelectionMembership", SplitName: "Inner" });
    expect(step("Split").Options!.map((o) => [o.OptionType, o.SelectionId, o.Name])).toEqual([["SelectionMembership", 7, "A"], ["SelectionMembership", 8, "B"]]);
    expect(carrier.Steps.map((s) => s.Rank)).toEqual(EVERY_STEP.map((_, i) => i + 1));
    expect(optionToFlowCarrier(model(undefined), 0).OptionType).toBe("None");
  });

  it("writes a field renamed on the wire the old way to a server that still spells it so", () => {
    const option = model(undefined, [{ stepType: "CreateRequest", title: "T", status: 5 }]);
    const previous = { Steps: [{ WorkflowStepId: 30, StepType: "CreateRequest", Status: 1 }] };
    expect(optionToFlowCarrier(option, 9, previous).Steps[0]).toMatchObject({ WorkflowStepId: 30, Status: 5 });
    expect(optionToFlowCarrier(option, 9, previous).Steps[0]).not.toHaveProperty("TicketStatus");
  });

  it("leaves later fields at their default to the server, and writes every 10.2 field", () => {
    const carrier = optionToFlowCarrier(model(undefined, [{ stepType: "SendSMS" }, { stepType: "AddToList", selection: 1 }]), 0);
    expect(carrier.Steps[0]).toEqual({ WorkflowStepId: 0, WorkflowId: 679, StepType: "SendSMS", Rank: 1 });
    expect(carrier.Steps[1]).toEqual({ WorkflowStepId: 0, WorkflowId: 679, StepType: "AddToList", Rank: 2, Selection: 1, Project: 0 });
  });
});

describe("reading what a current server answers", () => {
  const SERVER = {
    OptionType: 5, WorkflowStepOptionId: 77, WorkflowStepId: 844, WorkflowId: 679, Name: "VIP customers", Rank: 2,
    SelectionId: 12, ProjectId: 0, TableRight: { Mask: "Full" }, FieldProperties: {},
    Steps: [
      { WorkflowStepId: 9001, WorkflowId: 679, StepType: "SendSMS", Rank: 2, From: "", Text: "Hi", Exit: false, TableRight: null },
      {
        WorkflowStepId: 9000, WorkflowId: 679, StepType: 10, Rank: 1, Title: "T", Agenda: "", Owner: 0, Availability: "", Completed: false,
        Duration: 0, FollowUpType: 0, Project: 0, ActionTime: 0, ActionTimeUnit: "None", ActionType: "None", OwnerType: "None",
      },
      { WorkflowStepId: 9002, StepType: "DistributeToOwner", Rank: 3, OnlyToUnassigned: false, Associates: [4], UserGroups: [], DistributeQueue: [4, 4], DefaultAssociate: 0 },
      { WorkflowStepId: 9003, StepType: "CreateSale", Rank: 4, Title: "", Amount: 0, Date: "0001-01-01T00:00:00", ActionType: "None", Mystery: 1 },
    ],
  };

  it("reads numbers as enums, the kind's fields, defaults as left out, and reports what it cannot express", () => {
    const { option, id, unknown } = optionFromFlowCarrier(SERVER);
    expect(id).toBe(77);
    expect(option).toEqual(
      canonicalOption({
        ...place, key: "", name: "VIP customers", rank: 2, when: { kind: "SelectionMembership", selectionId: 12 },
        steps: [{ stepType: "CreateFollowUp", title: "T" }, { stepType: "SendSMS", text: "Hi" }, { stepType: "DistributeToOwner", associates: [4] }, { stepType: "CreateSale" }],
      }),
    );
    expect(unknown).toEqual(["Steps[3].Mystery"]);
  });

  it("reports another kind's field that holds a value, and refuses an unknown OptionType naming where", () => {
    expect(optionFromFlowCarrier({ ...SERVER, Steps: [], LinkId: 4 }).unknown).toEqual(["LinkId"]);
    expect(() => optionFromFlowCarrier({ ...SERVER, OptionType: "Scoring" })).toThrow('unknown OptionType "Scoring"');
    const nested = { ...SERVER, Steps: [{ StepType: "Split", Options: [{ OptionType: 99, Steps: [] }] }] };
    expect(() => optionFromFlowCarrier(nested)).toThrow("Steps[0].Options[0]: unknown OptionType 99");
    expect(() => optionFromFlowCarrier({ ...SERVER, Steps: [{ StepType: "Teleport" }] })).toThrow('Steps[0]: unknown StepType "Teleport"');
  });

  it("gives the server back what it keeps for itself, and lends step and nested option ids", () => {
    const { option } = optionFromFlowCarrier(SERVER);
    const carrier = optionToFlowCarrier(option, 77, SERVER);
    expect(carrier.Steps.map((s) => s.WorkflowStepId)).toEqual([9000, 9001, 9002, 9003]);
    expect(carrier.Steps[2]).toMatchObject({ DistributeQueue: [4, 4], Associates: [4] });
    expect(carrier.Steps[0]).toMatchObject({ ActionType: "None", OwnerType: "None" });

    const withSplit = model(undefined, [EVERY_STEP[5]!]);
    const first = optionToFlowCarrier(withSplit, 5);
    const answered = JSON.parse(JSON.stringify(first));
    answered.Steps[0].WorkflowStepId = 500;
    answered.Steps[0].Options.forEach((o: { WorkflowStepOptionId: number }, i: number) => (o.WorkflowStepOptionId = 60 + i));
    const again = optionToFlowCarrier(withSplit, 5, { ...answered, Steps: [{ ...answered.Steps[0], Options: [...answered.Steps[0].Options].reverse() }] });
    expect(again.Steps[0]!.Options!.map((o) => [o.Name, o.WorkflowStepOptionId, o.WorkflowStepId])).toEqual([["A", 60, 500], ["B", 61, 500]]);
  });

  it("lends wait-for action ids by position", () => {
    const option = model(undefined, [EVERY_STEP[4]!]);
    const previous = { Steps: [{ WorkflowStepId: 3, StepType: "WaitForAction", Actions: [{ WorkflowWaitForActionId: 70, Rank: 1 }, { WorkflowWaitForActionId: 71, Rank: 2 }] }] };
    const actions = optionToFlowCarrier(option, 1, previous).Steps[0]!.Actions as { WorkflowWaitForActionId: number; Rank: number; ActionType: string }[];
    expect(actions.map((a) => [a.WorkflowWaitForActionId, a.Rank, a.ActionType])).toEqual([[70, 1, "LinkClicked"], [71, 2, "FormSubmitted"]]);
  });
});

describe("fields that are text on 10.2 and an enum on the current generation", () => {
  const followUp = (fields: Record<string, unknown>) => model(undefined, [{ stepType: "CreateFollowUp", title: "F", ...fields }], "k");

  it("write the model's default as the enum's first value, and read it back as the default", () => {
    const carrier = optionToFlowCarrier(followUp({}), 0);
    expect(carrier.Steps[0]).toMatchObject({ Availability: "Busy", ActionType: "None", OwnerType: "None" });
    expect(optionFromFlowCarrier(carrier).option.steps[0]).toEqual(followUp({}).steps[0]);
    // Numbers, as a server without the string converter sends them.
    const numeric = { ...carrier, Steps: [{ ...carrier.Steps[0], Availability: 1, OwnerType: 2, ActionType: 0 }] };
    expect(optionFromFlowCarrier(numeric).option.steps[0]).toMatchObject({ availability: "Free", workflowOwnerType: "OurContact", workflowActionType: "" });
  });

  it("take the reference's spelling where the wire cannot tell it from the default", () => {
    const busy = followUp({ availability: "Busy", workflowOwnerType: "None" });
    const live = optionFromFlowCarrier(optionToFlowCarrier(busy, 1)).option;
    expect(live.steps[0]).toMatchObject({ availability: "", workflowOwnerType: "" });
    expect(adoptKeys(live, "k", busy)).toEqual(busy);
    expect(adoptKeys(live, "k", followUp({}))).toEqual(followUp({}));
  });
});

describe("a split option as the flow adapter reads it", () => {
  it("is placed in the split it was listed under, or unreadable with why", async () => {
    const { readFlowSplitOption } = await import("../../src/model/split.js");
    const carrier = optionToFlowCarrier(model(KINDS.link, []), 5);
    expect(readFlowSplitOption(carrier, 7, 70)).toMatchObject({ id: 5, unknownFields: [], option: { key: "", workflowId: 7, workflowStepId: 70, when: { linkId: 9 } } });
    expect(readFlowSplitOption({ ...carrier, OptionType: "Scoring" }, 7, 70)).toEqual({ id: 5, unknownFields: [], unreadable: 'unknown OptionType "Scoring"' });
  });
});

describe("a 10.2 option on the current generation", () => {
  const OLD = canonicalOption({
    ...place, key: "vip", name: "VIP", rank: 1,
    steps: [
      { stepType: "SendEmail", shipmentId: 3 },
      { stepType: "CreateFollowUp", title: "F", assignTo: 4, workflowActionType: "", workflowOwnerType: "", workflowActionTimeUnit: "Days" },
      { stepType: "CreateRequest", title: "R", status: 2 },
      { stepType: "UpdateContact" },
      { stepType: "Split", options: [{ key: "x", name: "X", rank: 1, steps: [{ stepType: "SendSMS" }] }] },
    ],
  });

  it("converts to the 12 carrier and back to the same model, except keys", () => {
    const back = optionFromFlowCarrier(optionToFlowCarrier(OLD, 0)).option;
    expect(back.key).toBe("");
    expect(adoptKeys(back, "vip", OLD)).toEqual(OLD);
    expect(hashOption(adoptKeys(back, "vip", OLD))).toBe(hashOption(OLD));
    // And the 10.2 carrier still says what it said.
    expect(optionFromCarrier(optionToCarrier(OLD, 1)).option).toEqual(OLD);
  });
});

describe("identity without a server Key", () => {
  it("is kind + target + name", () => {
    expect(optionIdentity({ name: "VIP customers", when: { kind: "SelectionMembership", selectionId: 12 } })).toBe("SelectionMembership:12:VIP customers");
    expect(optionIdentity({ name: "Everyone" })).toBe("None::Everyone");
    expect(optionIdentity(model(KINDS.formData))).toBe(
      'FormData:3:[{"description":"","name":"G","restrictions":[{"interOperator":"And","interParenthesis":0,"isActive":true,"name":"field1","operator":"=","subRestrictions":[],"values":["yes"]}]}]:VIP customers',
    );
  });

  it("serialises restriction groups stably, whatever order or casing they were given in", () => {
    const a = model({ kind: "PersonData", restrictionGroups: [{ restrictions: [{ operator: "=", name: "x", values: ["1"] }], name: "G" }] });
    const b = model({ kind: "PersonData", restrictionGroups: [{ Name: "G", Restrictions: [{ Name: "x", Values: ["1"], Operator: "=", InterOperator: 1 }] }] });
    expect(optionIdentity(a)).toBe(optionIdentity(b));
  });

  it("names the split's option type after its options' kind", () => {
    expect(splitOptionTypeOf([{}, { when: { kind: "LinkClicked", linkId: 1 } }])).toBe("LinkClicked");
    expect(splitOptionTypeOf([{}])).toBe("None");
  });

  it("adopts nested keys by identity, and leaves a nested option without a match keyless", () => {
    const desired = model(undefined, [EVERY_STEP[5]!], "vip");
    const live = optionFromFlowCarrier(optionToFlowCarrier(desired, 1)).option;
    expect(adoptKeys(live, "vip", desired)).toEqual(desired);
    const renamed = { ...desired, steps: [{ ...desired.steps[0]!, options: desired.steps[0]!.options!.map((o) => (o.key === "a" ? { ...o, name: "A2" } : o)) }] };
    const keys = adoptKeys(live, "vip", renamed).steps[0]!.options!.map((o) => o.key);
    expect(keys).toEqual(["", "b"]);
  });
});
