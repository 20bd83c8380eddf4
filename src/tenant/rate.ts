/**
 * A request-rate cap as a sliding-window log: at most `cap` attempt starts in any rolling
 * window of `windowMs`. For an integer rate R that is "at most R starts in any second" exactly;
 * a fractional rate keeps its long-run average (0.5/s = 1 start per 2 s).
 * Time comes from the caller, so tests drive it with a fake clock.
 */
export interface RateLimiter {
  /** Milliseconds until a start is allowed at time `now` (0 = allowed now). */
  delay(now: number): number;
  /** Records a start at `now`; call only when `delay(now)` is 0. */
  take(now: number): void;
}

export function createRateLimiter(ratePerSecond: number | undefined): RateLimiter {
  if (ratePerSecond === undefined || ratePerSecond === Number.POSITIVE_INFINITY) {
    return { delay: () => 0, take: () => undefined };
  }
  if (!(ratePerSecond > 0)) throw new RangeError(`rate must be a positive number, got ${ratePerSecond}`);
  const cap = Math.max(1, Math.floor(ratePerSecond));
  const windowMs = (cap * 1000) / ratePerSecond;
  // Start times of the last `cap` starts, oldest first.
  const starts: number[] = [];
  return {
    delay(now) {
      if (starts.length < cap) return 0;
      return Math.max(0, starts[0]! + windowMs - now);
    },
    take(now) {
      starts.push(now);
      if (starts.length > cap) starts.shift();
    },
  };
}
