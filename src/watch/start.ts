/**
 * `startWatch`: the sync daemon in-process (what `wfsync watch` runs, and what the benchmark and
 * tests drive).
 *
 *   const watch = startWatch({ cwd: projectDir, url, env: process.env, allowDelete: false });
 *   watch.runs.on("run", (run: WatchRun) => …);        // every run, the start-up run included
 *   watch.runs.on("notice", (n: WatchNotice) => …);    // throttling, retries, watcher trouble
 *   const ready = await watch.ready;                   // watching, and the first run finished
 *   …edit files; each save leads to a run…
 *   await watch.idle();                                // no run in flight or due
 *   await watch.close();                               // stop; finish in-flight requests; save state
 *
 * - `ready` resolves with the tenant URL, the counts and the first run once the files are
 *   watched and the start-up run (full compile, read every split, apply) is over; it rejects
 *   when the daemon cannot start (no config, config errors, no URL, the state locked by another
 *   wfsync, …). After a rejection, still call `close()`.
 * - `runs` emits `"run"` with a WatchRun (run.ts) after each run — `latencyMs` is save→applied
 *   (first file event of the batch to the end of the run) — and `"notice"` with a WatchNotice.
 * - The state lock is held from start until `close()` resolves. `close()` stops watching,
 *   cancels requests not yet sent, lets those in flight finish, writes the state file and
 *   releases the lock; calling it twice is harmless.
 */
import { tenantLabel, type TenantTarget } from "../client/routing.js";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { CompileResult, WorkflowCompiler } from "../compile/compiler.js";
import { WfsyncError } from "../errors.js";
import { tenantNames } from "../workspace/names.js";
import { findWorkflowFiles, loadConfig, type ConfigOverrides } from "../config/load.js";
import type { StateStore } from "../state/index.js";
import { limitsNow } from "../tenant/limits.js";
import type { QueueEvent } from "../tenant/queue.js";
import type { ApiGeneration, Tenant } from "../tenant/tenant.js";
import { formatDuration } from "../text.js";
import { openWorkspace } from "../workspace/workspace.js";
import { createTenantEngine } from "./engine.js";
import { WorkflowMatcher, chokidarSource } from "./files.js";
import { WatchLoop, type WatchCompiler } from "./loop.js";
import type { WatchNotice, WatchRun } from "./run.js";

export interface StartWatchOptions {
  /** The project folder: sync.config.ts is looked for here; paths are shown relative to it. */
  readonly cwd: string;
  /** `--config`. */
  readonly config?: string | undefined;
  /** `--url`: wins over WFSYNC_URL and the config. */
  readonly url?: string | undefined;
  /** `--api`: the API generation (default: the config's, else asked of the server). */
  readonly api?: string | undefined;
  /** `--env`: the environment of the config to follow (default WFSYNC_ENV). */
  readonly environment?: string | undefined;
  /** Credentials and WFSYNC_URL come from here (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** `--allow-delete`: delete options removed from code (otherwise they are pending deletes). */
  readonly allowDelete?: boolean;
  /** `--delete-grace` in ms: how long an option must stay gone from code before it is deleted (default 10 s). */
  readonly deleteGraceMs?: number;
  /** `--drift`: what to do with changes made on the server (default: the config's, else report). */
  readonly drift?: string | undefined;
  /** `--refresh-interval` in ms: read every split this often to find drift (0/absent: never). */
  readonly refreshIntervalMs?: number;
  /** Quiet time after the last file event before a run (default 100 ms). */
  readonly debounceMs?: number;
  /** First automatic retry after server trouble (default 2 s, doubling up to a minute). */
  readonly retryDelayMs?: number;
  /** Runs and notices are logged here (info); the client logs requests (debug). */
  readonly logger?: Logger;
  /** `--log-file`: never treated as a source file. */
  readonly logFile?: string | undefined;
  /** How long to wait for a state lock another process holds (`--lock-timeout`). */
  readonly lockTimeoutMs?: number | undefined;
  /** Every queue event (throttling, retries, limit changes) as it happens (`watch --json`). */
  readonly onQueueEvent?: (event: QueueEvent) => void;
}

