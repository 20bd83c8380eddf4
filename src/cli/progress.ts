/**
 * apply's progress on stderr. On a terminal: one line redrawn in place, cleared before any log
 * line so the two are never glued together. Without one (CI, `2> err`): a heartbeat line at a
 * steady interval, so a long apply never looks hung.
 */
import type { Limits } from "../tenant/adapt.js";
import { limitsNow } from "../tenant/limits.js";
import type { QueueEvent } from "../tenant/queue.js";
import { formatDuration } from "../text.js";

/** Off a terminal, a heartbeat line this often unless WFSYNC_HEARTBEAT_MS says otherwise. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** `WFSYNC_HEARTBEAT_MS` (a positive number of milliseconds), else the default. */
export function heartbeatInterval(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.WFSYNC_HEARTBEAT_MS);
  return ms > 0 ? ms : DEFAULT_HEARTBEAT_MS;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  heartbeatMs?: number;
  now?: () => number;
}

const REDRAW_MS = 250;
const CLEAR = "\r\u001b[K";

export class ProgressLine {
  private total = 0;
  private done = 0;
  private failed = 0;
  private started: number | undefined;
  private waitingUntil = 0;
  /** The limits while adaptation holds them below the configured ones. */
  private adapted: Limits | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A progress line is on the terminal now (what a log line must clear first). */
  private shown = false;
  private readonly heartbeatMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? heartbeatInterval();
    this.now = options.now ?? Date.now;
  }

  start(total: number): void {
    this.total = total;
    this.started = this.now();
    if (this.stream.isTTY) this.timer = setInterval(() => this.draw(), REDRAW_MS).unref();
    // No line at the start: an apply shorter than one interval leaves stderr as quiet as before.
    else this.timer = setInterval(() => this.stream.write(`${this.status()}\n`), this.heartbeatMs).unref();
  }

  update(done: number, failed: number): void {
    this.done = done;
    this.failed = failed;
  }

  queueEvent(e: QueueEvent): void {
    if (e.type === "throttled") this.waitingUntil = this.now() + e.waitMs;
    if (e.type === "limits") this.adapted = e.restored ? undefined : e;
  }

  /** A line of our own (Ctrl-C's "stopping: …"), written above the progress line. */
  note(text: string): void {
    this.interrupt(() => this.stream.write(`${text}\n`));
  }

  /**
   * Writes other output to the terminal (a log line): the progress line is cleared first and
   * drawn again after, so the output never lands glued onto it.
   */
  interrupt(write: () => void): void {
    const redraw = this.shown;
    this.clear();
    write();
    if (redraw && this.timer) this.draw();
  }

  /** Stops drawing; returns the time since start, in ms (0 if never started). */
  end(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    return this.started === undefined ? 0 : this.now() - this.started;
  }

  /**
   * `applying 12/40 (1 failed) · 3.1/s · 4 s elapsed · ETA 9 s · throttled, resuming in 4 s ·
   * server throttling: now 4.5 requests/s, 3 in flight`
   */
  status(): string {
    const elapsed = this.now() - (this.started ?? this.now());
    const rate = elapsed > 0 ? this.done / (elapsed / 1000) : 0;
    const parts = [`applying ${this.done}/${this.total}${this.failed ? ` (${this.failed} failed)` : ""}`, `${rate.toFixed(1)}/s`, `${formatDuration(elapsed)} elapsed`];
    if (rate > 0 && this.done < this.total) parts.push(`ETA ${formatDuration(((this.total - this.done) / rate) * 1000)}`);
    const wait = this.waitingUntil - this.now();
    if (wait > 0) parts.push(`throttled, resuming in ${formatDuration(wait)}`);
    if (this.adapted) parts.push(`server throttling: now ${limitsNow(this.adapted)}`);
    return parts.join(" · ");
  }

  private clear(): void {
    if (this.shown) this.stream.write(CLEAR);
    this.shown = false;
  }

  private draw(): void {
    this.stream.write(`${CLEAR}${this.status()}`);
    this.shown = true;
  }
}
