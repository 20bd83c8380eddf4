/**
 * What goes out: carriers in PascalCase with the server-assigned `TableRight` and
 * `FieldProperties` (on options and flows, which are carriers; steps are not), and error
 * bodies in the shapes SuperOffice uses.
 */
import { pascalCase } from "../model/carrier.js";
import { STEP_TYPES, defaultFieldValue, type FieldKind, type StepTypeName } from "../model/steps.js";
import type { FlowRecord, OptionRecord, StepRecord, Store } from "./store.js";

/** Rights as a server grants them to an administrator (shape from captured SaveEmailFlow answers). */
export const TABLE_RIGHT = Object.freeze({ Mask: "Select, Update, Insert, Delete", Reason: "" });

export function fieldProperty(fieldType: string, fieldLength: number) {
  return Object.freeze({ FieldRight: Object.freeze({ Mask: "Update", Reason: "" }), FieldType: fieldType, FieldLength: fieldLength });
}

// Field types and lengths follow the captured EmailFlow answer (Int32 4, String 255, Boolean 2);
// the option's own list is inferred, since no captured option answer was found.
const OPTION_FIELD_PROPERTIES = Object.freeze({
  WorkflowStepOptionId: fieldProperty("System.Int32", 4),
  WorkflowStepId: fieldProperty("System.Int32", 4),
  WorkflowId: fieldProperty("System.Int32", 4),
  Key: fieldProperty("System.String", 255),
  Name: fieldProperty("System.String", 255),
  Rank: fieldProperty("System.Int32", 4),
});

export const FLOW_FIELD_PROPERTIES = Object.freeze({
  EmailFlowId: fieldProperty("System.Int32", 4),
  Name: fieldProperty("System.String", 255),
});

export function presentOption(o: OptionRecord): Record<string, unknown> {
  return {
    WorkflowStepOptionId: o.WorkflowStepOptionId,
    WorkflowStepId: o.WorkflowStepId,
    WorkflowId: o.WorkflowId,
    Key: o.Key,
    Name: o.Name,
    Rank: o.Rank,
    Steps: o.Steps.map((s) => presentStep(s)),
    TableRight: TABLE_RIGHT,
    FieldProperties: OPTION_FIELD_PROPERTIES,
  };
}

/** A step; a Split carries `Options` (its own nested ones, or `splitOptions` for a flow's split). */
export function presentStep(s: StepRecord, splitOptions?: readonly OptionRecord[]): Record<string, unknown> {
  const { Options, ...rest } = s;
  const options = splitOptions ?? Options;
  if (s.StepType !== "Split") return rest;
  return { ...rest, Options: (options ?? []).map(presentOption) };
}

export function presentFlow(flow: FlowRecord, store: Store): Record<string, unknown> {
  return {
    EmailFlowId: flow.EmailFlowId,
    WorkflowId: flow.WorkflowId,
    Name: flow.Name,
    Steps: flow.Steps.map((s) => presentStep(s, s.StepType === "Split" ? store.optionsOfSplit(s.WorkflowStepId) : undefined)),
    TableRight: TABLE_RIGHT,
    FieldProperties: FLOW_FIELD_PROPERTIES,
  };
}

export function blankOption(): Record<string, unknown> {
  return presentOption({ WorkflowStepOptionId: 0, WorkflowStepId: 0, WorkflowId: 0, Key: "", Name: "", Rank: 0, Steps: [] });
}

/** CreateDefaultWorkflowStepFromType: every field of the type at its default. */
export function blankStep(type: StepTypeName, typeName: string): Record<string, unknown> {
  const step: Record<string, unknown> = { WorkflowStepId: 0, WorkflowId: 0, StepType: typeName, Rank: 0 };
  for (const [field, kind] of Object.entries(STEP_TYPES[type].fields) as [string, FieldKind][]) {
    step[pascalCase(field)] = defaultFieldValue(kind);
  }
  if (type === "Split") step.Options = [];
  return step;
}

// ---------------------------------------------------------------------------------------------
// Error bodies

/** ASP.NET Web API's answer to a request it cannot bind (malformed JSON, wrong types). */
export function invalidRequestBody(detail: string): Record<string, unknown> {
  return { Message: "The request is invalid.", MessageDetail: detail };
}

/** ASP.NET Web API's answer to an unknown route. */
export function notFoundBody(url: string, detail: string): Record<string, unknown> {
  return { Message: `No HTTP resource was found that matches the request URI '${url}'.`, MessageDetail: detail };
}

/**
 * The REST error object. That a real server uses it for exceptions too is inferred (no source says so);
 * the emulator uses it for refused operations (400), authentication (401) and faults (5xx, 429).
 */
export function soErrorBody(errorType: string, message: string, source: string): Record<string, unknown> {
  return { Error: true, ErrorType: errorType, ErrorMessage: message, ErrorSource: source };
}
