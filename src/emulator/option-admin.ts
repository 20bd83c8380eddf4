/**
 * Out-of-band changes on the per-option generation (10.2), as if made in the web UI: options
 * are created, changed ("drift") and deleted one at a time, as the server does it.
 *
 *   GET    /__emulator/options/<id>   one option as the agent answers it, 404 if absent
 *   POST   /__emulator/options        create an option (body as SaveWorkflowStepOption)
 *   POST   /__emulator/options/<id>   a partial PascalCase option, names case-insensitive, merged over the stored one
 *   DELETE /__emulator/options/<id>   204, or 404 if absent
 *   GET    /__emulator/flows/<id>     a flow as GetEmailFlow answers it (by EmailFlowId), 404 if absent
 */
import { adminError, type Answer } from "./agent.js";
import { Binder, formatProblems, isObject } from "./bind.js";
import { parseJson } from "./json.js";
import { presentFlow, presentOption } from "./present.js";
import type { Store } from "./store.js";

export const PER_OPTION_ADMIN_ROUTES: readonly string[] = [
  "GET /__emulator/options/<id>",
  "POST /__emulator/options",
  "POST /__emulator/options/<id>",
  "DELETE /__emulator/options/<id>",
  "GET /__emulator/flows/<emailFlowId>",
];

/** Answers one of the routes above (`route` without the /__emulator prefix), or undefined. */
export function perOptionAdmin(store: Store, method: string, route: string, text: string): Answer | undefined {
  const option = /^\/options\/(\d+)$/.exec(route);
  const flow = /^\/flows\/(\d+)$/.exec(route);
  const id = Number((option ?? flow)?.[1]);
  const key = `${method} ${option ? "/options/<id>" : flow ? "/flows/<id>" : route}`;
  switch (key) {
    case "POST /options":
      return saveOption(store, text, 0);
    case "GET /options/<id>": {
      const found = store.getOption(id);
      return found ? { status: 200, body: presentOption(found) } : adminError(404, `no option ${id}`);
    }
    case "POST /options/<id>":
      return saveOption(store, text, id);
    case "DELETE /options/<id>": {
      const deleted = store.deleteOption(id);
      if (!deleted.ok) return adminError(400, deleted.error.message);
      return deleted.value ? { status: 204 } : adminError(404, `no option ${id}`);
    }
    case "GET /flows/<id>": {
      const found = store.getFlowByEmailFlowId(id);
      return found ? { status: 200, body: presentFlow(found, store) } : adminError(404, `no email flow ${id}`);
    }
    case "POST /flows/<id>":
      return adminError(404, "POST /__emulator/flows/<id> is on the 12 profile only (--api 12): on 10.2 a flow changes only through its options");
    default:
      return undefined;
  }
}

/** Creates (`id` 0) or drifts an option: the partial body is merged over the stored option. */
function saveOption(store: Store, text: string, id: number): Answer {
  const parsed = parseJson(text);
  if (!parsed.ok) return adminError(400, `body is not valid JSON: ${parsed.message}`);
  if (!isObject(parsed.value)) return adminError(400, "body must be a JSON object (a partial WorkflowStepOption)");
  let merged: Record<string, unknown> = { ...parsed.value, WorkflowStepOptionId: 0 };
  if (id !== 0) {
    const current = store.getOption(id);
    if (!current) return adminError(404, `no option ${id}`);
    // Later keys win in case-insensitive binding, so the partial overrides the stored values.
    merged = { ...presentOption(current), ...parsed.value, WorkflowStepOptionId: id };
  }
  const binder = new Binder();
  const bound = binder.option(merged, "");
  if (!bound || binder.problems.length > 0) return adminError(400, formatProblems(binder.problems));
  const saved = store.saveOption(bound);
  return saved.ok ? { status: 200, body: presentOption(saved.value) } : adminError(400, saved.error.message);
}
