/** Injected faults and counters. No assertion depends on this machine's speed beyond lower bounds. */
import { describe, expect, it } from "vitest";
import { Faults } from "../../src/emulator/faults.js";
import { admin, call, start, type Json } from "./helpers.js";

describe("rate limit", () => {
  it("answers the excess with 429 and an integer Retry-After ≥ 1", async () => {
    const emu = await start({ rateLimit: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => call(emu, "CreateDefaultWorkflowStepOption")));
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(r.json).toMatchObject({ Error: true, ErrorType: "TooManyRequests" });
    }
    expect(emu.counters().rateLimited).toBe(limited.length);
  });

  it("refills at the configured rate (token bucket on an injected clock)", () => {
    let now = 0;
    const faults = new Faults({ rateLimit: 4 }, Math.random, () => now);
    for (let i = 0; i < 4; i++) expect(faults.takeToken()).toBeUndefined();
    expect(faults.takeToken()).toBe(1);
    now += 250; // one token at 4/s
    expect(faults.takeToken()).toBeUndefined();
    expect(faults.takeToken()).toBe(1);
    const slow = new Faults({ rateLimit: 0.25 }, Math.random, () => now);
    expect(slow.takeToken()).toBeUndefined();
    expect(slow.takeToken()).toBe(4);
  });
});

describe("fail rate and latency", () => {
  it("fail rate 1 answers every call with 500 or 503 and an error body", async () => {
    const emu = await start({ failRate: 1 });
    const results = await Promise.all(Array.from({ length: 8 }, () => call(emu, "CreateDefaultWorkflowStepOption")));
    for (const r of results) {
      expect([500, 503]).toContain(r.status);
      expect(r.json).toMatchObject({ Error: true, ErrorMessage: expect.stringContaining("injected") });
    }
    const c = emu.counters();
    expect(c.serverErrors).toBe(8);
    expect(c.injectedFailures).toBe(8);
  });

  it("fail rate picks calls with the given random source", async () => {
    // Each call draws once (fail?) and, when failing, once more (< 0.5: 500, else 503).
    const values = [0.1, 0.2, 0.6, 0.3, 0.7];
    let i = 0;
    const emu = await start({ failRate: 0.5, random: () => values[i++]! });
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBe(500);
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBe(200);
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBe(503);
  });

  it("latency delays each answer by at least the configured time", async () => {
    const emu = await start({ latency: 60 });
    const t0 = performance.now();
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("never applies faults to admin routes", async () => {
    const emu = await start({ failRate: 1, rateLimit: 1, latency: 2000 });
    for (let i = 0; i < 5; i++) expect((await admin(emu, "GET", "/counters")).status).toBe(200);
    expect(emu.counters().total).toBe(0);
  });

  it("faults can be changed at run time", async () => {
    const emu = await start({ failRate: 1 });
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBeGreaterThanOrEqual(500);
    const set = await admin(emu, "POST", "/faults", { FailRate: 0, latency: 5 });
    expect(set.json).toEqual({ latency: 5, rateLimit: 0, failRate: 0, writeDelay: 0 });
    expect((await call(emu, "CreateDefaultWorkflowStepOption")).status).toBe(200);
    expect((await admin(emu, "POST", "/faults", { failRate: 2 })).status).toBe(400);
  });
});

describe("counters", () => {
  it("count calls per method and status, 401s, and the most calls in flight at once", async () => {
    const emu = await start({ latency: 50 });
    await Promise.all(Array.from({ length: 5 }, () => call(emu, "CreateDefaultWorkflowStepOption")));
    await call(emu, "GetEmailFlow", { query: "emailFlowId=12", authorization: null });
    const c = (await admin(emu, "GET", "/counters")).json as Json;
    expect(c.total).toBe(6);
    expect(c.byMethod).toEqual({ CreateDefaultWorkflowStepOption: 5, GetEmailFlow: 1 });
    expect(c.byStatus).toEqual({ "200": 5, "401": 1 });
    expect(c.unauthorized).toBe(1);
    expect(c.inFlight).toBe(0);
    // Five calls each waiting 50 ms overlap on any machine.
    expect(c.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(c.maxInFlight).toBeLessThanOrEqual(5);

    const reset = (await admin(emu, "POST", "/counters/reset")).json as Json;
    expect(reset).toMatchObject({ total: 0, maxInFlight: 0, byMethod: {}, rateLimited: 0, serverErrors: 0 });
  });
});
