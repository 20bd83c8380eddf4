import { describe, expect, it } from "vitest";
import { CancelledError, createTenantQueue, type QueueEvent, type TenantQueueOptions } from "../../src/tenant/queue.js";
import { ApiError, type ApiErrorKind } from "../../src/client/errors.js";
import { WfsyncError } from "../../src/errors.js";

/**
 * A fake clock: `sleep` registers a timer, `drive` flushes microtasks and then jumps to the next
 * timer, one at a time. Nothing in these tests depends on real time.
 */
class FakeClock {
  t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  readonly now = (): number => this.t;
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      const onAbort = (): void => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  /** Runs until `done()` holds; fails if everything waits on nothing. */
  async drive(done: () => boolean): Promise<void> {
    for (let steps = 0; steps < 1_000_000; steps++) {
      await new Promise((r) => setImmediate(r));
      if (done()) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error("stuck: nothing left to wait for");
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    throw new Error("did not finish");
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

function track<T>(p: Promise<T>): { outcome: Outcome<T> | undefined } {
  const box: { outcome: Outcome<T> | undefined } = { outcome: undefined };
  p.then(
    (value) => (box.outcome = { ok: true, value }),
    (error: unknown) => (box.outcome = { ok: false, error }),
  );
  return box;
}

function apiError(kind: ApiErrorKind, extra: Partial<{ retryAfterMs: number; outcomeUnknown: boolean; status: number }> = {}): ApiError {
  return new ApiError({ kind, method: "SaveWorkflowStepOption", message: `fake ${kind}`, outcomeUnknown: false, ...extra });
}

function setup(options: Partial<TenantQueueOptions> = {}) {
  const clock = new FakeClock();
  const events: QueueEvent[] = [];
  const timed: { e: QueueEvent; t: number }[] = [];
  const queue = createTenantQueue({
    concurrency: 2,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    onEvent: (e) => {
      events.push(e);
      timed.push({ e, t: clock.now() });
    },
    ...options,
  });
  return { clock, queue, events, timed };
}

async function runAll<T>(clock: FakeClock, promises: Promise<T>[]): Promise<Outcome<T>[]> {
  const boxes = promises.map(track);
  await clock.drive(() => boxes.every((b) => b.outcome !== undefined));
  return boxes.map((b) => b.outcome!);
}

describe("concurrency", () => {
  it("never has more attempts in flight than the limit, retries included", async () => {
    const { clock, queue } = setup({ concurrency: 3, maxRetries: 3 });
    let inFlight = 0;
    let max = 0;
    const tasks = Array.from({ length: 40 }, (_, i) =>
      queue.run(async (attempt) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await clock.sleep(5 + ((i * 7) % 13));
        inFlight--;
        if (i % 3 === 0 && attempt === 1) throw apiError("server");
        return i;
      }),
    );
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(max).toBe(3);
  });
});

describe("priority", () => {
  it("admits a higher-priority task before those queued earlier", async () => {
    const { clock, queue } = setup({ concurrency: 1 });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await clock.sleep(10);
      return name;
    };
    const tasks = [queue.run(job("first")), queue.run(job("low-1")), queue.run(job("low-2")), queue.run(job("read"), { priority: 1 }), queue.run(job("low-3"))];
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // The first was already running; the read goes next, then the rest in the order given.
    expect(order).toEqual(["first", "read", "low-1", "low-2", "low-3"]);
  });
});

describe("concurrency with no rate cap", () => {
  it("keeps `concurrency` attempts in flight: 8 means 8, not a rate", async () => {
    const { clock, queue, events } = setup({ concurrency: 8, adaptive: true });
    let inFlight = 0;
    let max = 0;
    const tasks = Array.from({ length: 64 }, (_, i) =>
      queue.run(async () => {
        inFlight++;
        max = Math.max(max, inFlight);
        await clock.sleep(10);
        inFlight--;
        return i;
      }),
    );
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(max).toBe(8);
    // 64 answers of 10 ms each, 8 at a time: 8 rounds, nothing held back by a rate.
    expect(clock.now()).toBe(80);
    expect(events.filter((e) => e.type === "limits")).toEqual([]);
    expect(queue.limits).toEqual({ concurrency: 8, rate: undefined });
  });
});

/** A server limiting to `rate` answers per second (a token bucket of one second's burst, as the emulator's). */
function tokenBucket(clock: FakeClock, rate: number) {
  let tokens = rate;
  let last = 0;
  let throttled = 0;
  return {
    get throttled() {
      return throttled;
    },
    take(): void {
      tokens = Math.min(rate, tokens + ((clock.now() - last) / 1000) * rate);
      last = clock.now();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      throttled++;
      throw apiError("throttled", { status: 429, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / rate)) * 1000 });
    },
  };
}

