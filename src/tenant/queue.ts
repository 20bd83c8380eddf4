/**
 * The per-tenant request queue. Every attempt of every task — first tries, retries and
 * reconcile look-ups alike — is one p-queue job, so the concurrency limit and the rate cap count
 * all of them. A 429 (or a 503 with Retry-After) pauses the whole queue: no attempt of any task
 * starts before the instant the server gave. A 503 without Retry-After backs off like a fault,
 * without pausing the others: it is as often a failing server as a throttling one. Other
 * retryable faults back off with full jitter.
 *
 * With `adaptive`, throttling also lowers the queue's rate and concurrency (tenant/adapt), and
 * quiet raises them again, never above the configured ones: after a pause the queue does not
 * run straight into the server's limit again.
 *
 * The admission check (stopped? paused? rate token?) and the call of the attempt happen in one
 * synchronous step, so no attempt can slip in between a pause being set and being honoured.
 *
 * An attempt refused its credentials (401/403) stops the whole queue at once: every later
 * request would carry the same credentials, and lockout policies punish repeated failures.
 */
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import PQueue from "p-queue";
import { ApiError } from "../client/errors.js";
import { WfsyncError } from "../errors.js";
import { createAdaptiveLimits, type AdaptiveLimitsOptions, type Limits, type LimitsChange } from "./adapt.js";
import { createRateLimiter } from "./rate.js";

export type QueueEvent =
  | { type: "start"; taskId: number; label?: string; attempt: number; reconcile: boolean }
  | { type: "done"; taskId: number; label?: string; attempts: number }
  | { type: "failed"; taskId: number; label?: string; attempts: number; error: unknown }
  | { type: "cancelled"; taskId: number; label?: string }
  | { type: "retry"; taskId: number; label?: string; attempt: number; delayMs: number; error: ApiError }
  | { type: "throttled"; taskId: number; label?: string; untilMs: number; waitMs: number; error: ApiError }
  | ({ type: "limits" } & LimitsChange);

