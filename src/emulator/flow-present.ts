/**
 * What a 12.x server answers (generation 12): flows in the EmailFlow carrier's order with
 * `TableRight` and `FieldProperties`; steps and options as stored, options without a Key and,
 * as `WorkflowStepOptionBase` is no carrier in the 12.4 client, without TableRight either.
 * Fields the emulator kept as sent come after the known ones.
 */
import { FLOW_FIELDS, MIN_DATE, OPTION_KIND_FIELDS, currentStepFields, defaultCurrentValue, type CurrentStepType, type SplitOptionType } from "./flow-schema.js";
import { FLOW_FIELD_PROPERTIES, TABLE_RIGHT } from "./present.js";
import type { FlowRecord, OptionRecord, StepRecord } from "./records.js";

/** The options of a flow's own Split step (the store keeps them apart from the flow). */
export type OptionsOfSplit = (splitId: number) => readonly OptionRecord[];

export function presentCurrentOption(o: OptionRecord): Record<string, unknown> {
  // Records made on 12 carry Key "" only so that both generations' records have one type.
  const { Key: _key, OptionType, WorkflowStepOptionId, WorkflowStepId, WorkflowId, Name, Rank, Steps, ...rest } = o;
  return {
    OptionType: OptionType ?? "None",
    WorkflowStepOptionId,
    WorkflowStepId,
    WorkflowId,
    Name,
    Rank,
    Steps: Steps.map((s) => presentCurrentStep(s)),
    ...rest,
  };
}

/** A step; a Split carries `Options` (its own nested ones, or `splitOptions` for a flow's split). */
export function presentCurrentStep(s: StepRecord, splitOptions?: readonly OptionRecord[]): Record<string, unknown> {
  const { Options, ...rest } = s;
  if (s.StepType !== "Split") return rest;
  return { ...rest, Options: (splitOptions ?? Options ?? []).map(presentCurrentOption) };
}

export function presentCurrentFlow(flow: FlowRecord, optionsOf: OptionsOfSplit): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name] of FLOW_FIELDS) {
    out[name] = name === "Steps" ? flow.Steps.map((s) => presentCurrentStep(s, s.StepType === "Split" ? optionsOf(s.WorkflowStepId) : undefined)) : flow[name];
  }
  // The record's WorkflowId is the emulator's: the EmailFlow carrier has none.
  for (const [name, value] of Object.entries(flow)) if (!(name in out) && name !== "WorkflowId") out[name] = value;
  return { ...out, TableRight: TABLE_RIGHT, FieldProperties: FLOW_FIELD_PROPERTIES };
}

/** CreateDefaultEmailFlow: every field at its default, no steps. */
export function blankCurrentFlow(): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, kind] of FLOW_FIELDS) {
    if (kind.type !== "bound" && kind.type !== "server") record[name] = defaultCurrentValue(kind);
  }
  Object.assign(record, { WorkflowId: 0, EmailFlowId: 0, Name: "", Steps: [], ContentInfo: [], CreatedBy: null, UpdatedBy: null, CreatedDate: MIN_DATE, UpdatedDate: MIN_DATE });
  return presentCurrentFlow(record as FlowRecord, () => []);
}

/** CreateDefaultWorkflowStepFromType: every field of the type at its default. */
export function blankCurrentStep(type: CurrentStepType): Record<string, unknown> {
  const step: Record<string, unknown> = { WorkflowStepId: 0, WorkflowId: 0, StepType: type, Rank: 0 };
  for (const [name, kind] of Object.entries(currentStepFields(type))) step[name] = defaultCurrentValue(kind);
  if (type === "Split") step.Options = [];
  return step;
}

/** CreateDefaultWorkflowStepOptionFromType: the kind's carrier with every field at its default. */
export function blankCurrentOption(type: SplitOptionType): Record<string, unknown> {
  const kind = Object.fromEntries(Object.entries(OPTION_KIND_FIELDS[type]).map(([name, k]) => [name, defaultCurrentValue(k)]));
  return presentCurrentOption({ OptionType: type, WorkflowStepOptionId: 0, WorkflowStepId: 0, WorkflowId: 0, Key: "", Name: "", Rank: 0, Steps: [], ...kind });
}
