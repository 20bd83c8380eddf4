/**
 * A connection to one tenant: the HTTP client and the tenant queue, made from a loaded config
 * (its URL, timeout, concurrency, rate, retries). plan, apply, import and watch all use it.
 */
import { credentialsFromEnv, type Credentials } from "../client/credentials.js";
import { normaliseBaseUrl } from "../client/url.js";
import { createWorkflowClient, type DebugLogger, type WorkflowClient } from "../client/workflow.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import { createTenantQueue, type QueueEvent, type TenantQueue, type TenantQueueOptions } from "./queue.js";

export interface TenantConnection {
  /** The normalised installation base. */
  readonly tenant: string;
  readonly api: WorkflowClient;
  readonly queue: TenantQueue;
  close(): void;
}

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
}

/** The config's tenant URL, normalised; a clear error when there is none. */
export function tenantUrl(config: Pick<ResolvedConfig, "url">): string {
  if (!config.url) throw new WfsyncError("E_NO_URL", "no tenant URL: set `url` in the config, WFSYNC_URL, or pass --url");
  return normaliseBaseUrl(config.url);
}

export function connectTenant(config: ResolvedConfig, options: ConnectOptions = {}): TenantConnection {
  const tenant = tenantUrl(config);
  const api = options.offline
    ? offlineClient(tenant)
    : createWorkflowClient({
        baseUrl: tenant,
        credentials: options.credentials ?? credentialsFromEnv(options.env ?? process.env),
        timeoutMs: config.timeoutMs,
        ...(options.logger ? { logger: options.logger } : {}),
      });
  const queue = createTenantQueue({
    concurrency: config.concurrency,
    rate: config.rate,
    maxRetries: config.maxRetries,
    ...options.queueTimings,
    ...(options.onQueueEvent ? { onEvent: options.onQueueEvent } : {}),
  });
  return { tenant, api, queue, close: () => api.close() };
}

/** A client for a run that must not reach the server: any call is a bug, said loudly. */
function offlineClient(baseUrl: string): WorkflowClient {
  const refuse = async (): Promise<never> => {
    throw new WfsyncError("E_OFFLINE", "this command runs without the server, but something tried to call it", { userError: false });
  };
  return {
    baseUrl,
    close: () => undefined,
    getWorkflowStep: refuse,
    getWorkflowStepOption: refuse,
    saveWorkflowStepOption: refuse,
    deleteWorkflowStepOption: refuse,
    createDefaultWorkflowStepOption: refuse,
    getEmailFlow: refuse,
  };
}
