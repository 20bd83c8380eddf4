/**
 * Machine-readable output of apply and watch: every operation as JSON (`apply --json`), and the
 * NDJSON event stream (`apply --json=stream`, `watch --json`): one JSON object a line, each with
 * `type` and `time` (ISO 8601), for dashboards and wrappers that follow a run as it happens.
 *
 * The counts of `operation_done` by `result` always equal the `summary` that ends an apply (or a
 * watch run): both are made from the same outcomes.
 */
import type { ApplyProgress, ApplyResult } from "../apply/apply.js";
import { WfsyncError, formatLocation } from "../errors.js";
import type { Change } from "../plan/diff.js";
import { redactUrlsInText } from "../redact.js";
import type { QueueEvent } from "../tenant/queue.js";
import type { WatchRun } from "../watch/index.js";

export type EventType =
  | "plan"
  | "operation_started"
  | "operation_done"
  | "throttled"
  | "retry"
  | "limits"
  | "summary"
  | "error"
  | "ready"
  | "notice"
  | "stopped";

export interface EventSink {
  write(text: string): unknown;
}

/** Writes events, one line each; `now` is the clock (tests hand in a fixed one). */
export class EventStream {
  constructor(
    private readonly out: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  emit(type: EventType, data: Record<string, unknown> = {}): void {
    this.out.write(`${JSON.stringify({ type, time: this.now().toISOString(), ...data })}\n`);
  }

  /**
   * The queue's throttling, retries and limit changes; the rest (every request) is too
   * fine-grained. `extra` goes into each (a fleet's `environment`).
   */
  queueEvent(e: QueueEvent, extra: Record<string, unknown> = {}): void {
    switch (e.type) {
      case "throttled":
        this.emit("throttled", { ...extra, label: e.label ?? null, waitMs: e.waitMs, until: new Date(e.untilMs).toISOString(), status: e.error.status ?? null });
        return;
      case "retry":
        this.emit("retry", { ...extra, label: e.label ?? null, attempt: e.attempt, delayMs: e.delayMs, message: redactUrlsInText(e.error.message) });
        return;
      case "limits":
        this.emit("limits", { ...extra, concurrency: e.concurrency, rate: e.rate ?? null, reason: e.reason, restored: e.restored, served: e.served ?? null });
        return;
      default:
        return;
    }
  }

  /** A command that failed before or instead of its work: code, message and every located problem. */
  error(err: unknown, extra: Record<string, unknown> = {}): void {
    const leaves = err instanceof WfsyncError && "errors" in err ? (err as WfsyncError & { errors: readonly WfsyncError[] }).errors : [];
    this.emit("error", {
      ...extra,
      ...errorFields(err),
      problems: leaves.map((e) => ({ code: e.code, message: e.message, location: e.location ? formatLocation(e.location) : null })),
    });
  }
}

/** `superseded`: watch only, an option edited again before it was sent (the next run sends it). */
export type OperationResult = "applied" | "failed" | "cancelled" | "superseded";

export interface OperationJson {
  readonly address: string;
  /** create, update, delete, or adopt (an option already on the server, only recorded). */
  readonly action: string;
  /** The option's id on the server: the new one for a create; null when not known. */
  readonly id: number | null;
  readonly result: OperationResult;
  readonly source: string | null;
  /** Why it failed: the error's code and message (the server's own words where it gave some). */
  readonly code: string | null;
  readonly message: string | null;
}

/** Where the option's id comes from once it is recorded (the state). */
export type IdOf = (address: string) => number | undefined;

export function operationAction(c: Change): string {
  return c.action === "noop" ? "adopt" : c.action;
}

export function operationJson(c: Change, result: OperationResult, idOf: IdOf, error?: unknown): OperationJson {
  const known = "id" in c ? c.id : undefined;
  const id = result === "applied" && c.action !== "delete" ? (idOf(c.address) ?? known) : known;
  const failure =
    result === "failed"
      ? errorFields(error)
      : result === "cancelled"
        ? { code: "E_CANCELLED", message: "not sent: stopped" }
        : result === "superseded"
          ? { code: "E_SUPERSEDED", message: "edited again before it was sent: the next run sends the newer version" }
          : undefined;
  return {
    address: c.address,
    action: operationAction(c),
    id: id ?? null,
    result,
    source: c.source ? formatLocation(c.source) : null,
    code: failure?.code ?? null,
    message: failure?.message ?? (c.action === "delete" && c.alreadyGone ? "already gone from the server: forgotten in the state" : null),
  };
}

/** Every operation of an apply, in the order: applied, failed, not sent. */
export function operationsJson(result: ApplyResult, idOf: IdOf): OperationJson[] {
  return [
    ...result.applied.map((c) => operationJson(c, "applied", idOf)),
    ...result.failed.map((f) => operationJson(f.change, "failed", idOf, f.error)),
    ...result.cancelled.map((c) => operationJson(c, "cancelled", idOf)),
  ];
}

/** The counts a summary event and `apply --json`'s result give. */
export function resultCounts(result: ApplyResult): { applied: number; failed: number; cancelled: number } {
  return { applied: result.applied.length, failed: result.failed.length, cancelled: result.cancelled.length };
}

/**
 * Follows one apply as events: `operation_started` when a change's first request is about to
 * go (or, for one that sends nothing, just before it is done), `operation_done` as each ends,
 * and the ones never sent when the apply is over.
 */
export class OperationEvents {
  private readonly started = new Set<string>();

