/** The step-type table: how StepTypes resolve, and what the server fills in for a missing field. */
import { describe, expect, it } from "vitest";
import { pascalCase } from "../../src/model/carrier.js";
import {
  STEP_TABLE,
  STEP_TYPES,
  STEP_TYPE_NAMES,
  allStepFields,
  defaultFieldValue,
  omittedAtDefault,
  resolveStepType,
  stepFields,
  stepTypeSpec,
} from "../../src/model/steps.js";
import { compareVersions, isAfterPerOptionApi, parseVersion } from "../../src/model/versions.js";

describe("resolveStepType", () => {
  it("knows the 16 step types by their numbers 0-15", () => {
    expect(STEP_TYPE_NAMES.map((n) => STEP_TYPES[n].number)).toEqual([...Array(16).keys()]);
    for (const name of STEP_TYPE_NAMES) expect(resolveStepType(STEP_TYPES[name].number)).toBe(name);
  });

  it.each([
    ["SendEmail", "SendEmail"],
    ["sendemail", "SendEmail"],
    [" WAITFORTIME ", "WaitForTime"],
    ["UpdateParticipant", "UpdateContact"],
    ["updateparticipant", "UpdateContact"],
    ["6", "UpdateContact"],
    [" 3 ", "WaitForTime"],
    [14, "RunScript"],
    ["distributetoowner", "DistributeToOwner"],
    [15, "DistributeToOwner"],
  ])("resolves %j to %s", (input, expected) => {
    expect(resolveStepType(input)).toBe(expected);
  });

  it.each([["Teleport"], [16], [-1], ["16"], [""], [null], [undefined], [{}], [1.5]])("does not resolve %j", (input) => {
    expect(resolveStepType(input)).toBeUndefined();
  });
});

describe("defaultFieldValue", () => {
  it("gives the server's default for each kind", () => {
    expect(defaultFieldValue({ type: "int" })).toBe(0);
    expect(defaultFieldValue({ type: "string" })).toBe("");
    expect(defaultFieldValue({ type: "bool" })).toBe(false);
    expect(defaultFieldValue({ type: "int[]" })).toEqual([]);
    expect(defaultFieldValue({ type: "enum", values: ["None", "Days"] })).toBe("None");
  });

  it("gives a fresh list each time (a default is never shared)", () => {
    const a = defaultFieldValue({ type: "int[]" }) as number[];
    a.push(1);
    expect(defaultFieldValue({ type: "int[]" })).toEqual([]);
  });
});

describe("pascalCase", () => {
  it("turns a model field into its wire name", () => {
    expect(pascalCase("timeWaitAlgorithm")).toBe("TimeWaitAlgorithm");
    expect(pascalCase("shipmentId")).toBe("ShipmentId");
  });
});

describe("the table across server versions", () => {
  it("gives the 10.2 generation exactly the fields it always had", () => {
    const fields = Object.fromEntries(STEP_TYPE_NAMES.map((n) => [n, Object.keys(stepFields(n))]).filter(([, f]) => f!.length));
    expect(fields).toEqual({
      SendEmail: ["subject", "attachments", "shipmentId"],
      WaitForTime: ["timeWaitAlgorithm", "numIntervals", "intervalType", "until"],
      AddToList: ["selection", "project"],
      RemoveFromList: ["selection", "project"],
      CreateRequest: ["title", "category", "priority", "owner", "message", "requestType", "status"],
      CreateFollowUp: [
        "agenda", "assignTo", "availability", "completed", "duration", "followUpType", "project", "title",
        "workflowActionTime", "workflowActionTimeUnit", "workflowActionType", "workflowOwnerType",
      ],
    });
  });

  it("dates every later field with the version that added it, after 10.2.9", () => {
    const later = STEP_TYPE_NAMES.flatMap((n) =>
      Object.entries(allStepFields(n))
        .filter(([, f]) => f.since !== undefined)
        .map(([name, f]) => `${n}.${name} ${f.since}`),
    );
    expect(later).toContain("SendSMS.text 10.2.11");
    expect(later).toContain("CreateSale.title 10.2.10");
    expect(later).toContain("CreateSale.actionType 10.3.1");
    expect(later).toContain("CreateSale.source 10.3.5");
    expect(later).toContain("WaitForAction.actions 10.3.1");
    expect(later).toContain("NotifyByEmail.to 10.3.5");
    expect(later).toContain("NotifyBySMS.specificPhoneNumbers 10.3.6");
    expect(later).toContain("RunScript.scriptId 10.3.6");
    expect(later).toContain("UpdateContact.description 10.3.4");
    expect(later).toContain("UpdateContact.fieldValuesPerson 10.3.1");
    expect(later).toContain("DistributeToOwner.associates 11.2");
    for (const n of STEP_TYPE_NAMES) for (const f of Object.values(allStepFields(n))) if (f.since) expect(omittedAtDefault(f)).toBe(true);
    expect(stepTypeSpec("DistributeToOwner").since).toBe("11.2");
  });

  it("records the wire names renamed on the current generation, keeping the model names", () => {
    const renamed = STEP_TYPE_NAMES.flatMap((n) =>
      Object.entries(allStepFields(n)).flatMap(([name, f]) => (f.renamed ? [`${n}.${name} → ${f.renamed.to} (${f.renamed.since})`] : [])),
    );
    expect(renamed).toEqual([
      "CreateRequest.status → TicketStatus (10.3.3)",
      "CreateFollowUp.assignTo → Owner (10.2.10)",
      "CreateFollowUp.workflowActionTime → ActionTime (10.2.10)",
      "CreateFollowUp.workflowActionTimeUnit → ActionTimeUnit (10.2.10)",
      "CreateFollowUp.workflowActionType → ActionType (10.2.10)",
      "CreateFollowUp.workflowOwnerType → OwnerType (10.2.10)",
    ]);
    expect(Object.keys(STEP_TABLE)).toEqual(STEP_TYPE_NAMES);
  });
});

describe("versions", () => {
  it("compares by component, a missing one counting as 0", () => {
    expect(compareVersions("10.2.11", "10.2.9")).toBeGreaterThan(0);
    expect(compareVersions("11.2", "11.2.0")).toBe(0);
    expect(compareVersions("10.3.1.759", "10.3.2")).toBeLessThan(0);
    expect(parseVersion("12.x")).toBeUndefined();
    expect(() => compareVersions("12.x", "1")).toThrow('not a server version: "12.x"');
    expect(isAfterPerOptionApi("10.2.9")).toBe(false);
    expect(isAfterPerOptionApi("10.2.10")).toBe(true);
    expect(isAfterPerOptionApi(undefined)).toBe(false);
  });
});
