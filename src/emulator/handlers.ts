/**
 * The Workflow agent methods the emulator answers (docs/superoffice-api.md, "Calls"). Each takes the
 * bound query and the parsed body and returns status and body; HTTP, auth and faults are
 * http.ts's business.
 */
import { caseInsensitive } from "../model/carrier.js";
import { resolveStepType } from "../model/steps.js";
import { Binder, formatProblems, isObject, stepTypeName } from "./bind.js";
import { blankOption, blankStep, invalidRequestBody, presentFlow, presentOption, presentStep, soErrorBody } from "./present.js";
import type { Store } from "./store.js";

export interface AgentRequest {
  /** Query parameters with lower-cased names (the server matches them case-insensitively). */
  readonly query: ReadonlyMap<string, string>;
  /** The parsed JSON body; null when there was none. */
  readonly body: unknown;
}

export interface AgentResponse {
  readonly status: number;
  /** undefined: no body at all (204). `null` is sent as the JSON `null`. */
  readonly body?: unknown;
}

interface AgentMethod {
  readonly name: string;
  readonly description: string;
  readonly handle: (store: Store, req: AgentRequest) => AgentResponse;
}

const METHODS: readonly AgentMethod[] = [
  {
    name: "SaveWorkflowStepOption",
    description: "Replace the existing WorkflowStepOption or creates a new WorkflowStepOption if the id parameter is empty",
    handle: saveWorkflowStepOption,
  },
  {
    name: "GetWorkflowStepOption",
    description: "Gets a WorkflowStepOption object. Query: ?workflowStepOptionId=N",
    handle: (store, req) => {
      const id = queryInt(req, "workflowStepOptionId");
      if (typeof id !== "number") return id;
      const option = store.getOption(id);
      return ok(option ? presentOption(option) : null);
    },
  },
  {
    name: "DeleteWorkflowStepOption",
    description: "Deletes the WorkflowStepOption. Query: ?WorkflowStepOptionId=N",
    handle: (store, req) => {
      const id = queryInt(req, "WorkflowStepOptionId");
      if (typeof id !== "number") return id;
      const deleted = store.deleteOption(id);
      // Deleting an id that does not exist is not an error on the server either (inferred).
      return deleted.ok ? { status: 204 } : refused(deleted.error.errorType, deleted.error.message, "DeleteWorkflowStepOption");
    },
  },
  {
    name: "CreateDefaultWorkflowStepOption",
    description: "Set default values into a new WorkflowStepOption.",
    handle: () => ok(blankOption()),
  },
  {
    name: "GetWorkflowStep",
    description: 'Get Workflowstep by ID. Body: {"WorkflowStepId": N}',
    handle: (store, req) => {
      const id = bodyOrQueryInt(req, "WorkflowStepId");
      if (typeof id !== "number") return id;
      const found = store.getStep(id);
      return ok(found ? presentStep(found.step, found.options) : null);
    },
  },
  {
    name: "CreateDefaultWorkflowStepFromType",
    description: 'Creates a default workflow step of the given type. Body: {"StepType": "WaitForTime"}',
    handle: (_store, req) => {
      const raw = isObject(req.body) ? caseInsensitive(req.body).get("steptype") : req.query.get("steptype");
      const name = stepTypeName(raw);
      if (!name) return invalid(`StepType: unknown StepType ${JSON.stringify(raw ?? null)}`);
      return ok(blankStep(resolveStepType(name)!, name));
    },
  },
  {
    name: "GetEmailFlow",
    description: "Gets an EmailFlow object. Query: ?emailFlowId=N",
    handle: (store, req) => {
      const id = queryInt(req, "emailFlowId");
      if (typeof id !== "number") return id;
      const flow = store.getFlowByEmailFlowId(id);
      return ok(flow ? presentFlow(flow, store) : null);
    },
  },
];

const BY_LOWER_NAME = new Map(METHODS.map((m) => [m.name.toLowerCase(), m]));

/** The method of an agent URL, matched case-insensitively as ASP.NET routing does. */
export function findAgentMethod(name: string): AgentMethod | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}


/**
 * A GET on an agent URL: the real server answers a short description of the method instead of
 * running it. Its exact shape is inferred.
 */
export function describeAgentMethod(method: AgentMethod): AgentResponse {
  return ok({ Agent: "Workflow", Method: method.name, HttpMethod: "POST", Description: method.description });
}

function saveWorkflowStepOption(store: Store, req: AgentRequest): AgentResponse {
  const binder = new Binder();
  const option = binder.option(req.body, "");
  if (!option || binder.problems.length > 0) return invalid(formatProblems(binder.problems));
  const saved = store.saveOption(option);
  return saved.ok ? ok(presentOption(saved.value)) : refused(saved.error.errorType, saved.error.message, "SaveWorkflowStepOption");
}

function ok(body: unknown): AgentResponse {
  return { status: 200, body };
}

function invalid(detail: string): AgentResponse {
  return { status: 400, body: invalidRequestBody(detail) };
}

/**
 * A request that binds but that the server refuses (unknown id, option on a non-Split step).
 * Status 400 with the REST error object: inferred, as no captured answer shows one.
 */
function refused(errorType: string, message: string, source: string): AgentResponse {
  return { status: 400, body: soErrorBody(errorType, message, source) };
}

function parseIntParam(value: string): number | undefined {
  return /^\s*-?\d{1,10}\s*$/.test(value) ? Number(value) : undefined;
}

function queryInt(req: AgentRequest, name: string): number | AgentResponse {
  const value = req.query.get(name.toLowerCase());
  if (value === undefined) return invalid(`The query parameter '${name}' is required.`);
  const n = parseIntParam(value);
  return n === undefined ? invalid(`The query parameter '${name}' must be an integer, got ${JSON.stringify(value)}.`) : n;
}

/** GetWorkflowStep takes a request body; the query is accepted too, for hand-written calls. */
function bodyOrQueryInt(req: AgentRequest, name: string): number | AgentResponse {
  if (isObject(req.body)) {
    const binder = new Binder();
    const raw = caseInsensitive(req.body).get(name.toLowerCase());
    if (raw === undefined) return invalid(`${name} is required.`);
    const n = binder.int(raw, name);
    return binder.problems.length > 0 ? invalid(formatProblems(binder.problems)) : n;
  }
  return queryInt(req, name);
}
