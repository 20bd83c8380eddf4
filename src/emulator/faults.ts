/**
 * Injected faults (latency, a request-rate limit answered with 429, random 5xx) and the
 * counters that let tests and benchmarks see what a client did (requests per method, the most
 * requests in flight at once, how many 429s and 5xx were sent).
 */
import { performance } from "node:perf_hooks";

export interface FaultSettings {
  /** Milliseconds to wait before answering each agent call. */
  readonly latency: number;
  /** Agent calls per second (token bucket, burst of one second's worth); 0 = unlimited. */
  readonly rateLimit: number;
  /** Share of agent calls answered with 500 or 503, 0..1. */
  readonly failRate: number;
  /**
   * Milliseconds after its arrival that a write (save, delete) takes effect and is answered: a
   * server so slow that a client's timeout fires first while the write is still to come.
   */
  readonly writeDelay: number;
}

export const NO_FAULTS: FaultSettings = { latency: 0, rateLimit: 0, failRate: 0, writeDelay: 0 };

/** Returns a problem with the settings, or undefined when they are usable. */
export function checkFaults(s: Partial<FaultSettings>): string | undefined {
  if (s.latency !== undefined && !(Number.isFinite(s.latency) && s.latency >= 0)) return "latency must be a number of milliseconds ≥ 0";
  if (s.rateLimit !== undefined && !(Number.isFinite(s.rateLimit) && s.rateLimit >= 0)) return "rateLimit must be requests per second ≥ 0 (0 = off)";
  if (s.failRate !== undefined && !(Number.isFinite(s.failRate) && s.failRate >= 0 && s.failRate <= 1)) return "failRate must be between 0 and 1";
  if (s.writeDelay !== undefined && !(Number.isFinite(s.writeDelay) && s.writeDelay >= 0)) return "writeDelay must be a number of milliseconds ≥ 0";
  return undefined;
}

export class Faults {
  private current: FaultSettings;
  private tokens = 0;
  private lastRefill: number;

  constructor(
    settings: Partial<FaultSettings> = {},
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.current = { ...NO_FAULTS };
    this.lastRefill = now();
    this.update(settings);
  }

  get settings(): FaultSettings {
    return this.current;
  }

  /** Changes some settings at run time; a new rate limit starts with a full bucket. */
  update(settings: Partial<FaultSettings>): void {
    const problem = checkFaults(settings);
    if (problem) throw new RangeError(problem);
    const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<FaultSettings>;
    this.current = { ...this.current, ...defined };
    if (defined.rateLimit !== undefined) {
      this.tokens = this.capacity();
      this.lastRefill = this.now();
    }
  }

  /**
   * Takes a token for one agent call. Returns undefined when the call may proceed, else the
   * whole seconds (≥ 1, as `Retry-After` carries) until a token will be there.
   */
  takeToken(): number | undefined {
    const rate = this.current.rateLimit;
    if (rate <= 0) return undefined;
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / rate));
  }

  /** The 5xx status to inject for this call, if any. */
  injectedFailure(): 500 | 503 | undefined {
    const rate = this.current.failRate;
    if (rate <= 0 || this.random() >= rate) return undefined;
    return this.random() < 0.5 ? 500 : 503;
  }

  private capacity(): number {
    return Math.max(1, this.current.rateLimit);
  }
}

export interface CountersSnapshot {
  /** Agent calls received (admin routes are never counted). */
  readonly total: number;
  /** Per agent method name; unknown methods under "(unknown)". */
  readonly byMethod: Readonly<Record<string, number>>;
  /** Per agent method, the calls that got past faults and auth and ran (a save here took effect). */
  readonly handled: Readonly<Record<string, number>>;
  /** Per HTTP status sent. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** 429 answers sent. */
  readonly rateLimited: number;
  /** 5xx answers sent, injected or not. */
  readonly serverErrors: number;
  /** 5xx answers injected by the fail rate. */
  readonly injectedFailures: number;
  /** 401 answers sent. */
  readonly unauthorized: number;
}

export class Counters {
  private total = 0;
  private byMethod = new Map<string, number>();
  private handledByMethod = new Map<string, number>();
  private byStatus = new Map<number, number>();
  private inFlight = 0;
  private maxInFlight = 0;
  private injected = 0;

  begin(method: string): void {
    this.total++;
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + 1);
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  /** The call got past faults and auth and ran (a save counted here took effect). */
  handled(method: string): void {
    this.handledByMethod.set(method, (this.handledByMethod.get(method) ?? 0) + 1);
  }

  end(status: number, injected: boolean): void {
    this.inFlight--;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (injected) this.injected++;
  }

  /** Zeroes everything except the calls still in flight, which also become the new maximum. */
  reset(): void {
    this.total = 0;
    this.byMethod = new Map();
    this.handledByMethod = new Map();
    this.byStatus = new Map();
    this.maxInFlight = this.inFlight;
    this.injected = 0;
  }

  snapshot(): CountersSnapshot {
    let serverErrors = 0;
    for (const [status, n] of this.byStatus) if (status >= 500) serverErrors += n;
    return {
      total: this.total,
      byMethod: Object.fromEntries(this.byMethod),
      handled: Object.fromEntries(this.handledByMethod),
      byStatus: Object.fromEntries([...this.byStatus].map(([s, n]) => [String(s), n])),
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      rateLimited: this.byStatus.get(429) ?? 0,
      serverErrors,
      injectedFailures: this.injected,
      unauthorized: this.byStatus.get(401) ?? 0,
    };
  }
}
