/** The step-type table: how StepTypes resolve, and what the server fills in for a missing field. */
import { describe, expect, it } from "vitest";
import { pascalCase } from "../../src/model/carrier.js";
import { STEP_TYPES, STEP_TYPE_NAMES, defaultFieldValue, resolveStepType } from "../../src/model/steps.js";

describe("resolveStepType", () => {
  it("knows the 15 step types by their numbers 0-14", () => {
    expect(STEP_TYPE_NAMES.map((n) => STEP_TYPES[n].number)).toEqual([...Array(15).keys()]);
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
  ])("resolves %j to %s", (input, expected) => {
    expect(resolveStepType(input)).toBe(expected);
  });

  it.each([["Teleport"], [15], [-1], ["15"], [""], [null], [undefined], [{}], [1.5]])("does not resolve %j", (input) => {
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
