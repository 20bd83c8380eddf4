import { describe, expect, it } from "vitest";
import { createAdaptiveLimits, type AdaptiveLimits } from "../../src/tenant/adapt.js";

/** Serves `n` attempts of `latency` ms, evenly from `from` to `to` (a server answering that fast). */
function serve(a: AdaptiveLimits, from: number, to: number, n: number, latency = 10): void {
  for (let i = 0; i < n; i++) {
    const at = from + ((to - from) * (i + 1)) / n;
    a.served(at - latency, at, true);
  }
}

describe("adaptive limits", () => {
  it("start at the configured limits and stay there while nothing is throttled", () => {
    const a = createAdaptiveLimits({ concurrency: 8, rate: undefined });
    a.busy(0);
    serve(a, 0, 5000, 500);
    expect(a.current).toEqual({ concurrency: 8, rate: undefined });
    expect(a.tick(60_000)).toBeUndefined();
  });

  it("on a 429, drop to a share of the rate served since the work began, not of the nominal cap", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: 100 });
    a.busy(0);
    serve(a, 0, 2000, 10); // 5/s served, far below the configured 100/s
    const change = a.throttled(1990, 2000, true, 3000);
    expect(change).toMatchObject({ reason: "throttled", restored: false, served: 5 });
    expect(change!.rate).toBeCloseTo(4.5);
    expect(a.current.rate).toBeCloseTo(4.5);
  });

  it("measures over the pause too: a token bucket's burst after a pause is not mistaken for its rate", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined });
    a.busy(0);
    serve(a, 0, 1000, 5); // the bucket's 5 tokens, then a 429 and a 1 s pause
    a.throttled(999, 1000, true, 2000);
    // After the pause: the bucket refilled (5), then it serves 5/s while we send 9/s and drain it.
    serve(a, 2000, 2001, 5);
    serve(a, 2001, 3000, 5);
    const change = a.throttled(2999, 3000, true, 4000);
    // 10 served in the last 2 s (the pause and the second after it): 5/s, not the 9/s we sent at.
    expect(change!.served).toBeCloseTo(5);
    expect(change!.rate).toBeCloseTo(4.5);
  });

  it("measures what was served just before the 429, not an average over the slower stretch since the last one", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined, quietMs: 1000 });
    a.busy(0);
    serve(a, 0, 1000, 5);
    a.throttled(999, 1000, true, 2000); // 4.5/s
    serve(a, 2000, 10_000, 40); // 5/s while the rate climbs back past the server's limit …
    serve(a, 10_000, 12_000, 12); // … and 6/s just before the next 429
    const change = a.throttled(11_999, 12_000, true, 13_000);
    expect(change!.served).toBeCloseTo(6);
  });

  it("reacts once to the answers of attempts sent before its last decrease", () => {
    const a = createAdaptiveLimits({ concurrency: 8, rate: 10 });
    a.busy(0);
    serve(a, 0, 1000, 10);
    expect(a.throttled(990, 1000, true, 2000)).toBeDefined();
    const after = a.current;
    // Three more 429s of attempts that were in flight with the first: no further decrease.
    for (const t of [1001, 1002, 1003]) expect(a.throttled(995, t, true, 2000)).toBeUndefined();
    expect(a.current).toEqual(after);
    // One sent after the decrease is news.
    expect(a.throttled(2100, 2110, true, 3110)).toBeDefined();
    expect(a.current.rate!).toBeLessThan(after.rate!);
  });

  it("lowers concurrency too, never below 1 nor below what carries the new rate at the answer times seen", () => {
    const fast = createAdaptiveLimits({ concurrency: 8, rate: undefined });
    fast.busy(0);
    serve(fast, 0, 1000, 10, 5);
    let t = 1000;
    for (let i = 0; i < 30; i++) {
      fast.throttled(t, t + 1, true, t + 1);
      t += 2;
    }
    expect(fast.current.concurrency).toBe(1);
    expect(fast.current.rate!).toBeGreaterThanOrEqual(0.1);

    // Answers take 2 s: 4.5 requests/s need 10 in flight, so 8 stays 8.
    const slow = createAdaptiveLimits({ concurrency: 8, rate: undefined });
    slow.busy(0);
    serve(slow, 0, 2000, 10, 2000);
    const change = slow.throttled(1999, 2000, true, 3000);
    expect(change).toMatchObject({ concurrency: 8 });
  });

  it("a single 503 without Retry-After is a fault; a second within 2 s is throttling", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined });
    a.busy(0);
    serve(a, 0, 1000, 20);
    expect(a.throttled(1000, 1010, false, 0)).toBeUndefined();
    expect(a.throttled(4000, 4010, false, 0)).toBeUndefined(); // 3 s later: still a fault
    expect(a.throttled(4500, 4600, false, 0)).toMatchObject({ reason: "throttled" });
  });

  it("recovers additively after quiet periods (not during a pause), up to the configured ceiling", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: 10, quietMs: 1000, minStep: 0.5 });
    a.busy(0);
    serve(a, 0, 2000, 12);
    a.throttled(1999, 2000, true, 3000); // 6/s served: rate 5.4, paused until 3000
    expect(a.current.rate).toBeCloseTo(5.4);
    expect(a.tick(3500)).toBeUndefined(); // the pause is not quiet time
    const first = a.tick(4000);
    expect(first).toMatchObject({ reason: "recovered", restored: false });
    expect(first!.rate).toBeCloseTo(5.9);
    // Ten quiet seconds later: at the ceiling again, and back to the configured concurrency.
    const later = a.tick(14_000);
    expect(later).toEqual({ concurrency: 4, rate: 10, reason: "recovered", restored: true });
    expect(a.tick(20_000)).toBeUndefined();
  });

  it("with no ceiling configured, lifts the cap once well past where the server pushed back", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined, quietMs: 1000, minStep: 0.5 });
    a.busy(0);
    serve(a, 0, 1000, 5);
    a.throttled(999, 1000, true, 2000); // 5/s served: 4.5/s
    const steps: (number | undefined)[] = [];
    for (let t = 3000; t <= 14_000; t += 1000) {
      const c = a.tick(t);
      if (c) steps.push(c.rate);
    }
    expect(steps.slice(0, 3).map((r) => Math.round(r! * 10) / 10)).toEqual([5, 5.5, 6]);
    expect(steps.at(-1)).toBeUndefined();
    expect(a.current).toEqual({ concurrency: 4, rate: undefined });
  });

  it("any throttling restarts the quiet time", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined, quietMs: 1000 });
    a.busy(0);
    serve(a, 0, 1000, 5);
    a.throttled(999, 1000, true, 1000);
    a.throttled(500, 1800, true, 1800); // ignored for the decrease, but the server still pushes back
    expect(a.tick(2500)).toBeUndefined();
    expect(a.tick(2800)).toBeDefined();
  });

  it("measures from the moment the queue got busy, not across an idle stretch", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined });
    a.busy(0);
    serve(a, 0, 500, 5);
    a.busy(60_000); // a watch daemon, a minute later
    serve(a, 60_000, 60_500, 5);
    const change = a.throttled(60_499, 60_500, true, 61_500);
    // 5 served in the half second since it got busy, over the least span of 1 s: not 5 in 2 s.
    expect(change!.served).toBeCloseTo(5);
  });

  it("a 429 with little served yet does not all but stop: one request per Retry-After at least", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined });
    a.busy(0);
    // The very first request is throttled: nothing served at all, the server says "in 1 s".
    expect(a.throttled(0, 5, true, 1005)).toMatchObject({ rate: 1, served: 0 });
  });

  it("a short idle gap (between a plan's reads and its writes) keeps what was served before it", () => {
    const a = createAdaptiveLimits({ concurrency: 4, rate: undefined });
    a.busy(0);
    serve(a, 0, 1000, 4);
    a.busy(1100); // idle for 100 ms
    serve(a, 1100, 1500, 2);
    const change = a.throttled(1499, 1500, true, 2500);
    expect(change!.served).toBeCloseTo(6 / 1.5);
  });

  it("refuses nonsense limits", () => {
    expect(() => createAdaptiveLimits({ concurrency: 0, rate: undefined })).toThrow(RangeError);
    expect(() => createAdaptiveLimits({ concurrency: 2, rate: 0 })).toThrow(RangeError);
  });
});