describe("adaptive limits", () => {
  it("under a server's 5/s, lowers the rate, keeps to the lowered concurrency, and runs close to what it allows", async () => {
    const { clock, queue, events, timed } = setup({ concurrency: 4, adaptive: true });
    const server = tokenBucket(clock, 5);
    let inFlight = 0;
    const overLimit: number[] = [];
    const tasks = Array.from({ length: 150 }, (_, i) =>
      queue.run(async () => {
        inFlight++;
        if (inFlight > queue.limits.concurrency) overLimit.push(inFlight);
        try {
          await clock.sleep(20);
          server.take();
          return i;
        } finally {
          inFlight--;
        }
      }),
    );
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const changes = events.filter((e): e is Extract<QueueEvent, { type: "limits" }> => e.type === "limits");
    const decreases = changes.filter((c) => c.reason === "throttled");
    expect(decreases.length).toBeGreaterThan(0);
    expect(decreases[0]!.rate).toBeLessThan(5);
    expect(decreases.every((c) => c.concurrency >= 1 && c.concurrency <= 4)).toBe(true);
    expect(changes.some((c) => c.reason === "recovered")).toBe(true);
    expect(overLimit).toEqual([]);
    // The queue's own clock (fake, so exact): 150 answers at the server's 5/s take 30 s at best.
    const seconds = clock.now() / 1000;
    expect(150 / seconds / 5).toBeGreaterThan(0.85);
    // Far fewer 429s than a queue that only pauses and goes straight back to full speed.
    expect(server.throttled).toBeLessThan(40);
    // A limits event is a queue event like the others, in order with its 429.
    const first = timed.findIndex(({ e }) => e.type === "limits");
    expect(timed.slice(0, first).some(({ e }) => e.type === "throttled")).toBe(true);
  });

  it("never goes above a configured rate, and comes back to it once the server is quiet", async () => {
    const { clock, queue, events } = setup({ concurrency: 2, rate: 8, adaptive: true });
    let calls = 0;
    const tasks = Array.from({ length: 120 }, () =>
      queue.run(async () => {
        calls++;
        await clock.sleep(10);
        // The server pushes back twice early on, then never again.
        if (calls === 10 || calls === 25) throw apiError("throttled", { status: 429, retryAfterMs: 1000 });
        return calls;
      }),
    );
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const changes = events.filter((e): e is Extract<QueueEvent, { type: "limits" }> => e.type === "limits");
    expect(changes.every((c) => c.rate !== undefined && c.rate <= 8)).toBe(true);
    expect(changes.at(-1)).toMatchObject({ reason: "recovered", restored: true, rate: 8, concurrency: 2 });
    expect(queue.limits).toEqual({ concurrency: 2, rate: 8 });
  });
});

