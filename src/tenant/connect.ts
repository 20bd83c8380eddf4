/**
 * Connecting to one tenant: the HTTP client, the tenant queue and the API generation's adapter,
 * made from a loaded config (its URL, timeout, concurrency, rate, retries; the limits as
 * tenant/limits resolves them for the kind of server). plan, apply, import
 * and watch all connect here.
 */
import { credentialsFor, type Credentials } from "../client/credentials.js";
import { onlineTenant, type OnlineTenantRef } from "../client/online.js";
import type { TenantTarget } from "../client/routing.js";
import { normaliseBaseUrl } from "../client/url.js";
import { createWorkflowClient, type DebugLogger, type WorkflowApi, type WorkflowClient } from "../client/workflow.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import { createTenantQueue, type QueueEvent, type TenantQueue, type TenantQueueOptions } from "./queue.js";
import { ApiError } from "../client/errors.js";
import { flowTenant } from "./flow.js";
import { limitsFor } from "./limits.js";
import { perOptionTenant, type ApiGeneration, type Tenant } from "./tenant.js";

export interface ConnectOptions {
  /** Default: read from `env` (WFSYNC_*). */
  readonly credentials?: Credentials;
  readonly env?: NodeJS.ProcessEnv;
  /** No server access at all (no credentials needed): `plan --no-refresh`. */
  readonly offline?: boolean;
  readonly logger?: DebugLogger;
  readonly onQueueEvent?: (event: QueueEvent) => void;
  /** Queue timings the config does not expose (tests shorten backoff and default pauses). */
  readonly queueTimings?: Pick<TenantQueueOptions, "baseDelayMs" | "maxDelayMs" | "defaultRetryAfterMs" | "random">;
  /** Forces the API generation (`--api`); default: the config's `api`, else found by a probe. */
  readonly api?: ApiGeneration;
  /** Sees every call below the queue (tests time and fail requests there). */
  readonly wrapApi?: (api: WorkflowApi) => WorkflowApi;
}

/**
 * How long a create that got no answer is given to land before it is looked for. Past that it
 * is reported as unknown rather than sent again, so this only decides how often a slow server
 * leaves an apply with "not known whether … was created" instead of "created".
 */
const CREATE_SETTLE_MS = 2_000;

/**
 * The config's tenant URL, normalised (an Online tenant's as its identity,
 * `https://online.superoffice.com/Cust12345`, however it was written); a clear error when there is none.
 */
export function tenantUrl(config: Pick<ResolvedConfig, "url" | "onlineEnvironment">): string {
  return onlineRef(config)?.identity ?? normaliseBaseUrl(requireUrl(config));
}

/** The Online tenant the config names, or undefined for an on-site installation. */
export function onlineRef(config: Pick<ResolvedConfig, "url" | "onlineEnvironment">): OnlineTenantRef | undefined {
  return onlineTenant(requireUrl(config), config.onlineEnvironment, "onlineEnvironment (or WFSYNC_ONLINE_ENV)");
}

function requireUrl(config: Pick<ResolvedConfig, "url">): string {
  if (!config.url) throw new WfsyncError("E_NO_URL", "no tenant URL: set `url` in the config, WFSYNC_URL, or pass --url");
  return config.url;
}

export function connectTenant(config: ResolvedConfig, options: ConnectOptions = {}): Tenant {
  const online = onlineRef(config);
  const url = online?.identity ?? tenantUrl(config);
  const client = options.offline
    ? offlineClient(url, online)
    : createWorkflowClient({
        baseUrl: url,
        online,
        credentials: options.credentials ?? credentialsFor(options.env ?? process.env, config.environment),
        timeoutMs: config.timeoutMs,
        ...(options.logger ? { logger: options.logger } : {}),
      });
  const limits = limitsFor(config, { url, online });
  const queue = createTenantQueue({
    concurrency: limits.concurrency,
    rate: limits.rate,
    adaptive: limits.adaptive,
    maxRetries: config.maxRetries,
    ...options.queueTimings,
    ...(options.onQueueEvent ? { onEvent: options.onQueueEvent } : {}),
  });
  const api = options.wrapApi ? options.wrapApi(client) : client;
  const adapter = { close: () => client.close(), settleMs: Math.min(config.timeoutMs, CREATE_SETTLE_MS), target: () => client.target() };
  const make = (generation: ApiGeneration): Tenant => (generation === "12" ? flowTenant(url, api, queue, adapter) : perOptionTenant(url, api, queue, adapter));
  const forced = options.api ?? config.api;
  if (!online) {
    if (forced) return make(forced);
    return probingTenant(url, queue, () => probeGeneration(api, queue), make, adapter);
  }
  // Online: where the tenant is served comes first (one that is not running fails here, before
  // any other request), and the version the state API names tells the generation.
  return probingTenant(
    url,
    queue,
    async () => {
      const target = await queue.run(() => client.resolve(), { label: `where ${online.tenantId} is served (state API)` });
      return forced ?? generationOfVersion(target.online?.version) ?? (await probeGeneration(api, queue));
    },
    make,
    adapter,
  );
}

