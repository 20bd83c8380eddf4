/**
 * Out-of-band changes on the flow generation (12), as if made in the web UI. That UI saves whole
 * flows, so every change here is a SaveEmailFlow of the flow as GetEmailFlow answers it with one
 * edit made: the same checks apply, ids are kept, and `UpdatedDate` moves on.
 *
 *   GET    /__emulator/options/<id>       one option (at any depth) as the agent answers it, 404 if absent
 *   POST   /__emulator/options            create an option: the body names WorkflowStepId (and
 *                                         WorkflowId) of the Split it goes under
 *   POST   /__emulator/options/<id>       a partial PascalCase option merged over the stored one (drift)
 *   DELETE /__emulator/options/<id>       204, or 404 if absent
 *   GET    /__emulator/flows/<id>         a flow as GetEmailFlow answers it (by EmailFlowId), 404 if absent
 *   POST   /__emulator/flows/<id>         a partial flow merged over the stored one, e.g. {"Name": "Renamed
 *                                         in the UI"} or {"Triggers": [...]}; a sent `Steps` replaces all steps
 */
import { caseInsensitive } from "../model/carrier.js";
import { adminError, type Answer } from "./agent.js";
import { isObject } from "./bind.js";
import { presentEmailFlow, saveEmailFlow } from "./flow-handlers.js";
import { presentCurrentOption } from "./flow-present.js";
import { parseJson } from "./json.js";
import type { FlowRecord, Store } from "./store.js";

export const FLOW_ADMIN_ROUTES: readonly string[] = [
  "GET /__emulator/options/<id>",
  "POST /__emulator/options",
  "POST /__emulator/options/<id>",
  "DELETE /__emulator/options/<id>",
  "GET /__emulator/flows/<emailFlowId>",
  "POST /__emulator/flows/<emailFlowId>",
];

type Json = Record<string, unknown>;

const SOURCE = "wfsync emulator (admin)";

/** Answers one of the routes above (`route` without the /__emulator prefix), or undefined. */
export function flowAdmin(store: Store, method: string, route: string, text: string): Answer | undefined {
  const option = /^\/options\/(\d+)$/.exec(route);
  const flow = /^\/flows\/(\d+)$/.exec(route);
  const id = Number((option ?? flow)?.[1]);
  const key = `${method} ${option ? "/options/<id>" : flow ? "/flows/<id>" : route}`;
  switch (key) {
    case "GET /options/<id>": {
      const found = store.getOption(id);
      return found ? { status: 200, body: presentCurrentOption(found) } : adminError(404, `no option ${id}`);
    }
    case "POST /options":
      return withBody(text, (body) => createOption(store, body));
    case "POST /options/<id>":
      return withBody(text, (body) => editOption(store, id, (list, index) => list.splice(index, 1, { ...(list[index] as Json), ...body, WorkflowStepOptionId: id })));
    case "DELETE /options/<id>": {
      const answer = editOption(store, id, (list, index) => list.splice(index, 1));
      return answer.status === 200 ? { status: 204 } : answer;
    }
    case "GET /flows/<id>": {
      const found = store.getFlowByEmailFlowId(id);
      return found ? { status: 200, body: presentEmailFlow(store, found) } : adminError(404, `no email flow ${id}`);
    }
    case "POST /flows/<id>":
      return withBody(text, (body) => {
        const found = store.getFlowByEmailFlowId(id);
        if (!found) return adminError(404, `no email flow ${id}`);
        // Later keys win in case-insensitive binding, so the partial overrides the stored values.
        const saved = save(store, { ...presentEmailFlow(store, found), ...body, EmailFlowId: id });
        return "flow" in saved ? { status: 200, body: presentEmailFlow(store, saved.flow) } : saved;
      });
    default:
      return undefined;
  }
}

function createOption(store: Store, body: Json): Answer {
  const c = caseInsensitive(body);
  const splitId = Number(c.get("workflowstepid") ?? 0);
  const workflowId = Number(c.get("workflowid") ?? 0);
  const flow = store.flowOfStep(splitId);
  if (!flow) return adminError(400, `WorkflowStep ${splitId} does not exist as a step of a flow (name the Split in WorkflowStepId).`);
  if (workflowId !== 0 && workflowId !== flow.WorkflowId) return adminError(400, `WorkflowStep ${splitId} belongs to workflow ${flow.WorkflowId}, not ${workflowId}.`);
  const edited = presentEmailFlow(store, flow);
  const split = findStep(edited.Steps, splitId)!;
  if (split.StepType !== "Split") return adminError(400, `WorkflowStep ${splitId} is a ${String(split.StepType)} step; options belong to Split steps.`);
  const before = new Set(optionIds(edited.Steps));
  (split.Options as Json[]).push({ ...body, WorkflowStepOptionId: 0 });
  const saved = save(store, edited);
  if (!("flow" in saved)) return saved;
  const created = optionIds(presentEmailFlow(store, saved.flow).Steps).find((o) => !before.has(o));
  return { status: 200, body: presentCurrentOption(store.getOption(created!)!) };
}

/** Edits the option's place in its flow (`list` holds it at `index`) and saves the flow. */
function editOption(store: Store, id: number, edit: (list: unknown[], index: number) => void): Answer {
  const flow = store.flowOfOption(id);
  if (!flow) return adminError(404, `no option ${id}`);
  const edited = presentEmailFlow(store, flow);
  const place = findOption(edited.Steps, id)!;
  edit(place.list, place.index);
  const saved = save(store, edited);
  if (!("flow" in saved)) return saved;
  const option = store.getOption(id);
  return { status: 200, body: option ? presentCurrentOption(option) : null };
}

function save(store: Store, flow: Json): { flow: FlowRecord } | Answer {
  const saved = saveEmailFlow(store, flow, SOURCE);
  if (saved.ok) return { flow: saved.flow };
  const body = saved.answer.body as Json;
  return adminError(400, String(body.ErrorMessage ?? body.MessageDetail ?? JSON.stringify(body)));
}

function withBody(text: string, then: (body: Json) => Answer): Answer {
  const parsed = parseJson(text);
  if (!parsed.ok) return adminError(400, `body is not valid JSON: ${parsed.message}`);
  if (!isObject(parsed.value)) return adminError(400, "body must be a JSON object (partial, PascalCase)");
  return then(parsed.value);
}

// Walks over a flow as presented (PascalCase, Split steps with their Options).

function children(steps: unknown): Json[] {
  return Array.isArray(steps) ? (steps as Json[]) : [];
}

function findStep(steps: unknown, id: number): Json | undefined {
  for (const step of children(steps)) {
    if (step.WorkflowStepId === id) return step;
    for (const o of children(step.Options)) {
      const found = findStep(o.Steps, id);
      if (found) return found;
    }
  }
  return undefined;
}

function findOption(steps: unknown, id: number): { list: unknown[]; index: number } | undefined {
  for (const step of children(steps)) {
    const options = children(step.Options);
    const index = options.findIndex((o) => o.WorkflowStepOptionId === id);
    if (index >= 0) return { list: options, index };
    for (const o of options) {
      const found = findOption(o.Steps, id);
      if (found) return found;
    }
  }
  return undefined;
}

function optionIds(steps: unknown): number[] {
  return children(steps).flatMap((step) => children(step.Options).flatMap((o) => [o.WorkflowStepOptionId as number, ...optionIds(o.Steps)]));
}
