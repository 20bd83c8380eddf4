/**
 * The SuperOffice agent calls wfsync uses, for both API generations: the per-option calls of
 * 10.2.4–10.2.9, the whole-flow calls of the current generation (10.2.10 → 12.x), and the
 * EmailFlows archive provider both have. Which are used is the tenant adapter's business.
 */
import type http from "node:http";
import type { OptionCarrier } from "../model/option.js";
import { WfsyncError } from "../errors.js";
import { redactUrl } from "../redact.js";
import { ApiError } from "./errors.js";
import { describeCredentials, scrubSecrets, secretValues, sortForScrubbing, type Credentials } from "./credentials.js";
import { staticAuthorizer, systemUserAuthorizer, type Authorizer } from "./auth.js";
import { createEnvironmentCaller } from "./environment.js";
import { createAgent, httpPost, type HttpResponse } from "./http.js";
import type { OnlineTenantRef } from "./online.js";
import { interpretResponse } from "./response.js";
import { onlineRouter, staticRouter, type TenantRouter, type TenantTarget } from "./routing.js";
import { normaliseBaseUrl } from "./url.js";

export interface WorkflowApi {
  /** A step; a Split carries `Options`. `null` when there is no such step. */
  getWorkflowStep(workflowStepId: number): Promise<unknown | null>;
  /** `null` when there is no such option. */
  getWorkflowStepOption(id: number): Promise<unknown | null>;
  /** Creates (id 0 or absent) or replaces an option; resolves to the saved option. */
  saveWorkflowStepOption(option: OptionCarrier): Promise<unknown>;
  deleteWorkflowStepOption(id: number): Promise<void>;
  createDefaultWorkflowStepOption(): Promise<unknown>;
  /** The flow with its steps; `null` when there is no such flow. */
  getEmailFlow(emailFlowId: number): Promise<unknown | null>;
  /** Replaces the whole flow (current generation); resolves to the saved flow. */
  saveEmailFlow(flow: unknown): Promise<unknown>;
  /** One page of an archive provider's rows (`Agents/Archive/GetArchiveListByColumns`). */
  getArchiveList(request: ArchiveListRequest): Promise<unknown>;
}

export interface ArchiveListRequest {
  readonly ProviderName: string;
  readonly Columns: readonly string[];
  readonly SortOrder: readonly unknown[];
  readonly Restriction: readonly unknown[];
  readonly Entities: readonly string[];
  readonly Page: number;
  readonly PageSize: number;
}

/** What the client logs through (a pino logger fits). */
export interface DebugLogger {
  debug(obj: object, msg?: string): void;
}

export interface WorkflowClientOptions {
  /** The installation base, e.g. `https://online.superoffice.com/Cust12345` (on Online: the tenant's identity). */
  baseUrl: string;
  credentials: Credentials;
  /**
   * The tenant is on SuperOffice Online (client/online.ts onlineTenant): its host is asked of the
   * environment's state API, and a system user signs in there. Without it, `baseUrl` is the host.
   */
  online?: OnlineTenantRef | undefined;
  /** Per request, connect to last byte of the answer. Default 30 s. */
  timeoutMs?: number;
  /** Answers larger than this fail instead of being read (default 64 MiB). */
  maxResponseBytes?: number;
  logger?: DebugLogger;
  /** A keep-alive agent of your own (not destroyed by `close()`). */
  agent?: http.Agent;
  /** For Retry-After dates; default Date.now. */
  now?: () => number;
}

export interface WorkflowClient extends WorkflowApi {
  readonly baseUrl: string;
  /** What is known of the tenant now (on Online: its host and version once routed). */
  target(): TenantTarget;
  /** Finds the tenant's host (on Online, through the state API; a tenant not running fails here). */
  resolve(): Promise<TenantTarget>;
  /** Closes idle keep-alive connections (of the agent the client made). */
  close(): void;
}

const AGENT_PATH = "/api/v1/Agents/Workflow/";
const ARCHIVE_AGENT_PATH = "/api/v1/Agents/Archive/";
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Far above any real answer (a split is kilobytes), far below what exhausts the heap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const WRITES = new Set(["SaveWorkflowStepOption", "DeleteWorkflowStepOption", "SaveEmailFlow"]);

