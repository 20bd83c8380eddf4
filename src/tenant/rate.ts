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
  /** Changes the cap (undefined: none); the starts already made count against the new one. */
  setRate(ratePerSecond: number | undefined): void;
}

/** The most starts remembered with no cap: enough for any window a later cap may have. */
const UNCAPPED_LOG = 64;

export function createRateLimiter(ratePerSecond: number | undefined): RateLimiter {
  let cap = 0;
  let windowMs = 0;
  // Start times of the last starts, oldest first (at most `cap`, or UNCAPPED_LOG with no cap).
  let starts: number[] = [];
  const setRate = (rate: number | undefined): void => {
    if (rate === undefined || rate === Number.POSITIVE_INFINITY) {
      cap = 0;
      return;
    }
    if (!(rate > 0)) throw new RangeError(`rate must be a positive number, got ${rate}`);
    cap = Math.max(1, Math.floor(rate));
    windowMs = (cap * 1000) / rate;
    if (starts.length > cap) starts = starts.slice(starts.length - cap);
  };
  setRate(ratePerSecond);
  return {
    delay(now) {
      if (cap === 0 || starts.length < cap) return 0;
      return Math.max(0, starts[starts.length - cap]! + windowMs - now);
    },
    take(now) {
      starts.push(now);
      if (starts.length > Math.max(cap, UNCAPPED_LOG)) starts.shift();
    },
    setRate,
  };
}
