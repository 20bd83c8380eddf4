import { describe, expect, it } from "vitest";
import { canonicalOption, type OptionModel } from "../../src/model/option.js";
import { mergeOption, type MergeChoices } from "../../src/plan/fields.js";

function option(name: string, subject = "Welcome", rank = 1): OptionModel {
  return canonicalOption({ workflowId: 679, workflowStepId: 844, key: "vip", name, rank, steps: [{ stepType: "SendEmail", shipmentId: 3, subject }] });
}

const base = option("VIP");
const merge = (code: OptionModel, server: OptionModel, choices: MergeChoices, codeRef = base) => mergeOption({ base, codeRef, code, server }, choices);
const summary = (m: ReturnType<typeof mergeOption>) => m.fields.map((f) => `${f.field} ${f.kind} ${f.outcome}`);

describe("mergeOption", () => {
  it("finds nothing when all three agree", () => {
    const m = merge(base, base, { drift: "revert" });
    expect(m.fields).toEqual([]);
    expect(m.send).toEqual(base);
  });

  it("a field changed only in code is an update: the code's value is sent and recorded", () => {
    const code = option("VIP customers");
    const m = merge(code, base, { drift: "report" });
    expect(summary(m)).toEqual(["name update sent"]);
    expect(m.send).toEqual(code);
    expect(m.record).toEqual(code);
  });

  it("a field changed only on the server is drift: revert sends the code's, report keeps it unrecorded, adopt records it", () => {
    const server = option("Renamed in the UI");
    const revert = merge(base, server, { drift: "revert" });
    expect(summary(revert)).toEqual(["name drift sent"]);
    expect(revert.send).toEqual(base);
    const report = merge(base, server, { drift: "report" });
    expect(summary(report)).toEqual(["name drift kept"]);
    expect([report.send, report.record]).toEqual([server, base]);
    const adopt = merge(base, server, { drift: "adopt" });
    expect(summary(adopt)).toEqual(["name drift adopted"]);
    expect([adopt.send, adopt.record, adopt.codeRecord]).toEqual([server, server, base]);
  });

  it("different fields on each side are both kept unless drift is reverted", () => {
    const code = option("VIP", "Hello");
    const server = option("Renamed in the UI");
    const m = merge(code, server, { drift: "report" });
    expect(summary(m)).toEqual(["name drift kept", "steps update sent"]);
    expect(m.send).toEqual(option("Renamed in the UI", "Hello"));
    expect(m.record).toEqual(option("VIP", "Hello"));
    expect(merge(code, server, { drift: "revert" }).send).toEqual(code);
  });

  it("the same field changed on both sides to different values is a conflict until a side is chosen", () => {
    const code = option("Code");
    const server = option("UI");
    const held = merge(code, server, { drift: "revert" });
    expect(held.conflict).toBe(true);
    expect(held.fields).toEqual([{ field: "name", kind: "conflict", base: "VIP", code: "Code", server: "UI", outcome: "held" }]);
    const preferCode = merge(code, server, { drift: "report", preferCode: true });
    expect([preferCode.conflict, preferCode.send]).toEqual([false, code]);
    const refresh = merge(code, server, { drift: "revert", refreshOnly: true });
    expect([refresh.conflict, refresh.send, refresh.record, refresh.codeRecord]).toEqual([false, server, server, code]);
  });

  it("the same change on both sides is no conflict", () => {
    const both = option("Same");
    const m = merge(both, both, { drift: "revert" });
    expect(m.fields).toEqual([]);
    expect(m.record).toEqual(both);
  });

  it("after an adoption, a field is changed in code only when it moves away from the code's version recorded with it", () => {
    const adopted = option("UI");
    const m = mergeOption({ base: adopted, codeRef: base, code: base, server: adopted }, { drift: "revert" });
    // Not sent, not drift: said, so the code can be brought up to the server.
    expect(summary(m)).toEqual(["name behind kept"]);
    expect(m.send).toEqual(adopted);
    const edited = mergeOption({ base: adopted, codeRef: base, code: option("Code again"), server: adopted }, { drift: "revert" });
    expect(summary(edited)).toEqual(["name update sent"]);
  });

  it("under --refresh-only a code change waits and stays a code change", () => {
    const code = option("VIP customers");
    const m = merge(code, base, { drift: "revert", refreshOnly: true });
    expect(summary(m)).toEqual(["name update held"]);
    expect([m.send, m.record, m.codeRecord]).toEqual([base, base, base]);
  });
});
