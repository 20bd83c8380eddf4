/**
 * The watch loop: file events → incremental compile → the desired model (last good options of
 * failing files kept) → diff → apply, one run at a time. Every part comes in as an argument —
 * the event source, the compiler, the project files, the tenant engine and the clock — so
 * tests can drive it; `startWatch` (start.ts) wires the real ones.
 *
 * A run diffs against the state, not the server: reading every split on every save is what
 * would make a save slow on a big project. The server is read at start-up, on
 * `refreshIntervalMs` polls (which show drift), after a failed read, and — for exactly-once
 * creates — on the splits a run creates options in (adopting an option that already has the Key).
 */
import path from "node:path";
import type { ApplyProgress, ApplyResult } from "../apply/apply.js";
import { displayPath } from "../paths.js";
import type { DesiredOption } from "../compile/validate.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import type { Address } from "../model/option.js";
import type { SplitRef } from "../model/live.js";
import type { Change, Plan } from "../plan/diff.js";
import { makePlan } from "../plan/make.js";
import { ApiError } from "../client/errors.js";
import { SupersededError, type WatchEngine } from "./engine.js";
import type { FileEventSource } from "./files.js";
import { LastGoodModel, findFrozenFiles } from "./model.js";
import { WatchedProject, type ProjectFiles, type WatchCompiler } from "./project.js";
import { partitionPlan, splitsToLookUp, type RunPartition, type Waiting } from "./partition.js";
import { count, formatDuration } from "../text.js";
import type { WatchNotice, WatchRun } from "./run.js";
import { RunScheduler, systemClock, type Batch, type Clock } from "./schedule.js";

export type { ProjectFiles, WatchCompiler } from "./project.js";

export interface WatchLoopOptions {
  /** Paths in output and in error locations are relative to this folder (the compiler's root). */
  readonly root: string;
  readonly config: ResolvedConfig;
  readonly compiler: WatchCompiler;
  readonly files: ProjectFiles;
  readonly events: FileEventSource;
  readonly engine: WatchEngine;
  readonly onRun: (run: WatchRun) => void;
  readonly onNotice: (notice: WatchNotice) => void;
  readonly clock?: Clock;
  readonly allowDelete?: boolean;
  /**
   * With allowDelete, how long an option must stay gone from code before it is deleted (default
   * 10 s): a cut and paste, or a file renamed or moved, brings it back within that time.
   */
  readonly deleteGraceMs?: number;
  /** Read every split this often to find drift; 0 or absent: only at start-up. */
  readonly refreshIntervalMs?: number;
  readonly debounceMs?: number;
  /** First automatic retry after server trouble (default 2 s), doubling up to a minute. */
  readonly retryDelayMs?: number;
  /** Never an event source (the daemon writes it). */
  readonly logFile?: string;
}

export const DEFAULT_DEBOUNCE_MS = 100;
export const DEFAULT_DELETE_GRACE_MS = 10_000;
/** Runs that send at least this many changes report their progress. */
export const PROGRESS_FROM = 20;
const MAX_RETRY_DELAY_MS = 60_000;

export class WatchLoop {
  private readonly project: WatchedProject;
  private readonly clock: Clock;
  private readonly scheduler: RunScheduler;
  private readonly model = new LastGoodModel();
  private desired: ReadonlyMap<Address, DesiredOption> = new Map();
  /** Keys renamed in code (`split.moved`) as of the last compile. */
  private moves: ReadonlyMap<Address, Address> = new Map();
  private failing: ReadonlySet<string> = new Set();
  private watched = "";
  private needsRefresh = true;
  /** Drift already shown, by address: what the server had then (see newDrift). */
  private driftShown = new Map<Address, string>();
  private seq = 0;
  private retries = 0;
  private retryTimer: unknown;
  private refreshTimer: unknown;
  private graceTimer: unknown;
  /** When each delete was first planned (the grace period runs from then), by address. */
  private deleteSince = new Map<Address, number>();
  private closed = false;
  private firstRun: { resolve: (run: WatchRun) => void; reject: (err: unknown) => void } | undefined;

