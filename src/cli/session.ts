/**
 * What plan, apply, watch and import share: the loaded project, the logger, the tenant's URL,
 * the client and the tenant queue. Built from global flags, the config and the environment.
 */
import type { Command } from "commander";
import type { Logger } from "pino";
import { createTenantQueue, type QueueEvent, type TenantQueue, type TenantQueueOptions } from "../apply/queue.js";
import { credentialsFromEnv } from "../client/credentials.js";
import { normaliseBaseUrl } from "../client/url.js";
import { createWorkflowClient, type WorkflowClient } from "../client/workflow.js";
import { openProject, type OpenProject } from "../compile/load.js";
import type { ConfigOverrides, ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import { createLogger } from "../log.js";
import type { GlobalOptions } from "./main.js";

export interface Session {
  readonly project: OpenProject;
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly tenant: string;
  readonly api: WorkflowClient;
  readonly queue: TenantQueue;
  close(): void;
}

export interface SessionOptions {
  readonly overrides?: ConfigOverrides;
  /** No server access at all (no credentials needed): `plan --no-refresh`. */
  readonly offline?: boolean;
  /** Receives queue events (progress lines, throttling notices). */
  readonly onQueueEvent?: (event: QueueEvent) => void;
  /** The folder the config is looked up from (default: the current one). */
  readonly cwd?: string;
  /** Where WFSYNC_URL and the credentials come from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Queue timings the config does not expose (tests shorten backoff and default pauses). */
  readonly queueTimings?: Pick<TenantQueueOptions, "baseDelayMs" | "maxDelayMs" | "defaultRetryAfterMs" | "random">;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function makeLogger(global: GlobalOptions): Logger {
  return createLogger({ level: global.logLevel, ...(global.logFile ? { file: global.logFile } : {}) });
}

export function openSession(global: GlobalOptions, options: SessionOptions = {}): Session {
  const logger = makeLogger(global);
  const env = options.env ?? process.env;
  const project = openProject({
    cwd: options.cwd ?? process.cwd(),
    config: global.config,
    overrides: { ...options.overrides, url: global.url },
    env,
  });
  const { config } = project;
  return { project, config, logger, ...connectTenant(config, logger, env, options) };
}

export interface TenantConnection {
  /** The normalised installation base. */
  readonly tenant: string;
  readonly api: WorkflowClient;
  readonly queue: TenantQueue;
  close(): void;
}

/** The client and the tenant queue for a loaded config (its URL, timeouts, rate, concurrency). */
export function connectTenant(
  config: ResolvedConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  options: Pick<SessionOptions, "offline" | "onQueueEvent" | "queueTimings"> = {},
): TenantConnection {
  if (!config.url) {
    throw new WfsyncError("E_NO_URL", "no tenant URL: set `url` in the config, WFSYNC_URL, or pass --url");
  }
  const tenant = normaliseBaseUrl(config.url);
  // `plan --no-refresh` sends nothing, so it needs no credentials either.
  const api = options.offline ? offlineClient(tenant) : createWorkflowClient({ baseUrl: tenant, credentials: credentialsFromEnv(env), timeoutMs: config.timeoutMs, logger });
  const queue = createTenantQueue({
    concurrency: config.concurrency,
    rate: config.rate,
    maxRetries: config.maxRetries,
    ...options.queueTimings,
    onEvent: (event) => {
      logQueueEvent(logger, event);
      options.onQueueEvent?.(event);
    },
  });
  return { tenant, api, queue, close: () => api.close() };
}


/** A client for a session that must not reach the server: any call is a bug, said loudly. */
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

function logQueueEvent(logger: Logger, event: QueueEvent): void {
  switch (event.type) {
    case "throttled":
      logger.warn({ waitMs: event.waitMs, label: event.label }, `the server asked to slow down: pausing all requests for ${(event.waitMs / 1000).toFixed(1)} s`);
      return;
    case "retry":
      logger.warn({ attempt: event.attempt, delayMs: event.delayMs, label: event.label, err: event.error.message }, `retrying ${event.label ?? "request"} in ${event.delayMs} ms after: ${event.error.message}`);
      return;
    case "failed":
      logger.debug({ label: event.label, attempts: event.attempts }, "request failed");
      return;
    default:
      return;
  }
}
