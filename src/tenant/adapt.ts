/**
 * Adaptive limits (AIMD) for one tenant: while the server keeps throttling, the rate drops to a
 * share of what it actually served lately (and concurrency with it); once it has been quiet for
 * a while, both climb back by a fixed step, up to the configured ceiling — or, with no rate
 * configured, until the cap is lifted altogether.
 *
 * Pure: the queue tells it what happened and when (its own clock), and applies what it returns.
 *
 * Why the rate served in the last two seconds, pauses included: what the server let through just
 * before it said "too many" is the best figure for what it allows. A longer look back averages in
 * stretches where wfsync itself sent less (after the last decrease) and so undershoots, and a
 * rate held too low costs throughput on every request; one that is a little high costs a 429 and
 * a pause, during which a token-bucket server refills, so little is lost. A pause inside the
 * window also evens out the burst such a server lets through after it.
 */
export interface Limits {
  readonly concurrency: number;
  /** Starts per second at most; undefined: no cap. */
  readonly rate: number | undefined;
}

export interface LimitsChange extends Limits {
  readonly reason: "throttled" | "recovered";
  /** Back at the configured limits: adaptation is over until the next throttling. */
  readonly restored: boolean;
  /** Requests per second the server served lately (on a decrease). */
  readonly served?: number;
}

export interface AdaptiveLimitsOptions {
  /** The ceilings: the configured concurrency and rate (undefined: none). */
  readonly concurrency: number;
  readonly rate: number | undefined;
  /** Multiplicative decrease (default 0.9). */
  readonly decrease?: number;
  /** Time without throttling after which limits go up by one step (default 1 s). */
  readonly quietMs?: number;
  /** One step: this share of the rate set at the last decrease (default 5 %), at least `minStep`. */
  readonly stepShare?: number;
  /** The least step, requests/s (default 0.5). */
  readonly minStep?: number;
  /** The lowest rate, requests/s (default 0.1). */
  readonly minRate?: number;
  /** The served rate is measured over the last `windowMs` (default 2 s), since the queue got busy, and at least `minSpanMs` (1 s). */
  readonly windowMs?: number;
  readonly minSpanMs?: number;
  /**
   * A 503 without Retry-After may be a fault, not throttling: it lowers the limits only when a
   * second one comes within this time (default 2 s).
   */
  readonly softRepeatMs?: number;
}

export interface AdaptiveLimits {
  readonly current: Limits;
  /** The queue went from idle to busy: after a gap longer than the window, the served rate is measured from here. */
  busy(now: number): void;
  /** An attempt started at `startedAt` was answered (not throttled) at `now`. */
  served(startedAt: number, now: number, ok: boolean): LimitsChange | undefined;
  /**
   * An attempt started at `startedAt` was throttled at `now`. `explicit`: a 429, or a 503 with
   * Retry-After. `pausedUntil`: the queue's pause, which does not count as quiet time.
   */
  throttled(startedAt: number, now: number, explicit: boolean, pausedUntil: number): LimitsChange | undefined;
  /** Raises the limits if it has been quiet long enough. */
  tick(now: number): LimitsChange | undefined;
}