describe("throttling", () => {
  it("pauses every task until Retry-After: no attempt starts before the deadline", async () => {
    const { clock, queue, timed } = setup({ concurrency: 4, maxRetries: 0 });
    let throttledOnce = false;
    const tasks = Array.from({ length: 20 }, (_, i) =>
      queue.run(async () => {
        await clock.sleep(10);
        if (i === 5 && !throttledOnce) {
          throttledOnce = true;
          throw apiError("throttled", { status: 429, retryAfterMs: 1000 });
        }
        return i;
      }),
    );
    const outcomes = await runAll(clock, tasks);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const index = timed.findIndex(({ e }) => e.type === "throttled");
    const throttled = timed[index]!.e;
    expect(throttled).toMatchObject({ type: "throttled", waitMs: 1000 });
    const deadline = throttled.type === "throttled" ? throttled.untilMs : NaN;
    // Attempts in flight when the 429 came may finish; every attempt started after it waits.
    const later = timed.slice(index + 1).filter(({ e }) => e.type === "start");
    const earlier = timed.slice(0, index).filter(({ e }) => e.type === "start");
    expect(earlier.length + later.length).toBe(21); // 20 tasks and the retry of task 5
    expect(later.length).toBeGreaterThan(5);
    for (const { t } of later) expect(t).toBeGreaterThanOrEqual(deadline);
  });

  it("uses the default pause when a 429 has no Retry-After, and does not count it as a retry", async () => {
    const { clock, queue, events } = setup({ maxRetries: 0, defaultRetryAfterMs: 5000 });
    const starts: number[] = [];
    const result = await runAll(clock, [
      queue.run(async (attempt) => {
        starts.push(clock.now());
        if (attempt <= 3) throw apiError("throttled", { status: 429 });
        return "ok";
      }),
    ]);
    expect(result[0]).toEqual({ ok: true, value: "ok" });
    expect(starts).toEqual([0, 5000, 10000, 15000]);
    expect(events.filter((e) => e.type === "throttled")).toHaveLength(3);
  });

  it("backs a 503 without Retry-After off like a fault, without pausing the other tasks", async () => {
    const { clock, queue, events } = setup({ concurrency: 2, maxRetries: 0, baseDelayMs: 100, defaultRetryAfterMs: 5000 });
    const starts: { task: string; t: number }[] = [];
    const outcomes = await runAll(clock, [
      queue.run(async (attempt) => {
        starts.push({ task: "a", t: clock.now() });
        if (attempt <= 2) throw apiError("throttled", { status: 503 });
        return "a";
      }),
      queue.run(async () => {
        await clock.sleep(1);
        starts.push({ task: "b", t: clock.now() });
        return "b";
      }),
      queue.run(async () => {
        starts.push({ task: "c", t: clock.now() });
        return "c";
      }),
    ]);
    expect(outcomes).toEqual([
      { ok: true, value: "a" },
      { ok: true, value: "b" },
      { ok: true, value: "c" },
    ]);
    // random() is 0.5: backoffs of 50 and 100 ms, not two pauses of 5 s; "c" did not wait for them.
    expect(starts.filter((s) => s.task === "a").map((s) => s.t)).toEqual([0, 50, 150]);
    expect(starts.find((s) => s.task === "c")!.t).toBeLessThan(50);
    expect(events.filter((e) => e.type === "throttled")).toEqual([]);
    expect(events.filter((e) => e.type === "retry").map((e) => (e.type === "retry" ? e.delayMs : 0))).toEqual([50, 100]);
    expect(queue.pausedUntil).toBe(0);
  });

  it("gives up after maxThrottleWaits", async () => {
    const { clock, queue } = setup({ maxThrottleWaits: 3 });
    let calls = 0;
    const [r] = await runAll(clock, [
      queue.run(async () => {
        calls++;
        throw apiError("throttled", { retryAfterMs: 10 });
      }),
    ]);
    expect(calls).toBe(4);
    expect(r?.ok).toBe(false);
    expect((r as { error: ApiError }).error).toMatchObject({ kind: "throttled", code: "E_API_THROTTLED" });
    expect((r as { error: ApiError }).error.message).toContain("Gave up after 3 throttle waits");
  });

  it("fails instead of hanging when the server asks for a pause longer than the maximum", async () => {
    const { clock, queue } = setup({ maxRetryAfterMs: 60_000 });
    let calls = 0;
    const outcomes = await runAll(clock, [
      queue.run(async () => {
        calls++;
        throw apiError("throttled", { retryAfterMs: 3_600_000 });
      }),
      queue.run(async () => {
        await clock.sleep(5);
        calls++;
        return 1;
      }),
      queue.run(async () => {
        calls++;
        return 2;
      }),
    ]);
    // The first two started before the 429 was known; the third never started.
    expect(calls).toBe(2);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: "E_THROTTLED_TOO_LONG" } });
    expect(outcomes[2]).toMatchObject({ ok: false, error: { code: "E_THROTTLED_TOO_LONG" } });
    expect(clock.now()).toBeLessThan(60_000);
  });
});

