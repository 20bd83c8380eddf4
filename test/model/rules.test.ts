/** The rulebook validation, import and the emulator share: codes and facts, no wording. */
import { describe, expect, it } from "vitest";
import { checkKey, checkName, checkWaitForTime, fitsField, missingRequiredFields, sharedRanks } from "../../src/model/rules.js";

describe("texts", () => {
  it("an empty or blank name or key, and one longer than its column", () => {
    expect(checkName(" ")).toEqual({ code: "empty" });
    expect(checkName("n".repeat(255))).toBeUndefined();
    expect(checkName("n".repeat(256))).toEqual({ code: "too-long", length: 256, max: 255 });
    expect(checkKey("")).toEqual({ code: "empty" });
    expect(checkKey("vip")).toBeUndefined();
  });
});

describe("ranks", () => {
  it("names the first holder of a shared rank and how many share it", () => {
    expect(sharedRanks([1, 2, 1, 3, 1])).toEqual([
      { first: 0, count: 3 },
      undefined,
      { first: 0, count: 3 },
      undefined,
      { first: 0, count: 3 },
    ]);
  });
});

describe("fields", () => {
  it("checks a value against its kind; a value left out is the default", () => {
    expect(fitsField({ type: "int" }, undefined)).toBe(true);
    expect(fitsField({ type: "int" }, -1)).toBe(false);
    expect(fitsField({ type: "int[]" }, [1, 0])).toBe(false);
    expect(fitsField({ type: "enum", values: ["None", "Days"] }, "days")).toBe(false);
  });

  it("lists required fields that hold nothing", () => {
    expect(missingRequiredFields("SendEmail", { shipmentId: 0 })).toEqual(["shipmentId"]);
    expect(missingRequiredFields("AddToList", { selection: 4 })).toEqual([]);
    expect(missingRequiredFields("None", {})).toEqual([]);
  });
});

describe("waitForTime", () => {
  const written = (fields: Record<string, unknown>) => checkWaitForTime(fields, (f) => fields[f] !== undefined);

  it("infers the algorithm from the fields given", () => {
    expect(written({ numIntervals: 2, intervalType: "Days" })).toEqual({ algorithm: "NumIntervals", problems: [] });
    expect(written({ until: "[DT:02/29/2028 00:00:00]" })).toEqual({ algorithm: "UntilSpecified", problems: [] });
    expect(written({})).toEqual({ algorithm: undefined, problems: [{ code: "no-algorithm", algorithm: undefined }] });
  });

  it("reports the facts of each problem", () => {
    expect(written({ until: "[DT:02/30/2027 09:00:00]", intervalType: "Days" }).problems).toEqual([
      { code: "until-not-real", value: "[DT:02/30/2027 09:00:00]" },
      { code: "unused-fields", algorithm: "UntilSpecified", fields: ["intervalType"] },
    ]);
    expect(written({ timeWaitAlgorithm: "NumIntervals", numIntervals: 0 }).problems).toEqual([
      { code: "num-intervals", value: 0 },
      { code: "interval-type", value: undefined },
    ]);
  });

  it("counts as given what the caller says is given (a server's default is not)", () => {
    const step = { timeWaitAlgorithm: "UntilDateField", numIntervals: 0, intervalType: "None", until: "" };
    const notDefault = (f: string) => !["", 0, "None"].includes(step[f as keyof typeof step]);
    expect(checkWaitForTime(step, notDefault)).toEqual({ algorithm: "UntilDateField", problems: [] });
  });
});