export function createWorkflowClient(opts: WorkflowClientOptions): WorkflowClient {
  const baseUrl = normaliseBaseUrl(opts.baseUrl);
  const agents = new Map<string, http.Agent>();
  const agentFor = (url: URL): http.Agent => {
    if (opts.agent) return opts.agent;
    let agent = agents.get(url.origin);
    if (!agent) agents.set(url.origin, (agent = createAgent(url)));
    return agent;
  };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = opts.now ?? Date.now;
  const environment = createEnvironmentCaller({ timeoutMs, maxResponseBytes });
  const { router, authorizer } = connection(opts, baseUrl, environment.call, now);
  const secrets = secretValues(opts.credentials);
  // The ticket a system user signs in for is a secret too, known only at run time.
  const scrub = (text: string): string => scrubSecrets(text, sortForScrubbing([...secrets, ...authorizer.secrets()]));
  const credentialsDescription = describeCredentials(opts.credentials);
  const authHint =
    opts.credentials.scheme === "systemuser"
      ? "It was refused after a fresh sign-in too: check that the system user may use this tenant and that the app's access was not revoked."
      : undefined;
  const headers = {
    Accept: "application/json",
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "wfsync",
  };

  async function call(method: string, args: { query?: Record<string, number>; body?: unknown; agentPath?: string }): Promise<unknown> {
    const started = now();
    const log = (fields: object): void => opts.logger?.debug({ method, ms: now() - started, ...fields }, "api request");
    try {
      const res = await send(method, args);
      const value = interpretResponse(res, { method, credentialsDescription, scrub, now, ...(authHint ? { authHint } : {}) });
      log({ status: res.status });
      return value;
    } catch (err) {
      if (err instanceof ApiError) log({ status: err.status, error: err.code, outcomeUnknown: err.outcomeUnknown });
      else if (err instanceof WfsyncError) log({ error: err.code });
      throw err;
    }
  }

  /**
   * One request, sent again at most once after a 401 (with a renewed ticket) and once after a
   * 421 (to the host the state API names now). Both answers prove the request was not acted on,
   * so sending it again cannot do anything twice.
   */
  async function send(method: string, args: { query?: Record<string, number>; body?: unknown; agentPath?: string }): Promise<HttpResponse> {
    let renewed = false;
    let rerouted = false;
    for (;;) {
      const base = await router.base();
      const grant = await authorizer.current();
      const url = new URL(`${base}${args.agentPath ?? AGENT_PATH}${method}`);
      for (const [k, v] of Object.entries(args.query ?? {})) url.searchParams.set(k, String(v));
      const res = await httpPost({
        method,
        url,
        headers: { ...headers, ...grant.headers },
        body: args.body === undefined ? undefined : JSON.stringify(args.body),
        timeoutMs,
        agent: agentFor(url),
        maxResponseBytes,
        write: WRITES.has(method),
      });
      if (res.status === 421) {
        if (rerouted) throw misdirected(method, base);
        rerouted = true;
        opts.logger?.debug({ method, host: new URL(base).host }, "421 Misdirected Request: asking the state API where the tenant is");
        await router.misdirected(base);
        continue;
      }
      if (res.status === 401 && !renewed && (await authorizer.refused(grant.stamp))) {
        renewed = true;
        opts.logger?.debug({ method }, "401: signed in again; sending once more");
        continue;
      }
      return res;
    }
  }

  function expectObject(method: string, value: unknown): unknown {
    if (value !== null && typeof value === "object") return value;
    throw new ApiError({
      kind: "server",
      method,
      status: 200,
      // A save that answers nothing may still have saved.
      outcomeUnknown: WRITES.has(method),
      message: `${method}: the server answered ${JSON.stringify(value)} instead of an option.`,
    });
  }

  return {
    baseUrl,
    target: () => router.target(),
    resolve: async () => {
      await router.base();
      return router.target();
    },
    getWorkflowStep: (workflowStepId) => call("GetWorkflowStep", { body: { WorkflowStepId: workflowStepId } }),
    getWorkflowStepOption: (id) => call("GetWorkflowStepOption", { query: { workflowStepOptionId: id } }),
    saveWorkflowStepOption: async (option) =>
      expectObject("SaveWorkflowStepOption", await call("SaveWorkflowStepOption", { body: option })),
    deleteWorkflowStepOption: async (id) => {
      await call("DeleteWorkflowStepOption", { query: { WorkflowStepOptionId: id } });
    },
    createDefaultWorkflowStepOption: async () =>
      expectObject("CreateDefaultWorkflowStepOption", await call("CreateDefaultWorkflowStepOption", {})),
    getEmailFlow: (emailFlowId) => call("GetEmailFlow", { query: { emailFlowId } }),
    saveEmailFlow: async (flow) => expectObject("SaveEmailFlow", await call("SaveEmailFlow", { body: flow })),
    getArchiveList: (request) => call("GetArchiveListByColumns", { body: request, agentPath: ARCHIVE_AGENT_PATH }),
    close: () => {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
      environment.close();
    },
  };
}

function connection(
  opts: WorkflowClientOptions,
  baseUrl: string,
  call: ReturnType<typeof createEnvironmentCaller>["call"],
  now: () => number,
): { router: TenantRouter; authorizer: Authorizer } {
  const c = opts.credentials;
  if (!opts.online) {
    if (c.scheme === "systemuser") {
      throw new WfsyncError(
        "E_SYSTEM_USER_ONSITE",
        `The system user sign-in (WFSYNC_SYSTEM_USER_TOKEN, …) is for SuperOffice Online, but ${redactUrl(baseUrl)} is not an Online tenant. ` +
          "Give the url as Cust12345 or https://online.superoffice.com/Cust12345 (onlineEnvironment / WFSYNC_ONLINE_ENV for sod, qaonline or a base URL).",
      );
    }
    return { router: staticRouter(baseUrl), authorizer: staticAuthorizer(c) };
  }
  const online = opts.online;
  const authorizer =
    c.scheme === "systemuser"
      ? systemUserAuthorizer({
          credentials: c,
          environment: online.environment,
          tenantId: online.tenantId,
          call,
          now,
          onSignIn: (info) => opts.logger?.debug({ tenant: online.tenantId, renewal: info.renewal, ticketUntil: new Date(info.expiresAt).toISOString() }, "signed in as the system user"),
        })
      : staticAuthorizer(c);
  return { router: onlineRouter(online, call), authorizer };
}

function misdirected(method: string, base: string): ApiError {
  return new ApiError({
    kind: "rejected",
    code: "E_API_MISDIRECTED",
    method,
    status: 421,
    outcomeUnknown: false,
    message: `${method}: ${new URL(base).host} answered 421 Misdirected Request (it does not serve this tenant), also after asking the state API again where the tenant is.`,
  });
}