export function createAdaptiveLimits(opts: AdaptiveLimitsOptions): AdaptiveLimits {
  if (!(opts.concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${opts.concurrency}`);
  if (opts.rate !== undefined && !(opts.rate > 0)) throw new RangeError(`rate must be a positive number, got ${opts.rate}`);
  const beta = opts.decrease ?? 0.9;
  const quietMs = opts.quietMs ?? 1000;
  const stepShare = opts.stepShare ?? 0.05;
  const minStep = opts.minStep ?? 0.5;
  const minRate = Math.min(opts.minRate ?? 0.1, opts.rate ?? Number.POSITIVE_INFINITY);
  const windowMs = opts.windowMs ?? 2000;
  const minSpanMs = opts.minSpanMs ?? 1000;
  const softRepeatMs = opts.softRepeatMs ?? 2000;

  let current: Limits = { concurrency: opts.concurrency, rate: opts.rate };
  /** Answer times of served attempts within the window, oldest first. */
  let answers: number[] = [];
  let lastDecreaseAt = Number.NEGATIVE_INFINITY;
  let busySince = Number.NEGATIVE_INFINITY;
  /** Quiet time counts from here: the last throttling, the end of its pause, or the last step up. */
  let quietFrom = Number.NEGATIVE_INFINITY;
  /** The rate set by the last decrease: the size of a step up, and (uncapped) where the cap is lifted. */
  let base = 0;
  let softSignals: number[] = [];
  /** Mean answer time of successful attempts (ms), smoothed. */
  let latencyMs: number | undefined;

  const restored = (l: Limits): boolean => l.concurrency === opts.concurrency && l.rate === opts.rate;

  const servedRate = (now: number): number => {
    const from = Math.max(now - windowMs, busySince);
    let n = 0;
    for (let i = answers.length - 1; i >= 0 && answers[i]! > from; i--) n++;
    return (n * 1000) / Math.max(now - from, minSpanMs);
  };

  /** Drops answers older than the window, in bulk: an apply at hundreds of requests/s calls this for each. */
  const prune = (now: number): void => {
    const cut = now - windowMs;
    if (answers.length < 64 || answers[0]! > cut) return;
    let i = 0;
    while (i < answers.length && answers[i]! <= cut) i++;
    answers = answers.slice(i);
  };

  /** `floor`: a rate the server's own answer vouches for (one request per Retry-After). */
  const decrease = (now: number, floor: number): LimitsChange => {
    const served = servedRate(now);
    const ceiling = current.rate ?? Number.POSITIVE_INFINITY;
    // Little served in the window (the queue just got busy) says little: not a reason to all but stop.
    const rate = Math.min(ceiling, Math.max(minRate, floor, beta * Math.min(served, ceiling)));
    // Fewer in flight too, but never fewer than it takes to carry the new rate at the answer
    // times seen (with half again as headroom): a throttled server must not also be left idle.
    const needed = latencyMs === undefined ? 1 : Math.ceil((1.5 * rate * latencyMs) / 1000);
    const concurrency = Math.max(1, Math.min(current.concurrency, Math.max(Math.floor(current.concurrency * beta), needed)));
    current = { concurrency, rate };
    lastDecreaseAt = now;
    base = rate;
    softSignals = [];
    return { ...current, reason: "throttled", restored: false, served };
  };

  const tick = (now: number): LimitsChange | undefined => {
    if (restored(current) || now - quietFrom < quietMs) return undefined;
    const steps = Math.floor((now - quietFrom) / quietMs);
    quietFrom += steps * quietMs;
    const step = Math.max(minStep, base * stepShare);
    const concurrency = Math.min(opts.concurrency, current.concurrency + steps);
    let rate: number | undefined;
    if (opts.rate !== undefined) rate = Math.min(opts.rate, (current.rate ?? opts.rate) + steps * step);
    else if (current.rate !== undefined) {
      const next = current.rate + steps * step;
      // No ceiling configured: once well past where the server pushed back, lift the cap.
      rate = next >= 2 * base ? undefined : next;
    }
    current = { concurrency, rate };
    return { ...current, reason: "recovered", restored: restored(current) };
  };

  return {
    get current() {
      return current;
    },
    busy(now) {
      // A gap shorter than the window (between a plan's reads and its writes, say) is no new start.
      const last = answers[answers.length - 1];
      if (last === undefined || last <= now - windowMs) busySince = now;
    },
    served(startedAt, now, ok) {
      answers.push(now);
      prune(now);
      if (ok) {
        const ms = Math.max(0, now - startedAt);
        latencyMs = latencyMs === undefined ? ms : latencyMs * 0.8 + ms * 0.2;
      }
      return tick(now);
    },
    throttled(startedAt, now, explicit, pausedUntil) {
      quietFrom = Math.max(quietFrom, now, pausedUntil);
      // Sent before the last decrease took effect (or in the same instant): that decrease already answered it.
      if (startedAt <= lastDecreaseAt) return undefined;
      if (!explicit) {
        softSignals = [...softSignals.filter((t) => t > now - softRepeatMs), now];
        if (softSignals.length < 2) return undefined;
      }
      // The server asked to come back in (pausedUntil - now): it allows at least one request per that.
      const floor = explicit && pausedUntil > now ? 1000 / (pausedUntil - now) : 0;
      return decrease(now, floor);
    },
    tick,
  };
}