  constructor(
    private readonly events: EventStream,
    private readonly idOf: IdOf,
    private readonly extra: Record<string, unknown> = {},
  ) {}

  /** For applyPlan's beforeSend: never throws, so it never stops a change. */
  readonly beforeSend = (c: Change): void => this.start(c);

  /** For applyPlan's onProgress. */
  readonly onProgress = (p: ApplyProgress): void => {
    if (!p.last) return;
    this.start(p.last.change);
    this.events.emit("operation_done", { ...this.extra, ...operationJson(p.last.change, p.last.ok ? "applied" : "failed", this.idOf, p.last.error) });
  };

  /** After applyPlan: the changes it did not send, then the summary. */
  finish(result: ApplyResult, summary: Record<string, unknown>): void {
    for (const c of result.cancelled) this.events.emit("operation_done", { ...this.extra, ...operationJson(c, "cancelled", this.idOf) });
    this.events.emit("summary", {
      ...this.extra,
      ...resultCounts(result),
      stopped: result.stopped ? errorFields(result.stopped) : null,
      ...summary,
    });
  }

  private start(c: Change): void {
    if (this.started.has(c.address)) return;
    this.started.add(c.address);
    this.events.emit("operation_started", { ...this.extra, address: c.address, action: operationAction(c), id: "id" in c ? c.id : null });
  }
}

export function errorFields(err: unknown): { code: string; message: string } {
  if (err instanceof WfsyncError) return { code: err.code, message: redactUrlsInText(err.message) };
  return { code: "E_INTERNAL", message: redactUrlsInText(err instanceof Error ? err.message : String(err)) };
}

/**
 * One watch run as events: `operation_done` for each change it sent, failed, saw superseded or
 * did not send, then its `summary` (with `run`, its number). Watch reports a run when it is
 * over, so these come at its end, with the ids the state then holds (a new option's included).
 */
export function watchRunEvents(events: EventStream, run: WatchRun): void {
  const idOf: IdOf = (address) => run.ids.get(address);
  const extra = { run: run.seq };
  for (const c of run.applied) events.emit("operation_done", { ...extra, ...operationJson(c, "applied", idOf) });
  for (const f of run.failed) events.emit("operation_done", { ...extra, ...operationJson(f.change, "failed", idOf, f.error) });
  for (const c of run.superseded) events.emit("operation_done", { ...extra, ...operationJson(c, "superseded", idOf) });
  for (const c of run.cancelled) events.emit("operation_done", { ...extra, ...operationJson(c, "cancelled", idOf) });
  events.emit("summary", {
    ...extra,
    triggers: run.triggers,
    files: run.files,
    applied: run.applied.length,
    failed: run.failed.length,
    superseded: run.superseded.length,
    cancelled: run.cancelled.length,
    stopped: run.stopped ? errorFields(run.stopped) : null,
    held: run.held.map((h) => ({ address: h.change.address, reason: h.reason })),
    pendingDeletes: run.pendingDeletes.map((h) => h.change.address),
    drift: run.drift.map((c) => c.address),
    errors: [...run.errors, ...(run.config?.errors ?? [])].map((e) => ({ code: e.code, message: redactUrlsInText(e.message), location: e.location ? formatLocation(e.location) : null })),
    failedFiles: run.failedFiles,
    problem: run.problem === undefined ? null : errorFields(run.problem),
    durationMs: run.finishedAt - run.startedAt,
    latencyMs: run.latencyMs ?? null,
  });
}