/**
 * The generation a SuperOffice version speaks: 10.2.10 and later the flow API, 10.2.4–10.2.9
 * the per-option one; undefined for a version that does not parse (then the server is probed).
 */
export function generationOfVersion(version: string | undefined): ApiGeneration | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version ?? "");
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major !== 10) return major > 10 ? "12" : "10.2";
  if (minor !== 2) return minor > 2 ? "12" : "10.2";
  return patch >= 10 ? "12" : "10.2";
}

/**
 * Which generation a server speaks, by a call that changes nothing: CreateDefaultWorkflowStepOption
 * exists on 10.2.4–10.2.9 only; a current server has no such action and answers 404.
 */
export async function probeGeneration(api: Pick<WorkflowApi, "createDefaultWorkflowStepOption">, queue: TenantQueue): Promise<ApiGeneration> {
  try {
    await queue.run(() => api.createDefaultWorkflowStepOption(), { label: "CreateDefaultWorkflowStepOption (which API generation?)" });
    return "10.2";
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return "12";
    throw err;
  }
}

/** A tenant that finds out its generation on first use, then is that generation's adapter. */
function probingTenant(
  url: string,
  queue: TenantQueue,
  probe: () => Promise<ApiGeneration>,
  make: (g: ApiGeneration) => Tenant,
  adapter: { close: () => void; target: () => TenantTarget },
): Tenant {
  let chosen: Promise<Tenant> | undefined;
  // A failed probe (server down, refused credentials) is asked again next time, not remembered.
  const tenant = (): Promise<Tenant> =>
    (chosen ??= probe().then(make, (err: unknown) => {
      chosen = undefined;
      throw err;
    }));
  return {
    url,
    target: adapter.target,
    queue,
    generation: async () => (await tenant()).generation(),
    readSplits: async (splits, options) => (await tenant()).readSplits(splits, options),
    readSplitSteps: async (ids) => (await tenant()).readSplitSteps(ids),
    readFlow: async (id) => (await tenant()).readFlow(id),
    listFlows: async () => (await tenant()).listFlows(),
    createOption: async (option, o) => (await tenant()).createOption(option, o),
    updateOption: async (option, id, previous, o) => (await tenant()).updateOption(option, id, previous, o),
    deleteOption: async (id, o) => (await tenant()).deleteOption(id, o),
    close: adapter.close,
  };
}

/** A client for a run that must not reach the server: any call is a bug, said loudly. */
function offlineClient(baseUrl: string, online: OnlineTenantRef | undefined): WorkflowClient {
  const refuse = async (): Promise<never> => {
    throw new WfsyncError("E_OFFLINE", "this command runs without the server, but something tried to call it", { userError: false });
  };
  const target = (): TenantTarget => ({ url: baseUrl, ...(online ? { online: { tenantId: online.tenantId, environment: online.environment.name } } : {}) });
  return {
    baseUrl,
    target,
    resolve: refuse,
    close: () => undefined,
    getWorkflowStep: refuse,
    getWorkflowStepOption: refuse,
    saveWorkflowStepOption: refuse,
    deleteWorkflowStepOption: refuse,
    createDefaultWorkflowStepOption: refuse,
    getEmailFlow: refuse,
    saveEmailFlow: refuse,
    getArchiveList: refuse,
  };
}
