/** The canonical option model: one form for code, state and server; stable, sorted, hashed. */
import { describe, expect, it } from "vitest";
import {
  canonicalOption,
  canonicalStep,
  hashOption,
  optionAddress,
  optionFromCarrier,
  optionToCarrier,
  parseAddress,
  serializeOption,
  type OptionModel,
} from "../../src/model/option.js";

const base = { workflowId: 679, workflowStepId: 844, key: "vip", name: "VIP", rank: 1 };

/** A server answer: PascalCase, server-only fields, steps out of rank order, enums in any case. */
const SERVER = {
  WorkflowStepOptionId: 77,
  WorkflowStepId: 844,
  WorkflowId: 679,
  Key: "vip",
  Name: "VIP",
  Rank: 1,
  TableRight: { Mask: "Full" },
  FieldProperties: {},
  Steps: [
    { WorkflowStepId: 9001, WorkflowId: 679, StepType: "waitfortime", Rank: 2, NumIntervals: 2, IntervalType: "days", TimeWaitAlgorithm: "NumIntervals", Until: null, TableRight: null },
    { WorkflowStepId: 9000, WorkflowId: 679, StepType: 1, Rank: 1, ShipmentId: 3, Subject: "Hi", Attachments: [5], Mystery: true },
    {
      WorkflowStepId: 9002, WorkflowId: 679, StepType: "Split", Rank: 3,
      Options: [
        { WorkflowStepOptionId: 12, Key: "b", Name: "B", Rank: 2, Steps: [] },
        { WorkflowStepOptionId: 11, Key: "a", Name: "A", Rank: 1, Steps: [{ WorkflowStepId: 9100, StepType: "UpdateParticipant", Rank: 1 }] },
      ],
    },
  ],
};

// Keys in sorted order, as the model builds them.
const MODEL: OptionModel = {
  key: "vip",
  name: "VIP",
  rank: 1,
  steps: [
    { attachments: [5], shipmentId: 3, stepType: "SendEmail", subject: "Hi" },
    { intervalType: "Days", numIntervals: 2, stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", until: "" },
    {
      options: [
        { key: "a", name: "A", rank: 1, steps: [{ stepType: "UpdateContact" }] },
        { key: "b", name: "B", rank: 2, steps: [] },
      ],
      stepType: "Split",
    },
  ],
  workflowId: 679,
  workflowStepId: 844,
};

describe("addresses", () => {
  it("round-trip, keys with slashes included", () => {
    expect(optionAddress(base)).toBe("679/844/vip");
    expect(parseAddress("679/844/vip")).toEqual({ workflowId: 679, workflowStepId: 844, key: "vip" });
    expect(parseAddress(optionAddress({ ...base, key: "a/b" }))).toEqual({ workflowId: 679, workflowStepId: 844, key: "a/b" });
  });

  it.each(["", "679/vip", "x/844/vip", "679/844"])("rejects %j", (address) => {
    expect(parseAddress(address)).toBeUndefined();
  });
});

describe("canonical steps", () => {
  it("fills in defaults, sorts keys, resolves aliases and enum case", () => {
    const step = canonicalStep({ stepType: "updateparticipant" });
    expect(step).toEqual({ stepType: "UpdateContact" });
    const wait = canonicalStep({ stepType: "WaitForTime", numIntervals: 1, intervalType: "weeks", timeWaitAlgorithm: "numintervals" });
    expect(JSON.stringify(wait)).toBe('{"intervalType":"Weeks","numIntervals":1,"stepType":"WaitForTime","timeWaitAlgorithm":"NumIntervals","until":""}');
  });

  it("copies lists instead of sharing them", () => {
    const attachments = [1, 2];
    const step = canonicalStep({ stepType: "SendEmail", shipmentId: 1, attachments });
    attachments.push(3);
    expect(step.attachments).toEqual([1, 2]);
  });

  it("throws for an unknown step type", () => {
    expect(() => canonicalStep({ stepType: "Teleport" })).toThrow('unknown StepType "Teleport"');
  });
});

describe("from the server", () => {
  it("drops server-only fields, orders steps by rank and nested options by rank", () => {
    const { option, id, unknown } = optionFromCarrier(SERVER);
    expect(id).toBe(77);
    expect(option).toEqual(MODEL);
    expect(serializeOption(option)).toBe(serializeOption(MODEL));
    expect(unknown).toEqual(["Steps[0].mystery"]);
  });

  it("reads property names case-insensitively", () => {
    const lowerKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(lowerKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), lowerKeys(x)])) : v;
    const lower = lowerKeys(SERVER);
    expect(optionFromCarrier(lower).option).toEqual(MODEL);
  });

  it("reads enum fields sent as numbers as their names, like StepType", () => {
    const numeric = { ...SERVER, Steps: SERVER.Steps.map((st) => (st.StepType === "waitfortime" ? { ...st, StepType: 3, IntervalType: 5, TimeWaitAlgorithm: 1 } : st)) };
    expect(optionFromCarrier(numeric).option).toEqual(MODEL);
  });

  it("keeps array order for steps without Rank", () => {
    const { option } = optionFromCarrier({ ...SERVER, Steps: [{ StepType: "None" }, { StepType: "SendSMS" }, { StepType: "RunScript" }] });
    expect(option.steps.map((s) => s.stepType)).toEqual(["None", "SendSMS", "RunScript"]);
  });

  it("throws for an unknown step type, naming where", () => {
    expect(() => optionFromCarrier({ ...SERVER, Steps: [{ StepType: 99 }] })).toThrow("Steps[0]: unknown StepType 99");
  });
});

