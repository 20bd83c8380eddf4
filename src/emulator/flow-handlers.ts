/**
 * The Workflow agent methods of the flow generation (12: servers 10.2.10 – 12.x, every Online
 * tenant; docs/api-generations.md). A Split's options change only inside the whole flow:
 * GetEmailFlow → edit → SaveEmailFlow. The per-option methods of 10.2 are not here, so they get
 * the 404 of an ASP.NET controller without that action, which is how wfsync tells the
 * generations apart.
 */
import { caseInsensitiveGet } from "../model/carrier.js";
import { bodyOrQueryInt, invalid, ok, queryInt, refused, type AgentMethod, type AgentRequest, type AgentResponse } from "./agent.js";
import { formatProblems, isObject } from "./bind.js";
import { FlowBinder, type BoundFlow, type CurrentStep } from "./flow-bind.js";
import { blankCurrentFlow, blankCurrentOption, blankCurrentStep, presentCurrentFlow, presentCurrentOption, presentCurrentStep } from "./flow-present.js";
import { EMULATOR_ASSOCIATE, SPLIT_OPTION_TYPES, resolveCurrentStepType, type SplitOptionType } from "./flow-schema.js";
import type { FlowRecord, Store } from "./store.js";
import { isoDateTime, nextUpdatedDate } from "./times.js";

export const FLOW_METHODS: readonly AgentMethod[] = [
  {
    name: "CreateDefaultEmailFlow",
    description: "Set default values into a new EmailFlow.",
    handle: () => ok(blankCurrentFlow()),
  },
  {
    name: "GetEmailFlow",
    description: "Gets an EmailFlow object. Query: ?emailFlowId=N",
    handle: (store, req) => {
      const id = queryInt(req, "emailFlowId");
      if (typeof id !== "number") return id;
      const flow = store.getFlowByEmailFlowId(id);
      return ok(flow ? presentEmailFlow(store, flow) : null);
    },
  },
  {
    name: "SaveEmailFlow",
    description: "Replace the existing EmailFlow or creates a new EmailFlow if the id parameter is empty",
    handle: (store, req) => {
      const saved = saveEmailFlow(store, req.body);
      return saved.ok ? ok(presentEmailFlow(store, saved.flow)) : saved.answer;
    },
  },
  {
    name: "DeleteEmailFlow",
    description: "Deletes the EmailFlow. Query: ?EmailFlowId=N",
    handle: (store, req) => {
      const id = queryInt(req, "EmailFlowId");
      if (typeof id !== "number") return id;
      // Deleting an id that does not exist is not an error (inferred, as DeleteWorkflowStepOption).
      store.deleteFlow(id);
      return { status: 204 };
    },
  },
  {
    name: "GetWorkflowStep",
    description: 'Get Workflowstep by ID. Body: {"WorkflowStepId": N}',
    handle: (store, req) => {
      const id = bodyOrQueryInt(req, "WorkflowStepId");
      if (typeof id !== "number") return id;
      const found = store.getStep(id);
      return ok(found ? presentCurrentStep(found.step, found.options) : null);
    },
  },
  {
    name: "CreateDefaultWorkflowStepFromType",
    description: 'Creates a new carrier from the step type given, with the right kind of properties, defaults set. Body: {"StepType": "WaitForTime"}',
    handle: (_store, req) => {
      const raw = requestField(req, "StepType");
      const type = resolveCurrentStepType(raw);
      return type ? ok(blankCurrentStep(type)) : invalid(`StepType: unknown StepType ${JSON.stringify(raw ?? null)}`);
    },
  },
  {
    name: "GetWorkflowStepOption",
    description: 'Get WorkflowStepOption by ID. Body: {"WorkflowStepOptionId": N}',
    handle: (store, req) => {
      const id = bodyOrQueryInt(req, "WorkflowStepOptionId");
      if (typeof id !== "number") return id;
      const option = store.getOption(id);
      return ok(option ? presentCurrentOption(option) : null);
    },
  },
  {
    name: "CreateDefaultWorkflowStepOptionFromType",
    description: 'Creates a new carrier from the option type given, with the right kind of properties, defaults set. Body: {"OptionType": "SelectionMembership"}',
    handle: (_store, req) => {
      const raw = requestField(req, "OptionType");
      const type = resolveOptionType(raw);
      return type ? ok(blankCurrentOption(type)) : invalid(`OptionType: expected one of ${SPLIT_OPTION_TYPES.join(", ")}, got ${JSON.stringify(raw ?? null)}`);
    },
  },
];