export interface TenantQueueOptions {
  /** Attempts in flight at most. */
  concurrency: number;
  /** Attempt starts per second at most (default: no cap). */
  rate?: number | undefined;
  /** Lower rate and concurrency while the server throttles, within `concurrency` and `rate` (default off). */
  adaptive?: boolean;
  /** The controller's tuning (tests); see AdaptiveLimitsOptions. */
  adaptTuning?: Omit<AdaptiveLimitsOptions, "concurrency" | "rate">;
  /** Retries after server/network/timeout faults (default 5); throttling does not count. */
  maxRetries?: number;
  /** Throttle waits one task may go through before it fails (default 50). */
  maxThrottleWaits?: number;
  /** Backoff base (default 500 ms): retry n waits random(0, min(max, base·2^(n-1))). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The pause after a 429/503 without Retry-After (default 5 s). */
  defaultRetryAfterMs?: number;
  /** A pause longer than this (default 15 min) fails the tasks instead of hanging. */
  maxRetryAfterMs?: number;
  onEvent?: (event: QueueEvent) => void;
  /** Injectable for tests. `sleep` should settle early when `signal` aborts (stop()). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** The outcome of a reconcile look-up: the earlier attempt took effect (with its result), or not. */
export type Reconciled<T> = { done: true; value: T } | { done: false };

export interface RunOptions<T> {
  /** Shown in events (e.g. the option's address). */
  label?: string;
  /**
   * Runs, as an attempt of its own, before any re-send that follows an attempt whose outcome is
   * unknown (timeout, connection reset, 5xx): e.g. look a create up by Key. It keeps being
   * required until one look-up succeeds, even if the look-up itself fails with a fault that
   * has a known outcome — so a failed look-up never lets a duplicate through.
   */
  reconcile?: (lastError: ApiError) => Promise<Reconciled<T>>;
  /**
   * The least time to wait after an attempt whose outcome is unknown before its reconcile
   * look-up (default: the backoff alone): a request the server may still be processing needs
   * time to land before a look-up can tell anything.
   */
  settleMs?: (lastError: ApiError) => number;
  /**
   * Stops this task (and every other given the same signal) like `stop()` stops all: no further
   * attempt is admitted. Abort it with a StopReason to have it named in the CancelledError.
   */
  signal?: AbortSignal;
  /**
   * Attempts of a task with a higher priority are admitted before those waiting with a lower one
   * (default 0): apply reads a split back right after its creates rather than behind every other
   * split's writes, so each split finishes, and shows as done, as soon as it can.
   */
  priority?: number;
}

export type QueueTask<T> = (attempt: number, lastError?: ApiError) => Promise<T>;

/**
 * Why tasks stopped being sent (given to `stop()`, or as the abort reason of a run's `signal`):
 * `why` completes "not sent: …"; `error` is the fault behind it.
 */
export interface StopReason {
  readonly why: string;
  readonly error: WfsyncError;
}

export interface TenantQueue {
  run<T>(task: QueueTask<T>, options?: RunOptions<T>): Promise<T>;
  /**
   * Stops taking new work: tasks not yet started reject with a CancelledError (E_CANCELLED, or
   * E_NOT_SENT naming the reason); in-flight attempts finish. For good: make a new queue to resume.
   */
  stop(reason?: StopReason): void;
  /** Resolves once no task is queued, waiting, backing off or in flight. */
  onIdle(): Promise<void>;
  readonly stopped: boolean;
  /** Why the queue stopped, when it stopped itself (credentials refused) or was told why. */
  readonly stopReason: StopReason | undefined;
  /** The instant (on the queue's clock) until which attempts are paused; 0 when not paused. */
  readonly pausedUntil: number;
  /** Attempts running (or admitted and waiting for a pause or rate token). */
  readonly inFlight: number;
  /** The limits in force now: the configured ones, or lower while the server throttles. */
  readonly limits: Limits;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);

const monotonicNow = (): number => performance.timeOrigin + performance.now();

export function createTenantQueue(opts: TenantQueueOptions): TenantQueue {
  if (!(opts.concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${opts.concurrency}`);
  const maxRetries = opts.maxRetries ?? 5;
  const maxThrottleWaits = opts.maxThrottleWaits ?? 50;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const defaultRetryAfterMs = opts.defaultRetryAfterMs ?? 5_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 15 * 60_000;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? monotonicNow;
  const random = opts.random ?? Math.random;
  const limiter = createRateLimiter(opts.rate);
  const pq = new PQueue({ concurrency: opts.concurrency });
  const adapt = opts.adaptive ? createAdaptiveLimits({ ...opts.adaptTuning, concurrency: opts.concurrency, rate: opts.rate }) : undefined;
  /** Attempts started and not yet answered: what an adapted concurrency bounds. */
  let running = 0;
  let slotWaiters: (() => void)[] = [];
  const stopController = new AbortController();
  const stopSignal = stopController.signal;
  // Every waiting task listens for stop(); hundreds at once are expected, not a leak.
  setMaxListeners(0, stopSignal);
  const stopped = new Promise<void>((resolve) => stopSignal.addEventListener("abort", () => resolve(), { once: true }));

  let stopReason: StopReason | undefined;
  let pausedUntil = 0;
  let pauseError: ApiError | undefined;
  let taskSeq = 0;
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const emit = (event: QueueEvent): void => {
    try {
      opts.onEvent?.(event);
    } catch {
      // A faulty progress display must not break the apply.
    }
  };

  const adapted = (change: LimitsChange | undefined): void => {
    if (!change) return;
    limiter.setRate(change.rate);
    emit({ type: "limits", ...change });
    // A higher concurrency frees slots at once.
    wakeSlotWaiters();
  };

  function wakeSlotWaiters(): void {
    const waiters = slotWaiters;
    slotWaiters = [];
    for (const w of waiters) w();
  }

  /** Settles when an attempt ends (a slot may be free) or the task is stopped. */
  const slotFreed = (halt: Halt): Promise<void> => Promise.race([new Promise<void>((resolve) => slotWaiters.push(resolve)), halt.aborted]);

  const stop = (reason?: StopReason): void => {
    if (stopSignal.aborted) return;
    stopReason = reason;
    stopController.abort();
  };

  /**
   * Credentials refused: nothing more is sent with them. (The place where a later version renews
   * a token once, and lets the task try again, before giving up.)
   */
  const credentialsRefused = (error: ApiError): void => stop({ why: "the server refused the credentials", error });

  /** A task's view of stopping: the queue's stop() or its own run's signal, whichever comes first. */
  interface Halt {
    readonly signal: AbortSignal;
    /** Settles when `signal` aborts. */
    readonly aborted: Promise<void>;
    readonly reason: () => StopReason | undefined;
  }
  const queueHalt: Halt = { signal: stopSignal, aborted: stopped, reason: () => stopReason };
  const haltFor = (own: AbortSignal | undefined): Halt => {
    if (own === undefined) return queueHalt;
    const signal = AbortSignal.any([stopSignal, own]);
    const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    const ownReason = (): StopReason | undefined => (own.aborted && isStopReason(own.reason) ? own.reason : undefined);
    return { signal, aborted, reason: () => (stopSignal.aborted ? stopReason : ownReason()) };
  };

  /** Sleeps, but wakes at once when the task is stopped. */
  const wait = (ms: number, halt: Halt): Promise<void> => Promise.race([sleep(ms, halt.signal), halt.aborted]);

  /** One attempt as one p-queue job: wait for admission, then call `fn` in the same tick. */
  function attempt<R>(
    fn: () => Promise<R>,
    onStart: () => void,
    cancel: () => CancelledError,
    halt: Halt,
    taskId: number,
    label: string | undefined,
    priority = 0,
  ): Promise<R> {
    return pq.add(async () => {
      for (;;) {
        if (halt.signal.aborted) throw cancel();
        const t = now();
        if (t < pausedUntil) {
          if (pausedUntil - t > maxRetryAfterMs && pauseError) throw new ThrottledTooLongError(pauseError, pausedUntil - t, maxRetryAfterMs);
          await wait(pausedUntil - t, halt);
          continue;
        }
        if (adapt) {
          adapted(adapt.tick(t));
          if (running >= adapt.current.concurrency) {
            await slotFreed(halt);
            continue;
          }
        }
        const ms = limiter.delay(t);
        if (ms > 0) {
          await wait(ms, halt);
          continue;
        }
        limiter.take(t);
        onStart();
        running++;
        try {
          const value = await fn();
          running--;
          if (adapt) adapted(adapt.served(t, now(), true));
          return value;
        } catch (err) {
          running--;
          // Pause (or stop) before this job gives its slot back, so no queued attempt starts in between.
          if (err instanceof ApiError && err.kind === "throttled") {
            if (pausesQueue(err)) pause(err, taskId, label);
            if (adapt) adapted(adapt.throttled(t, now(), pausesQueue(err), pausedUntil));
          } else if (adapt && err instanceof ApiError && err.status !== undefined) adapted(adapt.served(t, now(), false));
          if (err instanceof ApiError && err.kind === "auth") credentialsRefused(err);
          throw err;
        } finally {
          wakeSlotWaiters();
        }
      }
    }, { priority });
  }

  function pause(error: ApiError, taskId: number, label: string | undefined): void {
    const waitMs = error.retryAfterMs ?? defaultRetryAfterMs;
    const until = now() + waitMs;
    if (until > pausedUntil) {
      pausedUntil = until;
      pauseError = error;
    }
    emit({ type: "throttled", taskId, ...labelled(label), untilMs: pausedUntil, waitMs: Math.max(0, pausedUntil - now()), error });
  }

  /** Full jitter: the n-th wait is random(0, min(max, base·2^(n-1))). */
  const backoff = (n: number): number => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1)));

  async function runTask<T>(task: QueueTask<T>, options: RunOptions<T>): Promise<T> {
    const taskId = ++taskSeq;
    const { label, reconcile } = options;
    const halt = haltFor(options.signal);
    let attempts = 0;
    let retries = 0;
    let throttles = 0;
    let lastError: ApiError | undefined;
    // The error of an attempt whose outcome is unknown; cleared only by a successful reconcile.
    let unsettled: ApiError | undefined;
    const cancel = (): CancelledError => new CancelledError(label, lastError, unsettled !== undefined, halt.reason());

    for (;;) {
      const toSettle = reconcile === undefined ? undefined : unsettled;
      const reconciling = toSettle !== undefined;
      try {
        if (toSettle !== undefined && reconcile !== undefined) {
          const r = await attempt(
            () => reconcile(toSettle),
            () => emit({ type: "start", taskId, ...labelled(label), attempt: attempts, reconcile: true }),
            cancel,
            halt,
            taskId,
            label,
            options.priority,
          );
          unsettled = undefined;
          if (r.done) {
            emit({ type: "done", taskId, ...labelled(label), attempts });
            return r.value;
          }
          continue;
        }
        const n = attempts + 1;
        const value = await attempt(
          () => task(n, lastError),
          () => {
            attempts = n;
            emit({ type: "start", taskId, ...labelled(label), attempt: n, reconcile: false });
          },
          cancel,
          halt,
          taskId,
          label,
          options.priority,
        );
        emit({ type: "done", taskId, ...labelled(label), attempts });
        return value;
      } catch (err) {
        if (err instanceof CancelledError) {
          emit({ type: "cancelled", taskId, ...labelled(label) });
          throw err;
        }
        if (!(err instanceof ApiError) || !err.retryable) {
          emit({ type: "failed", taskId, ...labelled(label), attempts, error: err });
          throw err;
        }
        lastError = err;
        if (!reconciling && err.outcomeUnknown) unsettled = err;
        const giveUp = (message: string): ApiError => {
          // Failing for good after an attempt that may have taken effect: say so.
          const e = withMessage(err, message, err.outcomeUnknown || unsettled !== undefined);
          emit({ type: "failed", taskId, ...labelled(label), attempts, error: e });
          return e;
        };
        if (err.kind === "throttled") {
          if (++throttles > maxThrottleWaits) throw giveUp(`${err.message} Gave up after ${maxThrottleWaits} throttle waits.`);
          // A pausing answer already paused the queue: the next attempt waits in admission.
          if (pausesQueue(err)) continue;
          const delayMs = backoff(throttles);
          emit({ type: "retry", taskId, ...labelled(label), attempt: attempts, delayMs, error: err });
          await wait(delayMs, halt);
          if (halt.signal.aborted) {
            emit({ type: "cancelled", taskId, ...labelled(label) });
            throw cancel();
          }
          continue;
        }
        if (++retries > maxRetries) throw giveUp(`${err.message} Gave up after ${maxRetries} retries.`);
        const backoffMs = backoff(retries);
        const settleMs = reconcile !== undefined && unsettled !== undefined ? (options.settleMs?.(err) ?? 0) : 0;
        const delayMs = Math.max(backoffMs, settleMs);
        emit({ type: "retry", taskId, ...labelled(label), attempt: attempts, delayMs, error: err });
        await wait(delayMs, halt);
        if (halt.signal.aborted) {
          emit({ type: "cancelled", taskId, ...labelled(label) });
          throw cancel();
        }
      }
    }
  }

  return {
    run<T>(task: QueueTask<T>, options: RunOptions<T> = {}): Promise<T> {
      if (stopSignal.aborted) return Promise.reject(new CancelledError(options.label, undefined, false, stopReason));
      if (active === 0) adapt?.busy(now());
      active++;
      return runTask(task, options).finally(() => {
        if (--active === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    },
    stop,
    onIdle() {
      if (active === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    get stopped() {
      return stopSignal.aborted;
    },
    get stopReason() {
      return stopReason;
    },
    get pausedUntil() {
      return pausedUntil > now() ? pausedUntil : 0;
    },
    get inFlight() {
      return pq.pending;
    },
    get limits() {
      return adapt ? adapt.current : { concurrency: opts.concurrency, rate: opts.rate };
    },
  };
}

/**
 * Whether a throttled answer pauses the whole queue: a 429 always (SuperOffice documents no
 * format, so one without Retry-After gets the default pause), a 503 only with Retry-After.
 */
function pausesQueue(err: ApiError): boolean {
  return err.status !== 503 || err.retryAfterMs !== undefined;
}

function labelled(label: string | undefined): { label?: string } {
  return label === undefined ? {} : { label };
}

function isStopReason(v: unknown): v is StopReason {
  return typeof v === "object" && v !== null && typeof (v as StopReason).why === "string" && (v as StopReason).error instanceof WfsyncError;
}

/**
 * A task that never got (another) attempt because the queue (or its run) stopped: E_CANCELLED
 * when told to stop, E_NOT_SENT with the `reason` when a fault stopped it. `outcomeUnknown` is
 * true when an earlier attempt may have taken effect; `cause` is the last attempt's error.
 */
export class CancelledError extends WfsyncError {
  readonly outcomeUnknown: boolean;
  readonly reason: StopReason | undefined;
  constructor(label: string | undefined, lastError: ApiError | undefined, outcomeUnknown: boolean, reason?: StopReason) {
    const what = label ? ` (${label})` : "";
    const earlier = outcomeUnknown ? " An earlier attempt may have taken effect on the server." : "";
    const message = reason ? `Not sent${what}: ${reason.why}.` : `Cancelled before it was sent${label ? `: ${label}` : ""}.`;
    super(reason ? "E_NOT_SENT" : "E_CANCELLED", `${message}${earlier}`, { cause: lastError, userError: false });
    this.name = "CancelledError";
    this.outcomeUnknown = outcomeUnknown;
    this.reason = reason;
  }
}

/** The queue gave up because the server asked for a pause longer than `maxRetryAfterMs`. */
export class ThrottledTooLongError extends WfsyncError {
  constructor(err: ApiError, waitMs: number, maxMs: number) {
    const mins = (ms: number): string => `${Math.round(ms / 6000) / 10} min`;
    super(
      "E_THROTTLED_TOO_LONG",
      `${err.message} The server asked to wait ${mins(waitMs)}, longer than the ${mins(maxMs)} wfsync waits; try again later.`,
      { cause: err, userError: false },
    );
    this.name = "ThrottledTooLongError";
  }
}

function withMessage(err: ApiError, message: string, outcomeUnknown: boolean): ApiError {
  return new ApiError({
    kind: err.kind,
    method: err.method,
    status: err.status,
    serverMessage: err.serverMessage,
    retryAfterMs: err.retryAfterMs,
    outcomeUnknown,
    message,
    cause: err,
  });
}