describe("to the server", () => {
  it("spells a step type as the server did (UpdateParticipant on 10.2.9), UpdateContact otherwise", () => {
    const model = canonicalOption({ workflowId: 1, workflowStepId: 2, key: "k", name: "K", rank: 1, steps: [{ stepType: "UpdateParticipant" }] });
    expect(optionToCarrier(model, 0).Steps![0]!.StepType).toBe("UpdateContact");
    const previous = { Steps: [{ WorkflowStepId: 40, StepType: "UpdateParticipant" }] };
    expect(optionToCarrier(model, 9, previous).Steps![0]).toMatchObject({ StepType: "UpdateParticipant", WorkflowStepId: 40 });
  });

  it("sends every field in PascalCase, ranks by position, id 0 to create", () => {
    const carrier = optionToCarrier(MODEL, 0);
    expect(carrier).toMatchObject({ WorkflowStepOptionId: 0, WorkflowStepId: 844, WorkflowId: 679, Key: "vip", Name: "VIP", Rank: 1 });
    expect(carrier.Steps![0]).toEqual({ WorkflowStepId: 0, WorkflowId: 679, StepType: "SendEmail", Rank: 1, Subject: "Hi", Attachments: [5], ShipmentId: 3 });
    expect(carrier.Steps!.map((s) => s.Rank)).toEqual([1, 2, 3]);
  });

  it("keeps the server's step and nested option ids for steps of the same type at the same run position", () => {
    const carrier = optionToCarrier(MODEL, 77, SERVER);
    expect(carrier.Steps!.map((s) => s.WorkflowStepId)).toEqual([9000, 9001, 9002]);
    const nested = carrier.Steps![2]!.Options!;
    expect(nested.map((o) => [o.Key, o.WorkflowStepOptionId, o.WorkflowStepId])).toEqual([["a", 11, 9002], ["b", 12, 9002]]);
    expect(nested[0]!.Steps![0]!.WorkflowStepId).toBe(9100);
  });

  it("gives a new id (0) to a step whose type changed at its position", () => {
    const changed: OptionModel = { ...MODEL, steps: [{ stepType: "None" }, ...MODEL.steps.slice(1)] };
    expect(optionToCarrier(changed, 77, SERVER).Steps!.map((s) => s.WorkflowStepId)).toEqual([0, 9001, 9002]);
  });

  it("round-trips: model -> carrier -> model is the same model", () => {
    expect(optionFromCarrier(optionToCarrier(MODEL, 5)).option).toEqual(MODEL);
    expect(optionFromCarrier(optionToCarrier(MODEL, 5)).unknown).toEqual([]);
  });
});

