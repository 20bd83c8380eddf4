/**
 * Reading a Split step as the server answers it (`GetWorkflowStep`, or a step of `GetEmailFlow`):
 * whether it is a Split of the expected workflow, and its options. Refresh and import both read
 * splits through here; what is wrong comes back as data, and each caller words it.
 */
import { caseInsensitive, caseInsensitiveGet } from "./carrier.js";
import { optionFromFlowCarrier } from "./flow.js";
import { optionFromCarrier, placedOption, type OptionModel } from "./option.js";
import { resolveStepType } from "./steps.js";

export type SplitStepProblem =
  /** The step is of another type; `stepType` as the server sent it (absent: undefined). */
  | { readonly code: "not-a-split"; readonly stepType: unknown }
  /** The step says it belongs to another workflow. */
  | { readonly code: "wrong-workflow"; readonly stepWorkflowId: number };

export type SplitStepRead =
  /** `options`: the option carriers as the server sent them (none when it sent no list). */
  | { readonly ok: true; readonly options: readonly unknown[] }
  | { readonly ok: false; readonly problem: SplitStepProblem };

/**
 * The Split steps of an EmailFlow carrier (`GetEmailFlow`), in step id order, each with its id
 * (0 when the server sent none). Only the flow's own Split steps have addressable options;
 * splits nested inside an option are part of that option's steps.
 */
export function flowSplitSteps(flow: unknown): { readonly workflowStepId: number; readonly step: unknown }[] {
  const steps = flow === null || flow === undefined ? undefined : caseInsensitiveGet(flow, "steps");
  return (Array.isArray(steps) ? steps : [])
    .filter((s) => resolveStepType(caseInsensitiveGet(s, "steptype")) === "Split")
    .map((step) => {
      const id = caseInsensitiveGet(step, "workflowstepid");
      return { workflowStepId: typeof id === "number" ? id : 0, step };
    })
    .sort((a, b) => a.workflowStepId - b.workflowStepId);
}

export function readSplitStep(step: unknown, workflowId: number): SplitStepRead {
  const s = caseInsensitive(step);
  if (resolveStepType(s.get("steptype")) !== "Split") return { ok: false, problem: { code: "not-a-split", stepType: s.get("steptype") } };
  // 0 or absent: the server did not say, which is no contradiction.
  const stepWorkflow = s.get("workflowid");
  if (typeof stepWorkflow === "number" && stepWorkflow !== 0 && stepWorkflow !== workflowId) {
    return { ok: false, problem: { code: "wrong-workflow", stepWorkflowId: stepWorkflow } };
  }
  const options = s.get("options");
  return { ok: true, options: Array.isArray(options) ? options : [] };
}

export interface SplitOptionRead {
  /** `WorkflowStepOptionId`; 0 when the carrier has none. */
  readonly id: number;
  /** The option in the model, placed in the split it was listed under; absent when unreadable. */
  readonly option?: OptionModel;
  /** Fields the model cannot express, as `Steps[2].foo`. */
  readonly unknownFields: readonly string[];
  /** Why the option cannot be read into the model (a step type it does not know, with its path). */
  readonly unreadable?: string;
}

/** One option carrier of a split (10.2: `WorkflowStepOption`), converted to the model. */
export function readSplitOption(carrier: unknown, workflowId: number, workflowStepId: number): SplitOptionRead {
  return readWith(optionFromCarrier, carrier, workflowId, workflowStepId);
}

/**
 * One option carrier of a split of the current generation (`WorkflowStepOptionBase`, no Key: the
 * option's key is "", see adoptKeys in flow.ts), converted to the model.
 */
export function readFlowSplitOption(carrier: unknown, workflowId: number, workflowStepId: number): SplitOptionRead {
  return readWith(optionFromFlowCarrier, carrier, workflowId, workflowStepId);
}

function readWith(
  convert: (carrier: unknown) => { id: number; option: OptionModel; unknown: string[] },
  carrier: unknown,
  workflowId: number,
  workflowStepId: number,
): SplitOptionRead {
  let converted: ReturnType<typeof convert>;
  try {
    converted = convert(carrier);
  } catch (err) {
    const id = caseInsensitiveGet(carrier, "workflowstepoptionid");
    return { id: typeof id === "number" && Number.isInteger(id) ? id : 0, unknownFields: [], unreadable: (err as Error).message };
  }
  // The split's own ids win over whatever the option carries: it was listed under this split.
  return { id: converted.id, option: placedOption(converted.option, workflowId, workflowStepId), unknownFields: converted.unknown };
}
