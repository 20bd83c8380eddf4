/**
 * When runs happen (vitest's watch design): events only add paths to a set; a short debounce
 * after the last event starts a run with everything collected; never two runs at once — what
 * arrives during a run waits and becomes one follow-up run. No IO: the clock is injected.
 */

/** Timers and time, injectable so tests can drive the schedule by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Why a run starts: file events, the start-up run, a refresh poll, a retry after failures. */
export type RunTrigger = "start" | "files" | "refresh" | "retry" | "grace";

export interface Batch {
  readonly paths: ReadonlySet<string>;
  readonly triggers: ReadonlySet<RunTrigger>;
  /** When the first file event of the batch arrived (clock time); undefined without one. */
  readonly firstEventAt: number | undefined;
}

export interface SchedulerOptions {
  readonly debounceMs: number;
  /** The longest a steady stream of events may postpone a run (default 1 s). */
  readonly maxWaitMs?: number;
  readonly clock: Clock;
  /** Runs one batch. A rejection is handed to `onRunError`; the schedule goes on. */
  readonly run: (batch: Batch) => Promise<void>;
  readonly onRunError: (err: unknown) => void;
}

export class RunScheduler {
  private paths = new Set<string>();
  private triggers = new Set<RunTrigger>();
  private firstEventAt: number | undefined;
  private lastEventAt = 0;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: SchedulerOptions) {}

  /** A file event: collect the path and (re)start the debounce. */
  add(path: string): void {
    if (this.closed) return;
    const now = this.options.clock.now();
    this.firstEventAt ??= now;
    this.lastEventAt = now;
    this.paths.add(path);
    this.triggers.add("files");
    this.schedule();
  }

  /** Asks for a run without a file event (start, refresh, retry); it starts without debounce. */
  request(trigger: RunTrigger): void {
    if (this.closed) return;
    this.triggers.add(trigger);
    this.schedule();
  }

  /** Paths collected since the current run took its batch: their files changed again. */
  get pending(): ReadonlySet<string> {
    return this.paths;
  }

  /** Resolves when no run is in flight or due. */
  idle(): Promise<void> {
    if (!this.running && !this.hasWork()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more work; resolves when the run in flight (if any) has finished. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.wakeIdle();
  }

  private hasWork(): boolean {
    return this.paths.size > 0 || this.triggers.size > 0;
  }

  private schedule(): void {
    if (this.running || this.closed || !this.hasWork()) return;
    const { clock, debounceMs, maxWaitMs = 1000 } = this.options;
    const now = clock.now();
    const due =
      this.paths.size > 0 && this.firstEventAt !== undefined
        ? Math.min(this.lastEventAt + debounceMs, this.firstEventAt + maxWaitMs)
        : now;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => this.start(), Math.max(0, due - now));
  }

  private start(): void {
    this.timer = undefined;
    if (this.running || this.closed || !this.hasWork()) return;
    const batch: Batch = { paths: this.paths, triggers: this.triggers, firstEventAt: this.firstEventAt };
    this.paths = new Set();
    this.triggers = new Set();
    this.firstEventAt = undefined;
    const run = async (): Promise<void> => {
      try {
        await this.options.run(batch);
      } catch (err) {
        this.options.onRunError(err);
      }
    };
    this.running = run().finally(() => {
      this.running = undefined;
      if (!this.closed && this.hasWork()) this.schedule();
      else this.wakeIdle();
    });
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