  constructor(private readonly o: WatchLoopOptions) {
    this.project = new WatchedProject(o);
    this.clock = o.clock ?? systemClock;
    this.scheduler = new RunScheduler({
      debounceMs: o.debounceMs ?? DEFAULT_DEBOUNCE_MS,
      clock: this.clock,
      run: (batch) => this.run(batch),
      onRunError: (err) => this.onRunError(err),
    });
  }

  /** Starts watching, then runs once over everything; resolves with that first run. */
  async start(): Promise<WatchRun> {
    this.project.init();
    this.updateWatched();
    // Watch before compiling, so a save made during the first run is not missed.
    await this.o.events.start(
      (abs) => this.onPath(abs),
      (err) => this.notice("warn", `file watcher: ${err.message}`),
    );
    const first = new Promise<WatchRun>((resolve, reject) => (this.firstRun = { resolve, reject }));
    this.scheduler.request("start");
    return first;
  }

  get stats(): { workflowFiles: number; options: number } {
    return { workflowFiles: this.project.workflowFiles.size, options: this.desired.size };
  }

  /** Resolves when no run is in flight or due (events still on their way are not counted). */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Stops taking work and cancels requests not yet sent; resolves once the run in flight is done. */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.refreshTimer);
    this.clock.clearTimeout(this.graceTimer);
    // A workflow file stuck in a loop must not hold up the stop for the evaluation time limit.
    this.o.compiler.close?.();
    await this.o.events.close();
    this.o.engine.stop();
    await this.scheduler.close();
    this.firstRun?.reject(new WfsyncError("E_WATCH_STOPPED", "watch was stopped before its first run finished"));
    this.firstRun = undefined;
  }

  /** A bug, not the user's or the server's doing: said, and the daemon goes on (unless it was the first run). */
  private onRunError(err: unknown): void {
    if (this.firstRun) {
      this.firstRun.reject(err);
      this.firstRun = undefined;
      return;
    }
    this.notice("warn", `internal error in a run (watch goes on): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  private onPath(abs: string): void {
    if (this.project.isRelevant(abs)) this.scheduler.add(abs);
  }

  private async run(batch: Batch): Promise<void> {
    const startedAt = this.clock.now();
    const seq = ++this.seq;
    const files = this.project.workflowFiles;
    const before = new Set(files);
    const { changed, config } = this.project.takeChanges(batch.paths);
    const removed = [...before].filter((f) => !files.has(f));
    const compiled = await this.o.compiler.compile(changed);
    // A workflow file that declares no workflow yet (a new, empty file) is not an error in a
    // daemon: it has nothing to send. One that had options keeps them (frozen), as a broken one.
    const declaresNothing = new Set(
      compiled.errors.filter((e) => e.code === "E_NO_WORKFLOWS" && e.location).map((e) => path.resolve(this.o.root, e.location!.file)),
    );
    const newEmpty = [...declaresNothing].filter((f) => files.has(f) && !this.model.has(f));
    const result = { ...compiled, errors: compiled.errors.filter((e) => !(e.code === "E_NO_WORKFLOWS" && e.location && newEmpty.includes(path.resolve(this.o.root, e.location.file)))) };
    const frozen = findFrozenFiles(result, this.o.root, files, (f) => this.o.compiler.importersOf(f));
    for (const f of newEmpty) frozen.delete(f);
    const desired = this.model.update(result.options, files, frozen);
    const recovered = [...this.failing].filter((f) => !frozen.has(f) && files.has(f));
    this.failing = frozen;
    this.desired = desired;
    this.moves = result.moves ?? new Map();
    this.project.noteModules(this.o.compiler.modules());
    this.updateWatched();

    let outcome: Outcome = EMPTY_OUTCOME;
    let problem: unknown;
    try {
      const recovered = await this.o.engine.recover?.();
      if (recovered) {
        this.notice("info", recovered);
        // Whatever was sent while the state could not record it is on the server only now.
        this.needsRefresh = true;
      }
      outcome = await this.plan(batch, desired, frozen, result.errors.length === 0);
      if (outcome.partition.send.length) {
        const plan = sendOnly(outcome.plan, outcome.partition.send);
        outcome = { ...outcome, result: await this.o.engine.apply(plan, (a) => this.stale(a, desired), this.progress(outcome.partition.send.length)) };
      }
    } catch (err) {
      problem = err;
    }
    const { partition, result: applied } = outcome;
    const superseded = applied.failed.filter((f) => f.error instanceof SupersededError).map((f) => f.change).sort(byAddress);
    const failed = applied.failed.filter((f) => !(f.error instanceof SupersededError)).sort((a, b) => byAddress(a.change, b.change));
    // A change the server refused may rest on a stale state (the option deleted there, say):
    // read the server on the next run, which then comes by itself.
    if (failed.length) this.needsRefresh = true;
    const retryInMs = this.scheduleRetry(problem, failed, failed.length > 0 && outcome.refreshed !== "all");
    const finishedAt = this.clock.now();
    const show = (f: string) => displayPath(f, this.o.root);
    const run: WatchRun = {
      seq,
      triggers: [...batch.triggers],
      files: [...batch.paths].map(show).sort(),
      startedAt,
      finishedAt,
      latencyMs: batch.firstEventAt === undefined ? undefined : finishedAt - batch.firstEventAt,
      refreshed: outcome.refreshed,
      workflowFiles: files.size,
      options: desired.size,
      errors: [...result.errors, ...partition.held.flatMap((h) => (h.error ? [h.error] : []))],
      failedFiles: [...frozen].map(show).sort(),
      emptyFiles: newEmpty.map(show).sort(),
      removedFiles: removed.map(show).sort(),
      recoveredFiles: recovered.map(show).sort(),
      ...(config ? { config } : {}),
      applied: [...applied.applied].sort(byAddress),
      ids: this.appliedIds(applied.applied),
      failed,
      superseded,
      cancelled: [...applied.cancelled].sort(byAddress),
      ...(applied.stopped ? { stopped: applied.stopped } : {}),
      held: partition.held,
      pendingDeletes: partition.pendingDeletes,
      drift: partition.drift,
      ...(problem === undefined ? {} : { problem }),
      ...(retryInMs === undefined ? {} : { retryInMs }),
    };
    // Whatever went wrong (the server down, a 401, a bug), polling goes on: a daemon that
    // silently stops looking at the server is worse than one that says it failed again.
    if (this.refreshTimer === undefined) this.armRefresh();
    this.o.onRun(run);
    this.firstRun?.resolve(run);
    this.firstRun = undefined;
  }

  /** Diff (reading the server where needed) and split into what is sent now and what waits. */
  private async plan(batch: Batch, desired: ReadonlyMap<Address, DesiredOption>, frozen: ReadonlySet<string>, compileClean: boolean): Promise<Outcome> {
    const applied = this.o.engine.applied();
    const isFrozen = (c: Change) => "desired" in c && frozen.has(c.desired.file);
    const full = this.needsRefresh || batch.triggers.has("refresh");
    // A daemon must not fight a person: drift is reported unless the config or --drift says otherwise.
    const drift = this.project.config.drift ?? "report";
    const input = { desired, applied, moved: this.moves, massDeleteShare: this.project.config.massDeleteShare, choices: { drift } };
    let { plan } = await makePlan({ ...input, read: "none" });
    // Updates too when the server's changes are to be kept: the merge needs what the server has now.
    const toRead = full ? "all" : splitsToLookUp(plan, isFrozen, drift !== "revert");
    let missing: readonly SplitRef[] = [];
    let readCount = 0;
    if (toRead === "all" || toRead.size) {
      const made = await makePlan({ ...input, read: toRead }, this.o.engine.readSplits);
      ({ plan, missing } = made);
      readCount = made.read.size;
      if (full) {
        this.needsRefresh = false;
        this.armRefresh();
      }
    }
    const partition = this.holdRecentDeletes(
      batch.triggers.has("start"),
      partitionPlan(plan, { applied, allowDelete: this.o.allowDelete ?? false, compileClean, frozen: isFrozen, missingSplits: new Set(missing) }),
    );
    return { plan, partition: { ...partition, drift: this.newDrift(partition.drift, full) }, refreshed: full ? "all" : readCount ? "some" : "none", result: EMPTY_RESULT };
  }

  /**
   * A large run says it started and how far it got (every tenth), so minutes of sending are not
   * minutes of silence; throttling is said by the queue's notices as it happens.
   */
  private progress(total: number): ((p: ApplyProgress) => void) | undefined {
    if (total < PROGRESS_FROM) return undefined;
    this.notice("info", `applying ${count(total, "change")}…`);
    const step = Math.ceil(total / 10);
    let said = 0;
    return (p) => {
      const settled = p.done + p.failed;
      if (settled < total && settled - said < step) return;
      said = settled;
      this.notice("info", `${settled}/${total} done${p.failed ? ` (${p.failed} failed)` : ""}`);
    };
  }

  /**
   * A delete is sent only once its option has been gone from code for the grace period: a cut
   * and paste, or a file renamed or moved, brings it back before then and the delete is simply
   * no longer planned — never a delete followed by a create. A run comes by itself when the
   * earliest grace period ends. At start-up the code is not being edited: what is gone from it
   * then has been gone since watch last ran, and is deleted at once.
   */
  private holdRecentDeletes(startUp: boolean, partition: RunPartition): RunPartition {
    const grace = startUp ? 0 : (this.o.deleteGraceMs ?? DEFAULT_DELETE_GRACE_MS);
    const now = this.clock.now();
    const planned = new Set<Address>();
    for (const w of partition.pendingDeletes) planned.add(w.change.address);
    const send: Change[] = [];
    const waiting: Waiting[] = [];
    let next = Infinity;
    for (const c of partition.send) {
      if (c.action !== "delete" || c.alreadyGone) {
        send.push(c);
        continue;
      }
      planned.add(c.address);
      const since = this.deleteSince.get(c.address) ?? now;
      this.deleteSince.set(c.address, since);
      const due = since + grace;
      if (due <= now) send.push(c);
      else {
        next = Math.min(next, due);
        waiting.push({ change: c, reason: `deleted in ${formatDuration(due - now)} unless it comes back in code` });
      }
    }
    // Back in code (or no longer to be deleted at all): its grace period starts over next time.
    for (const address of [...this.deleteSince.keys()]) if (!planned.has(address)) this.deleteSince.delete(address);
    if (next !== Infinity && !this.closed) {
      this.clock.clearTimeout(this.graceTimer);
      this.graceTimer = this.clock.setTimeout(() => this.scheduler.request("grace"), next - now);
    }
    return { ...partition, send, pendingDeletes: [...partition.pendingDeletes, ...waiting] };
  }

  /**
   * Drift left on the server (policy report) is said once: the same server change is not shown
   * again on every refresh, only when it changes or comes back. A full read forgets drift no
   * longer there.
   */
  private newDrift(drift: readonly Change[], full: boolean): Change[] {
    const seen = new Map<Address, string>();
    const fresh: Change[] = [];
    for (const c of drift) {
      const print = `${c.action} ${"id" in c ? c.id : ""} ${JSON.stringify(c.fields?.map((f) => [f.field, f.server]) ?? null)}`;
      seen.set(c.address, print);
      if (this.driftShown.get(c.address) !== print) fresh.push(c);
    }
    if (full) this.driftShown = seen;
    else for (const [a, print] of seen) this.driftShown.set(a, print);
    return fresh;
  }

  /** True when the file declaring `address` changed again after this run compiled it. */
  private stale(address: Address, desired: ReadonlyMap<Address, DesiredOption>): boolean {
    const pending = this.scheduler.pending;
    if (pending.size === 0) return false;
    const declared = desired.get(address)?.file;
    if (declared !== undefined) return pending.has(declared);
    // The file (as shown, relative to the root) the state says declared it.
    const was = this.o.engine.applied().get(address)?.source?.file;
    return was !== undefined && pending.has(path.resolve(this.o.root, was));
  }

  private updateWatched(): void {
    const spec = this.project.watchSpec();
    const key = JSON.stringify(spec);
    if (key === this.watched) return;
    this.watched = key;
    this.o.events.setWatched(spec);
  }

  /** Server trouble: run again by itself after a growing pause (a save runs sooner). */
  /** The ids the state records for applied changes (a delete has none left). */
  private appliedIds(changes: readonly Change[]): Map<string, number> {
    const entries = this.o.engine.applied();
    const ids = new Map<string, number>();
    for (const c of changes) {
      const id = c.action === "delete" ? undefined : entries.get(c.address)?.id;
      if (id !== undefined) ids.set(c.address, id);
    }
    return ids;
  }

  private scheduleRetry(problem: unknown, failed: readonly { error: unknown }[], stateSuspect: boolean): number | undefined {
    const trouble = stateSuspect || isServerTrouble(problem) || failed.some((f) => isServerTrouble(f.error));
    if (!trouble || this.closed) {
      if (problem === undefined && failed.length === 0) this.retries = 0;
      return undefined;
    }
    const delay = Math.min(MAX_RETRY_DELAY_MS, (this.o.retryDelayMs ?? 2000) * 2 ** this.retries++);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.scheduler.request("retry"), delay);
    return delay;
  }

  private armRefresh(): void {
    const every = this.o.refreshIntervalMs ?? 0;
    if (every <= 0 || this.closed) return;
    this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = this.clock.setTimeout(() => {
      this.refreshTimer = undefined;
      this.scheduler.request("refresh");
    }, every);
  }

  private notice(level: WatchNotice["level"], message: string): void {
    this.o.onNotice({ at: this.clock.now(), level, message });
  }
}

interface Outcome {
  readonly plan: Plan;
  readonly partition: RunPartition;
  readonly refreshed: WatchRun["refreshed"];
  readonly result: ApplyResult;
}

const EMPTY_RESULT: ApplyResult = { applied: [], failed: [], cancelled: [] };
const EMPTY_OUTCOME: Outcome = {
  plan: { changes: [], summary: { create: 0, update: 0, delete: 0, adopt: 0, noop: 0, conflict: 0, drift: 0 }, massDeletes: [], unmanaged: [], refreshed: false, drift: "report" },
  partition: { send: [], held: [], pendingDeletes: [], drift: [] },
  refreshed: "none",
  result: EMPTY_RESULT,
};

/** Completion order is arbitrary: runs list changes in plan order. */
function byAddress(a: Change, b: Change): number {
  return a.workflowId - b.workflowId || a.workflowStepId - b.workflowStepId || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function sendOnly(plan: Plan, send: readonly Change[]): Plan {
  return { ...plan, changes: send };
}

/**
 * Faults that go away by themselves (the queue already retried them a few times); an Online
 * tenant that is offline or in maintenance is back once its maintenance is over.
 */
function isServerTrouble(err: unknown): boolean {
  if (err === undefined || err instanceof SupersededError) return false;
  if (err instanceof ApiError) return err.retryable;
  return err instanceof WfsyncError && (err.code === "E_THROTTLED_TOO_LONG" || err.code === "E_TENANT_OFFLINE");
}