describe("serialisation and hash", () => {
  it("does not depend on the order fields were given in", () => {
    const a = canonicalOption({ ...base, steps: [{ stepType: "SendEmail", subject: "Hi", shipmentId: 3 }] });
    const b = canonicalOption({ steps: [{ shipmentId: 3, subject: "Hi", stepType: "sendemail" }], rank: 1, name: "VIP", key: "vip", workflowStepId: 844, workflowId: 679 });
    expect(serializeOption(a)).toBe(serializeOption(b));
    expect(hashOption(a)).toBe(hashOption(b));
  });

  it("changes with any field, and equals for the server's form of the same option", () => {
    const a = canonicalOption({ ...base, steps: [{ stepType: "SendEmail", shipmentId: 3 }] });
    expect(hashOption(canonicalOption({ ...base, steps: [{ stepType: "SendEmail", shipmentId: 4 }] }))).not.toBe(hashOption(a));
    expect(hashOption(canonicalOption({ ...base, rank: 2, steps: [{ stepType: "SendEmail", shipmentId: 3 }] }))).not.toBe(hashOption(a));
    expect(hashOption(optionFromCarrier(optionToCarrier(MODEL, 1, SERVER)).option)).toBe(hashOption(MODEL));
  });
});

describe("the model before and after option kinds and later fields", () => {
  // Hashed by the model as it was before either existed (commit 4275fcb): existing state files
  // hold this hash, and it must stay valid.
  const KNOWN = {
    workflowId: 679, workflowStepId: 844, key: "vip", name: "VIP customers", rank: 1,
    steps: [
      { stepType: "SendEmail", shipmentId: 3, subject: "Welcome" },
      { stepType: "WaitForTime", numIntervals: 2, intervalType: "Days", timeWaitAlgorithm: "NumIntervals" },
      { stepType: "SendSMS" }, { stepType: "CreateSale" }, { stepType: "UpdateParticipant" }, { stepType: "RunScript" },
      { stepType: "CreateFollowUp", title: "Call", assignTo: 7, workflowActionType: "" },
      { stepType: "CreateRequest", title: "T", status: 2 },
      { stepType: "Split", options: [{ key: "a", name: "A", rank: 1, steps: [{ stepType: "NotifyByEmail" }, { stepType: "WaitForAction" }] }] },
    ],
  };

  it("hashes an option without `when` exactly as before", () => {
    expect(hashOption(canonicalOption(KNOWN))).toBe("ae7830cc4c816d778d038ab912bab942f7a23f53");
    expect(Object.keys(canonicalOption(KNOWN))).toEqual(["key", "name", "rank", "steps", "workflowId", "workflowStepId"]);
  });

  it("leaves later fields out at their default, and keeps them otherwise", () => {
    expect(canonicalStep({ stepType: "SendSMS", text: "", exit: false })).toEqual({ stepType: "SendSMS" });
    expect(JSON.stringify(canonicalStep({ stepType: "SendSMS", text: "Hi", exit: true }))).toBe('{"exit":true,"stepType":"SendSMS","text":"Hi"}');
    expect(JSON.stringify(canonicalStep({ stepType: "NotifyByEmail", to: "ourcontact", subject: "S" }))).toBe('{"stepType":"NotifyByEmail","subject":"S"}');
  });

  it("canonicalises structured values: every field, sorted keys, ranked lists in rank order", () => {
    const step = canonicalStep({
      stepType: "WaitForAction",
      actions: [
        { Rank: 2, ActionType: 2, RestrictionGroups: [] },
        { rank: 1, actionType: "linkclicked", restrictionGroups: [{ restrictions: [{ name: "linkId", operator: "=", values: ["4"] }] }] },
      ],
    });
    expect(JSON.stringify(step)).toBe(
      '{"actions":[{"actionType":"LinkClicked","restrictionGroups":[{"description":"","name":"","restrictions":[{"interOperator":"And","interParenthesis":0,"isActive":true,"name":"linkId","operator":"=","subRestrictions":[],"values":["4"]}]}]},{"actionType":"FormSubmitted","restrictionGroups":[]}],"stepType":"WaitForAction"}',
    );
  });

  it("places `when` between steps and the split's ids, keys sorted", () => {
    const option = canonicalOption({ ...KNOWN, steps: [], when: { kind: "SelectionMembership", selectionId: 12 } });
    expect(Object.keys(option)).toEqual(["key", "name", "rank", "steps", "when", "workflowId", "workflowStepId"]);
    expect(JSON.stringify(option.when)).toBe('{"kind":"SelectionMembership","selectionId":12}');
    const formData = canonicalOption({ ...KNOWN, steps: [], when: { kind: "FormData", formId: 3, restrictionGroups: [{ restrictions: [] }] } });
    expect(Object.keys(formData.when!)).toEqual(["formId", "kind", "restrictionGroups"]);
    expect(hashOption(option)).not.toBe(hashOption(canonicalOption({ ...KNOWN, steps: [] })));
  });
});
