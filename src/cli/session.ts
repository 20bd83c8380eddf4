/**
 * The CLI's workspace: openWorkspace with the logger the global flags configure and the CLI's
 * logging of queue events (throttling, retries) on top of whatever the command shows itself.
 */
import type { Logger } from "pino";
import type { LoggerOptions } from "../log.js";
import type { QueueEvent } from "../tenant/queue.js";
import { formatDuration } from "../text.js";
import { limitsNow } from "../tenant/limits.js";
import { openWorkspace, type Workspace, type WorkspaceOptions } from "../workspace/workspace.js";
import { makeLogger, type GlobalOptions } from "./global.js";

export interface Session extends Workspace {
  readonly logger: Logger;
}

export type SessionOptions = Partial<Omit<WorkspaceOptions, "config" | "logger">> & {
  /** Where readable log lines go instead of fd 2. */
  logStderr?: LoggerOptions["stderr"];
  /** One logger for several sessions (a fleet run); default: one made from the global flags. */
  logger?: Logger;
};

export function openSession(global: GlobalOptions, sessionOptions: SessionOptions = {}): Session {
  const { logStderr, logger: shared, ...options } = sessionOptions;
  const logger = shared ?? makeLogger(global, logStderr);
  const workspace = openWorkspace({
    ...options,
    cwd: options.cwd ?? process.cwd(),
    config: global.config,
    overrides: { ...options.overrides, url: global.url, api: global.api, environment: global.env },
    ...(global.lockTimeout !== undefined ? { lockTimeoutMs: global.lockTimeout } : {}),
    logger,
    onQueueEvent: logQueueEvents(logger, options.onQueueEvent),
  });
  return { ...workspace, logger };
}

/** Logs throttling and retries, then hands each event on to `next` (a progress line, say). */
export function logQueueEvents(logger: Logger, next?: (event: QueueEvent) => void): (event: QueueEvent) => void {
  return (event) => {
    logQueueEvent(logger, event);
    next?.(event);
  };
}

function logQueueEvent(logger: Logger, event: QueueEvent): void {
  switch (event.type) {
    case "throttled":
      logger.warn({ waitMs: event.waitMs, label: event.label }, `the server asked to slow down: pausing all requests for ${formatDuration(event.waitMs)}`);
      return;
    case "retry":
      logger.warn({ attempt: event.attempt, delayMs: event.delayMs, label: event.label, err: event.error.message }, `retrying ${event.label ?? "request"} in ${formatDuration(event.delayMs)} after: ${event.error.message}`);
      return;
    case "limits":
      if (event.reason === "throttled") logger.warn({ concurrency: event.concurrency, rate: event.rate, served: event.served }, `server throttling: now ${limitsNow(event)}`);
      else if (event.restored) logger.info({ concurrency: event.concurrency, rate: event.rate }, `server no longer throttling: back to ${limitsNow(event)}`);
      else logger.debug({ concurrency: event.concurrency, rate: event.rate }, `server quiet: raising limits to ${limitsNow(event)}`);
      return;
    case "failed":
      logger.debug({ label: event.label, attempts: event.attempts }, "request failed");
      return;
    default:
      return;
  }
}
