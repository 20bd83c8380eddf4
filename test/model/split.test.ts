/** Reading a Split step carrier: the one check refresh and import share. */
import { describe, expect, it } from "vitest";
import { readSplitOption, readSplitStep } from "../../src/model/split.js";

describe("readSplitStep", () => {
  it("returns the option carriers of a Split, in any casing, as sent", () => {
    const options = [{ Key: "a" }, { key: "b" }];
    expect(readSplitStep({ stepType: "split", WorkflowId: 7, Options: options }, 7)).toEqual({ ok: true, options });
    expect(readSplitStep({ StepType: 5, WorkflowId: 0 }, 7)).toEqual({ ok: true, options: [] });
  });

  it("says what is wrong as data: another step type, another workflow", () => {
    expect(readSplitStep({ StepType: "AddToList" }, 7)).toEqual({ ok: false, problem: { code: "not-a-split", stepType: "AddToList" } });
    expect(readSplitStep({}, 7)).toEqual({ ok: false, problem: { code: "not-a-split", stepType: undefined } });
    expect(readSplitStep({ StepType: "Split", WorkflowId: 8 }, 7)).toEqual({ ok: false, problem: { code: "wrong-workflow", stepWorkflowId: 8 } });
  });
});

describe("readSplitOption", () => {
  it("places the option in the split it was listed under", () => {
    const read = readSplitOption({ WorkflowStepOptionId: 3, WorkflowStepId: 99, WorkflowId: 98, Key: "a", Name: "A", Rank: 1, Steps: [] }, 7, 70);
    expect(read).toMatchObject({ id: 3, unknownFields: [], option: { key: "a", workflowId: 7, workflowStepId: 70 } });
    expect(read.unreadable).toBeUndefined();
  });

  it("reports fields the model cannot express and step types it does not know", () => {
    expect(readSplitOption({ WorkflowStepOptionId: 3, Steps: [{ StepType: "None", Colour: "red" }] }, 7, 70).unknownFields).toEqual(["Steps[0].colour"]);
    const read = readSplitOption({ WorkflowStepOptionId: 4, Steps: [{ StepType: "Teleport" }] }, 7, 70);
    expect(read).toEqual({ id: 4, unknownFields: [], unreadable: 'Steps[0]: unknown StepType "Teleport"' });
  });
});