describe("backoff", () => {
  it("retries server, network and timeout faults with bounded, jittered exponential delays", async () => {
    const randoms = [0.999, 0.5, 0, 0.999];
    const { clock, queue, events } = setup({ maxRetries: 4, baseDelayMs: 100, maxDelayMs: 250, random: () => randoms.shift() ?? 0 });
    const starts: number[] = [];
    const kinds: ApiErrorKind[] = ["server", "network", "timeout", "server", "server"];
    const [r] = await runAll(clock, [
      queue.run(async () => {
        starts.push(clock.now());
        throw apiError(kinds[starts.length - 1]!);
      }),
    ]);
    const delays = events.flatMap((e) => (e.type === "retry" ? [e.delayMs] : []));
    // caps 100, 200, 250, 250 times the random draws
    expect(delays).toEqual([99, 100, 0, 249]);
    expect(starts).toEqual([0, 99, 199, 199, 448]);
    expect(r).toMatchObject({ ok: false, error: { kind: "server" } });
    expect((r as { error: Error }).error.message).toContain("Gave up after 4 retries");
  });

  it("with the default random source never waits longer than the cap", async () => {
    const { clock, queue, events } = setup({ maxRetries: 30, baseDelayMs: 100, maxDelayMs: 1000, random: Math.random });
    await runAll(clock, [
      queue.run(async () => {
        throw apiError("server");
      }),
    ]);
    const delays = events.flatMap((e) => (e.type === "retry" ? [e.delayMs] : []));
    expect(delays).toHaveLength(30);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(1000);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it.each<ApiErrorKind>(["auth", "rejected"])("fails at once on %s", async (kind) => {
    const { clock, queue } = setup();
    let calls = 0;
    const err = apiError(kind);
    const [r] = await runAll(clock, [
      queue.run(async () => {
        calls++;
        throw err;
      }),
    ]);
    expect(calls).toBe(1);
    expect(r).toEqual({ ok: false, error: err });
  });

  it("fails at once on an error that is not an ApiError", async () => {
    const { clock, queue } = setup();
    let calls = 0;
    const [r] = await runAll(clock, [
      queue.run(async () => {
        calls++;
        throw new TypeError("bug");
      }),
    ]);
    expect(calls).toBe(1);
    expect(r).toMatchObject({ ok: false, error: { message: "bug" } });
  });
});

describe("unknown outcomes", () => {
  it("passes the last error to the next attempt", async () => {
    const { clock, queue } = setup();
    const seen: (string | undefined)[] = [];
    await runAll(clock, [
      queue.run(async (attempt, lastError) => {
        seen.push(lastError?.kind);
        if (attempt === 1) throw apiError("timeout", { outcomeUnknown: true });
        return attempt;
      }),
    ]);
    expect(seen).toEqual([undefined, "timeout"]);
  });

  it("reconciles before re-sending, and keeps reconciling until a look-up succeeds", async () => {
    const { clock, queue, events } = setup();
    const calls: string[] = [];
    const lookups = [apiError("network", { outcomeUnknown: false }), { done: true as const, value: "found" }];
    const [r] = await runAll(clock, [
      queue.run(
        async () => {
          calls.push("send");
          throw apiError("timeout", { outcomeUnknown: true });
        },
        {
          label: "679/844/vip",
          reconcile: async (lastError) => {
            calls.push(`reconcile after ${lastError.kind}`);
            const next = lookups.shift()!;
            if (next instanceof ApiError) throw next;
            return next;
          },
        },
      ),
    ]);
    // The failed look-up (a fault with a known outcome) must not let a re-send through.
    expect(calls).toEqual(["send", "reconcile after timeout", "reconcile after timeout"]);
    expect(r).toEqual({ ok: true, value: "found" });
    expect(events.filter((e) => e.type === "start").map((e) => (e.type === "start" ? e.reconcile : null))).toEqual([false, true, true]);
    expect(events.every((e) => e.type !== "limits" && e.label === "679/844/vip")).toBe(true);
  });

  it("re-sends when the look-up finds nothing", async () => {
    const { clock, queue } = setup();
    const calls: string[] = [];
    const [r] = await runAll(clock, [
      queue.run(
        async (attempt) => {
          calls.push(`send ${attempt}`);
          if (attempt === 1) throw apiError("server", { status: 500, outcomeUnknown: true });
          return "created";
        },
        {
          reconcile: async () => {
            calls.push("reconcile");
            return { done: false };
          },
        },
      ),
    ]);
    expect(calls).toEqual(["send 1", "reconcile", "send 2"]);
    expect(r).toEqual({ ok: true, value: "created" });
  });

  it("a final failure after an unknown outcome says the outcome is unknown", async () => {
    const { clock, queue } = setup({ maxRetries: 1 });
    const [r] = await runAll(clock, [
      queue.run(async (attempt) => {
        throw attempt === 1 ? apiError("timeout", { outcomeUnknown: true }) : apiError("network", { outcomeUnknown: false });
      }),
    ]);
    expect(r).toMatchObject({ ok: false, error: { kind: "network", outcomeUnknown: true } });
  });
});

describe("stop", () => {
  it("lets in-flight attempts finish and cancels everything not started", async () => {
    const { clock, queue } = setup({ concurrency: 2 });
    let started = 0;
    const tasks = Array.from({ length: 6 }, (_, i) =>
      queue.run(async () => {
        started++;
        await clock.sleep(100);
        return i;
      }),
    );
    const boxes = tasks.map(track);
    await clock.drive(() => started === 2);
    queue.stop();
    await clock.drive(() => boxes.every((b) => b.outcome !== undefined));
    expect(started).toBe(2);
    expect(boxes.map((b) => b.outcome?.ok)).toEqual([true, true, false, false, false, false]);
    for (const b of boxes.slice(2)) {
      expect(b.outcome).toMatchObject({ ok: false, error: { code: "E_CANCELLED" } });
    }
    await expect(queue.run(async () => 1)).rejects.toMatchObject({ code: "E_CANCELLED" });
    await expect(queue.onIdle()).resolves.toBeUndefined();
    expect(queue.stopped).toBe(true);
  });

  it("cancels a task waiting in backoff or in a pause without starting it again", async () => {
    const { clock, queue } = setup({ baseDelayMs: 10_000, random: () => 1 });
    let calls = 0;
    const backingOff = track(
      queue.run(async () => {
        calls++;
        throw apiError("timeout", { outcomeUnknown: true });
      }),
    );
    const paused = track(
      queue.run(async () => {
        calls++;
        throw apiError("throttled", { retryAfterMs: 60_000 });
      }),
    );
    await clock.drive(() => calls === 2);
    await new Promise((r) => setImmediate(r));
    queue.stop();
    await clock.drive(() => backingOff.outcome !== undefined && paused.outcome !== undefined);
    expect(calls).toBe(2);
    expect(clock.now()).toBe(0);
    const err = backingOff.outcome?.ok === false ? backingOff.outcome.error : undefined;
    expect(err).toBeInstanceOf(CancelledError);
    expect(err).toMatchObject({ code: "E_CANCELLED", outcomeUnknown: true, cause: { kind: "timeout" } });
    expect(paused.outcome).toMatchObject({ ok: false, error: { code: "E_CANCELLED", outcomeUnknown: false } });
  });
});

describe("refused credentials", () => {
  it("stop the queue at the first auth failure: nothing more starts, tasks not started say why", async () => {
    const { clock, queue, events } = setup({ concurrency: 3 });
    let refused = false;
    const starts: number[] = [];
    const tasks = Array.from({ length: 20 }, (_, i) =>
      queue.run(
        async () => {
          starts.push(i);
          await clock.sleep(10 + i);
          if (refused || i === 4) {
            refused = true;
            throw apiError("auth", { status: 401 });
          }
          return i;
        },
        { label: `task ${i}` },
      ),
    );
    const outcomes = await runAll(clock, tasks);
    // Task i takes 10 + i ticks: 3, 4 and 5 follow 0-2, and 6 follows 3 (at 23); 4 is refused at
    // 25 while 5 and 6 are in flight. Nothing starts after that.
    expect(starts).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(queue.stopped).toBe(true);
    expect(queue.stopReason).toMatchObject({ why: "the server refused the credentials", error: { kind: "auth" } });
    expect(outcomes.slice(0, 4).every((o) => o.ok)).toBe(true);
    expect(outcomes[4]).toMatchObject({ ok: false, error: { code: "E_API_AUTH" } });
    // In flight: their own 401s.
    expect(outcomes[5]).toMatchObject({ ok: false, error: { code: "E_API_AUTH" } });
    expect(outcomes[6]).toMatchObject({ ok: false, error: { code: "E_API_AUTH" } });
    for (const [i, o] of outcomes.slice(7).entries()) {
      expect(o).toMatchObject({ ok: false, error: { code: "E_NOT_SENT", outcomeUnknown: false, message: `Not sent (task ${i + 7}): the server refused the credentials.` } });
      expect((o as { error: CancelledError }).error.reason?.error).toBe((outcomes[4] as { error: unknown }).error);
    }
    expect(events.filter((e) => e.type === "retry")).toEqual([]);
    await expect(queue.run(async () => 1)).rejects.toMatchObject({ code: "E_NOT_SENT" });
  });

  it("stop tasks waiting in backoff or in a pause too", async () => {
    const { clock, queue } = setup({ concurrency: 2, baseDelayMs: 10_000, random: () => 1 });
    let calls = 0;
    const backingOff = track(
      queue.run(async () => {
        calls++;
        if (calls === 1) throw apiError("server");
        return "sent again";
      }),
    );
    await clock.drive(() => calls === 1);
    const refused = track(
      queue.run(async () => {
        calls++;
        throw apiError("auth", { status: 403 });
      }),
    );
    await clock.drive(() => backingOff.outcome !== undefined && refused.outcome !== undefined);
    expect(calls).toBe(2);
    expect(clock.now()).toBe(0);
    expect(backingOff.outcome).toMatchObject({ ok: false, error: { code: "E_NOT_SENT" } });
  });
});

describe("a run's signal", () => {
  it("stops only the tasks given it, naming the reason; the queue goes on", async () => {
    const { clock, queue } = setup({ concurrency: 1 });
    const halt = new AbortController();
    let sent = 0;
    const mine = Array.from({ length: 4 }, (_, i) =>
      queue.run(
        async () => {
          sent++;
          await clock.sleep(10);
          if (i === 1) halt.abort({ why: "the state cannot be written", error: new WfsyncError("E_STATE_WRITE", "disk full") });
          return i;
        },
        { signal: halt.signal, label: `mine ${i}` },
      ),
    );
    const other = queue.run(async () => "other");
    const outcomes = await runAll<unknown>(clock, [...mine, other]);
    expect(sent).toBe(2);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, false, true]);
    expect(outcomes[2]).toMatchObject({ ok: false, error: { code: "E_NOT_SENT", message: "Not sent (mine 2): the state cannot be written.", reason: { error: { code: "E_STATE_WRITE" } } } });
    expect(queue.stopped).toBe(false);
    await expect(queue.run(async () => "later")).resolves.toBe("later");
  });

  it("without a StopReason cancels as stop() does", async () => {
    const { clock, queue } = setup({ concurrency: 1 });
    const halt = new AbortController();
    halt.abort();
    const [o] = await runAll(clock, [queue.run(async () => 1, { signal: halt.signal })]);
    expect(o).toMatchObject({ ok: false, error: { code: "E_CANCELLED" } });
  });
});

