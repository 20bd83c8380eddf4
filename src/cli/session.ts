/**
 * What plan, apply, watch and import share: the loaded project, the logger, the tenant's URL,
 * the client and the tenant queue. Built from global flags, the config and the environment.
 */
import type { Command } from "commander";
import type { Logger } from "pino";
import { connectTenant as connectTo, type ConnectOptions, type TenantConnection } from "../apply/connect.js";
import type { QueueEvent, TenantQueue } from "../apply/queue.js";
import type { WorkflowClient } from "../client/workflow.js";
import { openProject, type OpenProject } from "../compile/load.js";
import type { ConfigOverrides, ResolvedConfig } from "../config/load.js";
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
  readonly queueTimings?: ConnectOptions["queueTimings"];
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

/** connectTenant with the CLI's logging of queue events (throttling, retries). */
export function connectTenant(
  config: ResolvedConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  options: Pick<SessionOptions, "offline" | "onQueueEvent" | "queueTimings"> = {},
): TenantConnection {
  return connectTo(config, {
    env,
    logger,
    ...(options.offline ? { offline: true } : {}),
    ...(options.queueTimings ? { queueTimings: options.queueTimings } : {}),
    onQueueEvent: (event) => {
      logQueueEvent(logger, event);
      options.onQueueEvent?.(event);
    },
  });
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
