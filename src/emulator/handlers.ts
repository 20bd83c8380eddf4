/**
 * The Workflow agent methods of the per-option generation (10.2: servers 10.2.4–10.2.9; see
 * docs/superoffice-api.md, "Calls"). Each takes the bound query and the parsed body and returns
 * status and body.
 */
import { caseInsensitiveGet } from "../model/carrier.js";
import { resolveStepType } from "../model/steps.js";
import { bodyOrQueryInt, invalid, ok, queryInt, refused, type AgentMethod, type AgentRequest, type AgentResponse } from "./agent.js";
import { Binder, formatProblems, isObject, stepTypeName } from "./bind.js";
import { blankOption, blankStep, presentFlow, presentOption, presentStep } from "./present.js";
import type { Store } from "./store.js";

export const PER_OPTION_METHODS: readonly AgentMethod[] = [
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
      const raw = isObject(req.body) ? caseInsensitiveGet(req.body, "steptype") : req.query.get("steptype");
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

function saveWorkflowStepOption(store: Store, req: AgentRequest): AgentResponse {
  const binder = new Binder();
  const option = binder.option(req.body, "");
  if (!option || binder.problems.length > 0) return invalid(formatProblems(binder.problems));
  const saved = store.saveOption(option);
  return saved.ok ? ok(presentOption(saved.value)) : refused(saved.error.errorType, saved.error.message, "SaveWorkflowStepOption");
}
