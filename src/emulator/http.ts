/**
 * The HTTP side: routing (`…/api/v1/Agents/<Agent>/<Method>` — the Workflow and Archive agents —
 * and `…/api/v1/archive/<Provider>`, under any path prefix, so a tenant-like base such as
 * `http://127.0.0.1:PORT/Cust1` works; admin routes at `/__emulator/`), the order a call goes
 * through (count → rate limit → latency → injected failure → auth → method), and JSON in and out.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { handleAdmin } from "./admin.js";
import { describeAgentMethod, type AgentResponse, type Answer } from "./agent.js";
import type { OnlineService } from "./online.js";
import type { EmulatorState } from "./state.js";
import { checkAuthorization } from "./auth.js";
import { parseJson } from "./json.js";
import { invalidRequestBody, notFoundBody, soErrorBody } from "./present.js";

const AGENT_PATH = /^(.*?)\/api\/v1\/agents\/([^/]+)\/([^/]+)\/?$/i;
const ARCHIVE_PATH = /^(.*?)\/api\/v1\/archive\/([^/]+)\/?$/i;
const AGENTS = ["Workflow", "Archive"];
export const ADMIN_PREFIX = "/__emulator";

/** `host`: which listener the request came in on (Online mode: 0 the environment, 1.. the tenant's hosts). */
export function createRequestListener(state: EmulatorState, host = 0): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(state, req, res, host).catch((err: unknown) => {
      // A bug in the emulator: answer like a server exception rather than hanging the client.
      if (!res.headersSent) send(res, 500, soErrorBody("SoException", String((err as Error)?.message ?? err), "wfsync emulator"));
      else res.destroy();
    });
  };
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse, host: number): Promise<void> {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? "" : url.slice(q + 1);
  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
    const body = await readBody(req, state.maxBodyBytes);
    const answer = handleAdmin(state, req.method ?? "GET", path.slice(ADMIN_PREFIX.length), body);
    send(res, answer.status, answer.body);
    return;
  }
  if (state.online && host === 0) {
    const answer = await environmentCall(state.online, req, path, state.maxBodyBytes);
    if (answer) {
      send(res, answer.status, answer.body);
      return;
    }
  }
  const call = { host, path };
  const agent = AGENT_PATH.exec(path);
  const controller = agent ? AGENTS.find((a) => a.toLowerCase() === safeDecode(agent[2]!).toLowerCase()) : undefined;
  if (agent && controller) {
    await agentCall(state, req, res, controller, safeDecode(agent[3]!), search, call);
    return;
  }
  const archive = ARCHIVE_PATH.exec(path);
  if (archive) {
    await agentCall(state, req, res, "rest-archive", safeDecode(archive[2]!), search, call);
    return;
  }
  if (path === "/" && req.method === "GET") {
    send(res, 200, {
      emulator: "wfsync",
      api: state.profile.api,
      server: state.profile.servers,
      agent: `${state.url}/api/v1/Agents/Workflow/`,
      archive: `${state.url}/api/v1/Agents/Archive/GetArchiveListByColumns`,
      admin: `${state.url}${ADMIN_PREFIX}/`,
    });
    return;
  }
  await readBody(req, state.maxBodyBytes);
  send(res, 404, notFoundBody(url, "The emulator answers the Workflow and Archive agents only: {base}/api/v1/Agents/Workflow/<Method>."));
}