export interface WatchReady {
  readonly url: string;
  /** The tenant in words, as the plan header names it ("Cust12345 (online2.superoffice.com), SuperOffice 12.4"; on-site the URL). */
  readonly tenant: string;
  /** The tenant's API generation, when the server could be asked at start. */
  readonly api?: ApiGeneration | undefined;
  readonly workflowFiles: number;
  readonly options: number;
  /** The state file (absolute), locked while watch runs. */
  readonly statePath: string;
  readonly firstRun: WatchRun;
}

export interface WatchEvents {
  run: [run: WatchRun];
  notice: [notice: WatchNotice];
}

export interface WatchHandle {
  readonly ready: Promise<WatchReady>;
  readonly runs: EventEmitter<WatchEvents>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Parts {
  loop?: WatchLoop;
  /** The state as opened at start; once the engine has it, the engine's (opened again after a lost database). */
  state?: StateStore;
  engine?: { close(): void; readonly state?: StateStore };
}

export function startWatch(options: StartWatchOptions): WatchHandle {
  const runs = new EventEmitter<WatchEvents>();
  const parts: Parts = {};
  const opened = open(options, runs, parts);
  const ready = opened.then(async ({ loop, url, api, statePath, target }) => {
    const firstRun = await loop.start();
    // After the first run: by then an Online tenant's host and version are known.
    return { url, tenant: tenantLabel(target()), api, statePath, firstRun, ...loop.stats };
  });
  let closing: Promise<void> | undefined;
  return {
    ready,
    runs,
    idle: () => parts.loop?.idle() ?? Promise.resolve(),
    close: () =>
      (closing ??= (async () => {
        await opened.catch(() => undefined);
        try {
          await parts.loop?.close();
          await ready.catch(() => undefined);
        } finally {
          try {
            await (parts.engine?.state ?? parts.state)?.close();
          } finally {
            parts.engine?.close();
          }
        }
      })()),
  };
}

async function open(
  options: StartWatchOptions,
  runs: EventEmitter<WatchEvents>,
  parts: Parts,
): Promise<{ loop: WatchLoop; url: string; api: ApiGeneration | undefined; statePath: string; target: () => TenantTarget }> {
  const env = options.env ?? process.env;
  const logger = options.logger;
  const overrides: ConfigOverrides = { url: options.url, api: options.api, environment: options.environment, drift: options.drift };
  const notice = (level: WatchNotice["level"], message: string): void => {
    logger?.info({ event: "notice", level }, message);
    runs.emit("notice", { at: Date.now(), level, message });
  };
  // The same opening as plan and apply: config, workflow files (at least one), check cache, tenant.
  const workspace = openWorkspace({
    cwd: options.cwd,
    config: options.config,
    overrides,
    env,
    ...(logger ? { logger } : {}),
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    onQueueEvent: (e) => {
      queueNotice(e, notice);
      options.onQueueEvent?.(e);
    },
  });
  parts.engine = { close: () => workspace.close() };
  const { config, project } = workspace;
  const { compiler } = project;
  const configFile = config.configFile;
  const state = await workspace.openState({ lock: true, command: "wfsync watch" });
  parts.state = state;
  // Server trouble at start is the first run's to report and retry, not a reason not to start.
  const api = await workspace.tenant.generation().catch(() => undefined);
  if (api) state.bindApi(api);

  const engine = createTenantEngine({
    tenant: workspace.tenant,
    config,
    connect: workspace.connect,
    state,
    reopen: () => workspace.openState({ lock: true, command: "wfsync watch" }),
  });
  parts.engine = engine;
  const logFile = options.logFile === undefined ? undefined : path.resolve(options.cwd, options.logFile);
  const own = new WorkflowMatcher(config, logFile);
  runs.on("run", (run) => logger?.info(runLogFields(run), `run ${run.seq}`));
  parts.loop = new WatchLoop({
    root: options.cwd,
    config,
    compiler: watchCompiler(compiler, configFile, workspace.tenant),
    files: {
      configFile,
      loadConfig: () => loadConfig(compiler, configFile, overrides, env),
      listWorkflowFiles: (c) => findWorkflowFiles(c),
      exists: (f) => existsSync(f),
    },
    events: chokidarSource((abs) => own.isOwnFile(abs)),
    engine,
    onRun: (run) => runs.emit("run", run),
    onNotice: (n) => notice(n.level, n.message),
    allowDelete: options.allowDelete ?? false,
    ...(options.deleteGraceMs !== undefined ? { deleteGraceMs: options.deleteGraceMs } : {}),
    ...(options.refreshIntervalMs !== undefined ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(logFile !== undefined ? { logFile } : {}),
  });
  return { loop: parts.loop, url: workspace.tenant.url, api, statePath: state.path, target: () => workspace.tenant.target() };
}

/** The compiler plus the two questions the loop asks about the import graph. */
function watchCompiler(compiler: WorkflowCompiler, configFile: string, tenant: Tenant): WatchCompiler {
  // Flows and splits named in code are found on the tenant when first needed, and again when
  // code names one the last look-up did not know (a flow made since).
  const resolve = async (result: CompileResult): Promise<CompileResult> => {
    try {
      return compiler.resolveNames(await tenantNames(tenant, result.unresolved));
    } catch (err) {
      // Without the names those files' options are unknown: they keep their last good options.
      const files = new Set(result.unresolved.map((u) => u.file));
      const why = err instanceof Error ? err.message : String(err);
      const error = new WfsyncError("E_NAMES", `cannot find the flows and splits named in code on the tenant: ${why}`);
      return { ...result, errors: [...result.errors, error], failedFiles: new Set([...result.failedFiles, ...files]) };
    }
  };
  return {
    setWorkflowFiles: (files) => compiler.setWorkflowFiles(files),
    compile: async (changed) => {
      let result = await compiler.compileAsync(changed);
      if (result.unresolved.length) return resolve(result);
      if (result.errors.some((e) => e.code === "E_FLOW_NAME" || e.code === "E_SPLIT_NAME")) {
        result = compiler.resolveNames(undefined);
        if (result.unresolved.length) return resolve(result);
      }
      return result;
    },
    close: () => compiler.close(),
    importersOf(file) {
      const seen = new Set<string>();
      const visit = (f: string): void => {
        for (const importer of compiler.importersOf(f)) {
          if (seen.has(importer)) continue;
          seen.add(importer);
          visit(importer);
        }
      };
      visit(file);
      return seen;
    },
    modules: () => compiler.modules().filter((f) => f !== configFile),
  };
}

function queueNotice(e: QueueEvent, notice: (level: WatchNotice["level"], message: string) => void): void {
  if (e.type === "throttled") notice("warn", `the server asked to slow down: pausing all requests for ${formatDuration(e.waitMs)}`);
  else if (e.type === "retry") notice("warn", `retrying ${e.label ?? "a request"} in ${formatDuration(e.delayMs)} after: ${e.error.message}`);
  else if (e.type === "limits" && e.reason === "throttled") notice("warn", `server throttling: now ${limitsNow(e)}`);
  else if (e.type === "limits" && e.restored) notice("info", `server no longer throttling: back to ${limitsNow(e)}`);
}

/** A run as JSON log fields (`--log-file`): addresses and counts, never option contents. */
function runLogFields(run: WatchRun): Record<string, unknown> {
  const addresses = (list: readonly { address: string }[]) => list.map((c) => c.address);
  return {
    event: "run",
    seq: run.seq,
    triggers: run.triggers,
    files: run.files,
    durationMs: run.finishedAt - run.startedAt,
    latencyMs: run.latencyMs,
    refreshed: run.refreshed,
    applied: run.applied.map((c) => `${c.action} ${c.address}`),
    failed: run.failed.map((f) => ({ address: f.change.address, error: f.error instanceof Error ? f.error.message : String(f.error) })),
    superseded: addresses(run.superseded),
    held: run.held.map((h) => ({ address: h.change.address, reason: h.reason })),
    pendingDeletes: run.pendingDeletes.map((h) => h.change.address),
    drift: addresses(run.drift),
    errors: run.errors.map((e) => ({ code: e.code, message: e.message, location: e.location })),
    failedFiles: run.failedFiles,
    ...(run.config ? { config: { reloaded: run.config.reloaded, notes: run.config.notes } } : {}),
    ...(run.problem === undefined ? {} : { problem: run.problem instanceof Error ? run.problem.message : String(run.problem) }),
  };
}