describe("rate cap", () => {
  it.each([
    [5, 1000, 5],
    [2.5, 800, 2],
    [0.5, 2000, 1],
  ])("at %d/s: at most cap starts in any window, retries counted", async (rate, windowMs, cap) => {
    const { clock, queue } = setup({ concurrency: 10, rate });
    const starts: number[] = [];
    const tasks = Array.from({ length: 20 }, (_, i) =>
      queue.run(async (attempt) => {
        starts.push(clock.now());
        await clock.sleep(1);
        if (i % 4 === 0 && attempt === 1) throw apiError("network");
        return i;
      }),
    );
    await runAll(clock, tasks);
    expect(starts).toHaveLength(25);
    for (const s of starts) {
      expect(starts.filter((t) => t >= s && t < s + windowMs).length).toBeLessThanOrEqual(cap);
    }
    // ... and it does not go needlessly slower than the cap.
    const span = starts[starts.length - 1]! - starts[0]!;
    expect(span).toBeLessThanOrEqual((Math.ceil(25 / cap) - 1) * windowMs + 1000);
  });
});

describe("idle", () => {
  it("onIdle waits for tasks in backoff too", async () => {
    const { clock, queue } = setup();
    let attempts = 0;
    const t = track(
      queue.run(async () => {
        if (++attempts < 3) throw apiError("server");
        return "ok";
      }),
    );
    const idle = track(queue.onIdle());
    await clock.drive(() => idle.outcome !== undefined);
    expect(t.outcome).toEqual({ ok: true, value: "ok" });
    expect(queue.inFlight).toBe(0);
  });
});