/** `controller` is Workflow, Archive, or "rest-archive" for `GET …/api/v1/archive/<Provider>`. */
async function agentCall(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  controller: string,
  name: string,
  search: string,
  call: { host: number; path: string },
): Promise<void> {
  const method = state.profile.findMethod(controller, name);
  const counters = state.counters;
  let injected = false;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    counters.end(res.statusCode, injected);
  };
  const arrived = performance.now();
  counters.begin(method?.name ?? "(unknown)");
  res.once("finish", end);
  res.once("close", end);

  const body = await readBody(req, state.maxBodyBytes);
  const retryAfter = state.faults.takeToken();
  if (retryAfter !== undefined) {
    // SuperOffice documents no 429 format; the REST error object is inferred.
    send(res, 429, soErrorBody("TooManyRequests", `Rate limit exceeded; retry after ${retryAfter} s.`, "wfsync emulator (--rate-limit)"), {
      "Retry-After": String(retryAfter),
    });
    return;
  }
  // --latency is the server's response time: the answer leaves `latency` ms after the request
  // arrived, whatever the emulator spent reading, checking and storing in between.
  const { latency } = state.faults.settings;
  if (latency > 0) answerNotBefore.set(res, arrived + latency);
  const failure = state.faults.injectedFailure();
  if (failure !== undefined) {
    injected = true;
    const what = failure === 503 ? "Service temporarily unavailable" : "Internal server error";
    send(res, failure, soErrorBody(failure === 503 ? "ServiceUnavailable" : "SoException", `${what} (injected by --fail-rate).`, "wfsync emulator"));
    return;
  }
  if (state.online) {
    const wrongHost = state.online.misdirected(call.host, call.path);
    if (wrongHost !== undefined) {
      send(res, 421, soErrorBody("MisdirectedRequest", `Misdirected Request: ${wrongHost}`, "wfsync emulator (Online)"));
      return;
    }
    if (!state.online.running) {
      send(res, 503, soErrorBody("ServiceUnavailable", `${state.online.tenantId} is ${state.online.settings.state}.`, "wfsync emulator (Online)"));
      return;
    }
  }
  const auth = state.online ? state.online.checkTicket(req.headers) : checkAuthorization(state.credentials, req.headers);
  if (!auth.ok) {
    send(res, 401, soErrorBody("SoAuthenticationException", `Authentication failed: ${auth.reason}`, "Authorization"), {
      "WWW-Authenticate": 'Basic realm="SuperOffice", SOTicket, Bearer',
    });
    return;
  }
  if (!method) {
    send(res, 404, notFoundBody(req.url ?? "", `No action was found on the controller '${controller}' that matches the name '${name}'.`));
    return;
  }
  if (req.method === "GET" && !method.get) {
    sendAnswer(res, describeAgentMethod(controller, method));
    return;
  }
  if (method.get && req.method !== "GET") {
    send(res, 405, { Message: `The requested resource does not support http method '${req.method}'.` }, { Allow: "GET" });
    return;
  }
  if (!method.get && req.method !== "POST") {
    send(res, 405, { Message: `The requested resource does not support http method '${req.method}'.` }, { Allow: "GET, POST" });
    return;
  }
  if (body === undefined) {
    send(res, 413, invalidRequestBody(`The request body is larger than ${state.maxBodyBytes} bytes.`));
    return;
  }
  const parsed = parseJson(body);
  if (!parsed.ok) {
    send(res, 400, invalidRequestBody(`The request body is not valid JSON: ${parsed.message}`));
    return;
  }
  const request = { query: queryMap(search), body: parsed.value };
  const { writeDelay } = state.faults.settings;
  if (writeDelay > 0 && state.profile.writes.has(method.name)) {
    // The write happens late, whether or not the client is still waiting for its answer.
    setTimeout(() => {
      counters.handled(method.name);
      sendAnswer(res, method.handle(state.store, request));
    }, Math.max(0, arrived + writeDelay - performance.now()));
    return;
  }
  counters.handled(method.name);
  sendAnswer(res, method.handle(state.store, request));
}

const AUTHENTICATE = "/login/api/partnersystemuser/authenticate";
const OPENID = "/login/.well-known/openid-configuration";
const JWKS = "/login/.well-known/jwks";
const TENANT_STATE = /^\/api\/state\/([^/]+)\/?$/i;

/** The Online environment host's own routes; undefined for any other path (an agent call gets 421 there). */
async function environmentCall(online: OnlineService, req: IncomingMessage, path: string, maxBodyBytes: number): Promise<Answer | undefined> {
  const lower = path.toLowerCase();
  const verb = req.method ?? "GET";
  if (lower === AUTHENTICATE && verb === "POST") return online.authenticate(await readBody(req, maxBodyBytes));
  if (lower === OPENID && verb === "GET") return online.openidConfiguration();
  if (lower === JWKS && verb === "GET") return online.jwks();
  const state = TENANT_STATE.exec(path);
  if (state && verb === "GET") return online.tenantState(safeDecode(state[1]!));
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Query names bind case-insensitively; the last of several wins. */
export function queryMap(search: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(search)) map.set(k.toLowerCase(), v);
  return map;
}

/** The body as text, or undefined when it exceeds `limit` (the rest is drained unread). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
    // A client gone before the end of its body: nothing to answer; settles the wait.
    req.on("close", () => resolve(undefined));
  });
}

function sendAnswer(res: ServerResponse, answer: AgentResponse): void {
  send(res, answer.status, answer.body);
}

/** Answers that must wait for --latency: the instant (performance.now()) they may leave. */
const answerNotBefore = new WeakMap<ServerResponse, number>();

export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const wait = (answerNotBefore.get(res) ?? 0) - performance.now();
  if (wait > 0) {
    answerNotBefore.delete(res);
    const text = body === undefined ? undefined : JSON.stringify(body);
    setTimeout(() => writeAnswer(res, status, text, headers), wait);
    return;
  }
  writeAnswer(res, status, body === undefined ? undefined : JSON.stringify(body), headers);
}

function writeAnswer(res: ServerResponse, status: number, text: string | undefined, headers: Record<string, string>): void {
  if (text === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
