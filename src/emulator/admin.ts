/**
 * Admin routes under `/__emulator/`, for tests, benchmarks and demos. They need no credentials,
 * are never delayed, throttled or failed by the fault settings, and are not counted.
 *
 *   GET    /__emulator/                 this list
 *   GET    /__emulator/counters         counters (see CountersSnapshot)
 *   POST   /__emulator/counters/reset   zero them; answers the fresh counters
 *   GET    /__emulator/data             everything held (the --data file's format)
 *   POST   /__emulator/reset            back to the seed
 *   GET    /__emulator/faults           current latency / rateLimit / failRate / writeDelay
 *   POST   /__emulator/faults           change some of them: {"latency": 20, "rateLimit": 5, "failRate": 0, "writeDelay": 2500}
 *   GET    /__emulator/credentials      the accepted credentials in words (no secrets)
 *   POST   /__emulator/credentials      accept these instead, from now on (revoke or rotate while a
 *                                       client runs): {"username", "password", "token", "ticket",
 *                                       "appToken"}; `{}` is the default Basic wfsync/wfsync
 *
 * and the generation's out-of-band changes of options and flows (option-admin.ts for 10.2,
 * flow-admin.ts for 12). In Online mode (online.ts) also:
 *
 *   GET    /__emulator/online                the tenant's state, host, ticket settings, sign-in counts
 *   POST   /__emulator/online                {"state", "host", "staleLookups", "ticketCalls", "ticketLifetimeMs", "version"}
 *   POST   /__emulator/online/app            register the app: {"clientId", "clientSecret", "systemUserToken", "publicKey"}
 *   POST   /__emulator/online/tickets/expire every ticket issued stops working
 */
import { caseInsensitive } from "../model/carrier.js";
import { adminError, type Answer } from "./agent.js";
import { describeCredentials, resolveCredentials, type CredentialOptions } from "./auth.js";
import { isObject } from "./bind.js";
import type { FaultSettings } from "./faults.js";
import { parseJson } from "./json.js";
import { profileFor, type ApiGeneration } from "./profile.js";
import type { EmulatorState } from "./state.js";

export type AdminAnswer = Answer;

const COMMON_ROUTES: readonly string[] = [
  "GET /__emulator/counters",
  "POST /__emulator/counters/reset",
  "GET /__emulator/data",
  "POST /__emulator/reset",
  "GET /__emulator/faults",
  "POST /__emulator/faults",
  "GET /__emulator/credentials",
  "POST /__emulator/credentials",
];

/** The admin routes of an emulator playing `api`. */
export function adminRoutes(api: ApiGeneration): readonly string[] {
  return [...COMMON_ROUTES.slice(0, 3), ...profileFor(api).adminRoutes, ...COMMON_ROUTES.slice(3)];
}

/** The routes an emulator in Online mode has besides. */
export const ONLINE_ROUTES: readonly string[] = ["GET /__emulator/online", "POST /__emulator/online", "POST /__emulator/online/app", "POST /__emulator/online/tickets/expire"];

/** The routes of the default (10.2) profile. */
export const ADMIN_ROUTES: readonly string[] = adminRoutes("10.2");

export function handleAdmin(state: EmulatorState, method: string, path: string, text: string | undefined): AdminAnswer {
  if (text === undefined) return adminError(413, `body larger than ${state.maxBodyBytes} bytes`);
  const route = path.replace(/\/+$/, "");
  switch (`${method} ${route}`) {
    case "GET ":
      return { status: 200, body: { routes: [...adminRoutes(state.profile.api), ...(state.online ? ONLINE_ROUTES : [])] } };
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
    case "GET /online":
      return state.online ? { status: 200, body: state.online.status() } : notOnline();
    case "POST /online":
      return state.online ? state.online.update(text) : notOnline();
    case "POST /online/app":
      return state.online ? state.online.registerFromAdmin(text) : notOnline();
    case "POST /online/tickets/expire":
      return state.online ? { status: 200, body: { expired: state.online.expireTickets() } } : notOnline();
    default:
      return (
        state.profile.admin(state.store, method, route, text) ??
        adminError(404, `no admin route ${method} ${ADMIN_PREFIX_TEXT}${path}; see GET ${ADMIN_PREFIX_TEXT}/`)
      );
  }
}

const ADMIN_PREFIX_TEXT = "/__emulator";

function notOnline(): AdminAnswer {
  return adminError(404, "this emulator does not play SuperOffice Online (start it with the online option)");
}

function setFaults(state: EmulatorState, text: string): AdminAnswer {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return adminError(400, "body must be a JSON object like {\"latency\": 20}");
  const c = caseInsensitive(parsed.value);
  const pick = (name: string): number | undefined => {
    const v = c.get(name.toLowerCase());
    return v === null ? 0 : (v as number | undefined);
  };
  const update: Partial<FaultSettings> = { latency: pick("latency"), rateLimit: pick("rateLimit"), failRate: pick("failRate"), writeDelay: pick("writeDelay") };
  for (const [name, value] of Object.entries(update)) {
    if (value !== undefined && typeof value !== "number") return adminError(400, `${name} must be a number`);
  }
  try {
    state.faults.update(update);
  } catch (err) {
    return adminError(400, (err as Error).message);
  }
  return { status: 200, body: state.faults.settings };
}

/** The environment is not consulted: the body says everything the emulator accepts from now on. */
function setCredentials(state: EmulatorState, text: string): AdminAnswer {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) return adminError(400, 'body must be a JSON object like {"username": "anna", "password": "…"}');
  const c = caseInsensitive(parsed.value);
  const options: CredentialOptions = {};
  for (const name of ["username", "password", "token", "ticket", "appToken"] as const) {
    const v = c.get(name.toLowerCase());
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") return adminError(400, `${name} must be a string`);
    options[name] = v;
  }
  state.credentials = resolveCredentials(options, {});
  return { status: 200, body: { accepted: describeCredentials(state.credentials) } };
}

