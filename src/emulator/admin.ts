/**
 * Admin routes under `/__emulator/`, for tests, benchmarks and demos. They need no credentials,
 * are never delayed, throttled or failed by the fault settings, and are not counted.
 *
 *   GET    /__emulator/                 this list
 *   GET    /__emulator/counters         counters (see CountersSnapshot)
 *   POST   /__emulator/counters/reset   zero them; answers the fresh counters
 *   GET    /__emulator/data             everything held (the --data file's format)
 *   GET    /__emulator/options/<id>     one option as the agent answers it, 404 if absent
 *   POST   /__emulator/options          create an option out of band (body as SaveWorkflowStepOption)
 *   POST   /__emulator/options/<id>     change an option out of band (drift): a partial PascalCase
 *                                       option, names case-insensitive, merged over the stored one
 *   DELETE /__emulator/options/<id>     delete out of band; 204, or 404 if absent
 *   POST   /__emulator/reset            back to the seed
 *   GET    /__emulator/faults           current latency / rateLimit / failRate
 *   POST   /__emulator/faults           change some of them: {"latency": 20, "rateLimit": 5, "failRate": 0, "writeDelay": 2500}
 *   GET    /__emulator/credentials      the accepted credentials in words (no secrets)
 *   POST   /__emulator/credentials      accept these instead, from now on (revoke or rotate while a
 *                                       client runs): {"username", "password", "token", "ticket",
 *                                       "appToken"}; `{}` is the default Basic wfsync/wfsync
 */
import { caseInsensitive } from "../model/carrier.js";
import { describeCredentials, resolveCredentials, type CredentialOptions } from "./auth.js";
import { Binder, formatProblems, isObject } from "./bind.js";
import type { FaultSettings } from "./faults.js";
import { parseJson } from "./json.js";
import { presentOption } from "./present.js";
import type { EmulatorState } from "./state.js";

export interface AdminAnswer {
  readonly status: number;
  readonly body?: unknown;
}

export const ADMIN_ROUTES: readonly string[] = [
  "GET /__emulator/counters",
  "POST /__emulator/counters/reset",
  "GET /__emulator/data",
  "GET /__emulator/options/<id>",
  "POST /__emulator/options",
  "POST /__emulator/options/<id>",
  "DELETE /__emulator/options/<id>",
  "POST /__emulator/reset",
  "GET /__emulator/faults",
  "POST /__emulator/faults",
  "GET /__emulator/credentials",
  "POST /__emulator/credentials",
];

export function handleAdmin(state: EmulatorState, method: string, path: string, text: string | undefined): AdminAnswer {
  if (text === undefined) return error(413, `body larger than ${state.maxBodyBytes} bytes`);
  const route = path.replace(/\/+$/, "");
  const optionMatch = /^\/options\/(\d+)$/.exec(route);
  const key = `${method} ${optionMatch ? "/options/<id>" : route}`;
  switch (key) {
    case "GET ":
      return { status: 200, body: { routes: ADMIN_ROUTES } };
    case "GET /counters":
      return { status: 200, body: state.counters.snapshot() };
    case "POST /counters/reset":
      state.counters.reset();
      return { status: 200, body: state.counters.snapshot() };
    case "GET /data":
      return { status: 200, body: state.store.toData() };
    case "POST /reset":
      state.reset();
      return { status: 200, body: { reset: true, options: state.store.optionCount } };
    case "GET /faults":
      return { status: 200, body: state.faults.settings };
    case "POST /faults":
      return setFaults(state, text);
    case "GET /credentials":
      return { status: 200, body: { accepted: describeCredentials(state.credentials) } };
    case "POST /credentials":
      return setCredentials(state, text);
    case "POST /options":
      return saveOption(state, text, 0);
    case "GET /options/<id>": {
      const option = state.store.getOption(Number(optionMatch![1]));
      return option ? { status: 200, body: presentOption(option) } : error(404, `no option ${optionMatch![1]}`);
    }
    case "POST /options/<id>":
      return saveOption(state, text, Number(optionMatch![1]));
    case "DELETE /options/<id>": {
      const deleted = state.store.deleteOption(Number(optionMatch![1]));
      if (!deleted.ok) return error(400, deleted.error.message);
      return deleted.value ? { status: 204 } : error(404, `no option ${optionMatch![1]}`);
    }
    default:
      return error(404, `no admin route ${method} ${ADMIN_PREFIX_TEXT}${path}; see GET ${ADMIN_PREFIX_TEXT}/`);
  }
}

const ADMIN_PREFIX_TEXT = "/__emulator";

/** Creates (`id` 0) or drifts an option: the partial body is merged over the stored option. */
function saveOption(state: EmulatorState, text: string, id: number): AdminAnswer {
  const parsed = parseJson(text);
  if (!parsed.ok) return error(400, `body is not valid JSON: ${parsed.message}`);
  if (!isObject(parsed.value)) return error(400, "body must be a JSON object (a partial WorkflowStepOption)");
  let merged: Record<string, unknown> = { ...parsed.value, WorkflowStepOptionId: 0 };
  if (id !== 0) {
    const current = state.store.getOption(id);
    if (!current) return error(404, `no option ${id}`);
    // Later keys win in case-insensitive binding, so the partial overrides the stored values.
    merged = { ...presentOption(current), ...parsed.value, WorkflowStepOptionId: id };
  }
  const binder = new Binder();
  const bound = binder.option(merged, "");
  if (!bound || binder.problems.length > 0) return error(400, formatProblems(binder.problems));
  const saved = state.store.saveOption(bound);
  return saved.ok ? { status: 200, body: presentOption(saved.value) } : error(400, saved.error.message);
}

function setFaults(state: EmulatorState, text: string): AdminAnswer {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return error(400, "body must be a JSON object like {\"latency\": 20}");
  const c = caseInsensitive(parsed.value);
  const pick = (name: string): number | undefined => {
    const v = c.get(name.toLowerCase());
    return v === null ? 0 : (v as number | undefined);
  };
  const update: Partial<FaultSettings> = { latency: pick("latency"), rateLimit: pick("rateLimit"), failRate: pick("failRate"), writeDelay: pick("writeDelay") };
  for (const [name, value] of Object.entries(update)) {
    if (value !== undefined && typeof value !== "number") return error(400, `${name} must be a number`);
  }
  try {
    state.faults.update(update);
  } catch (err) {
    return error(400, (err as Error).message);
  }
  return { status: 200, body: state.faults.settings };
}

/** The environment is not consulted: the body says everything the emulator accepts from now on. */
function setCredentials(state: EmulatorState, text: string): AdminAnswer {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return error(400, 'body must be a JSON object like {"username": "anna", "password": "…"}');
  const c = caseInsensitive(parsed.value);
  const options: CredentialOptions = {};
  for (const name of ["username", "password", "token", "ticket", "appToken"] as const) {
    const v = c.get(name.toLowerCase());
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") return error(400, `${name} must be a string`);
    options[name] = v;
  }
  state.credentials = resolveCredentials(options, {});
  return { status: 200, body: { accepted: describeCredentials(state.credentials) } };
}

function error(status: number, message: string): AdminAnswer {
  return { status, body: { error: message } };
}