export function presentEmailFlow(store: Store, flow: FlowRecord): Record<string, unknown> {
  return presentCurrentFlow(flow, (splitId) => store.optionsOfSplit(splitId));
}

export type FlowSaved = { readonly ok: true; readonly flow: FlowRecord } | { readonly ok: false; readonly answer: AgentResponse };

/**
 * SaveEmailFlow: binds, checks and stores a whole flow, or says why not (and changes nothing).
 * The admin routes' out-of-band edits go through here too, as the web UI saves whole flows.
 */
export function saveEmailFlow(store: Store, body: unknown, source = "SaveEmailFlow"): FlowSaved {
  const binder = new FlowBinder();
  const flow = binder.flow(body);
  if (!flow || binder.problems.length > 0) return { ok: false, answer: invalid(formatProblems(binder.problems)) };
  const problem = flowProblem(flow);
  if (problem) return { ok: false, answer: refused("SoException", problem, source) };
  const previous = flow.emailFlowId > 0 ? store.getFlowByEmailFlowId(flow.emailFlowId) : undefined;
  const saved = store.saveFlow({ emailFlowId: flow.emailFlowId, name: flow.name, steps: flow.steps, fields: withServerFields(flow.fields, previous) });
  return saved.ok ? { ok: true, flow: saved.value } : { ok: false, answer: refused(saved.error.errorType, saved.error.message, source) };
}

/**
 * What the server sets on a saved flow whatever the client sent: read-only content info, who
 * created and changed it and when. `UpdatedDate` changes on every save; `CreatedDate` stays.
 */
export function withServerFields(fields: Readonly<Record<string, unknown>>, previous: FlowRecord | undefined, now = Date.now()): Record<string, unknown> {
  return {
    ...fields,
    ContentInfo: previous?.ContentInfo ?? [],
    CreatedBy: previous?.CreatedBy ?? EMULATOR_ASSOCIATE,
    UpdatedBy: EMULATOR_ASSOCIATE,
    CreatedDate: previous?.CreatedDate ?? isoDateTime(now),
    UpdatedDate: nextUpdatedDate(previous?.UpdatedDate, now),
  };
}

/**
 * Why a server refuses a flow that binds, or undefined. Inferred from the 10.2.10 release notes,
 * which add the message SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE: a Split takes options of its own
 * SplitOptionType, and None (the default branch). The same notes add SR_WORKFLOW_NO_STEP_OPTIONS_
 * DEFINED and …NO_DEFAULT_BRANCH_STEPS; those are not enforced on save, because a Split made in
 * the web UI (or by CreateDefaultWorkflowStepFromType) starts with no options and the flow is
 * saved like that, and wfsync must be able to delete the last option it manages. They read as
 * checks made when a flow is started (inferred).
 */
export function flowProblem(flow: BoundFlow): string | undefined {
  const wrong: string[] = [];
  optionTypeMismatches(flow.steps, "Steps", wrong);
  if (wrong.length === 0) return undefined;
  return `SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE: a Split takes options of its SplitOptionType and None only: ${wrong.join("; ")}`;
}

function optionTypeMismatches(steps: readonly CurrentStep[], path: string, out: string[]): void {
  steps.forEach((step, i) => {
    const splitType = step.fields.SplitOptionType;
    (step.options ?? []).forEach((o, j) => {
      const at = `${path}[${i}].Options[${j}]`;
      if (o.optionType !== "None" && o.optionType !== splitType) {
        out.push(`${at} (${JSON.stringify(o.name)}) has OptionType ${o.optionType}, its Split (WorkflowStepId ${step.id}) SplitOptionType ${String(splitType)}`);
      }
      optionTypeMismatches(o.steps, `${at}.Steps`, out);
    });
  });
}

/** A field of a request carrier (`{"StepType": …}`); the query is accepted too, for hand-written calls. */
function requestField(req: AgentRequest, name: string): unknown {
  return isObject(req.body) ? caseInsensitiveGet(req.body, name.toLowerCase()) : req.query.get(name.toLowerCase());
}

/** An OptionType as the server binds it: a name in any case, or its number. */
function resolveOptionType(value: unknown): SplitOptionType | undefined {
  if (typeof value === "number") return SPLIT_OPTION_TYPES[value];
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  return /^\d+$/.test(lower) ? SPLIT_OPTION_TYPES[Number(lower)] : SPLIT_OPTION_TYPES.find((t) => t.toLowerCase() === lower);
}
