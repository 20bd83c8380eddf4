/**
 * Limits that fit the server, end to end on the emulator: an on-site server gets `concurrency`
 * and no rate cap; a server that throttles gets a lower rate until it stops, and the apply ends
 * with the state exact. Asserted on the emulator's counters, the queue's events and the state,
 * never on how long anything took.
 */
import { describe, expect, it } from "vitest";
import type { QueueEvent } from "../../src/tenant/queue.js";
import { runCli } from "../helpers/cli.js";
import { duplicateKeys, expectApplied, expectStateMatchesServer, manyOptions, startEngine, workflowFile, type Engine } from "./harness.js";

type LimitsEvent = Extract<QueueEvent, { type: "limits" }>;

function files(half: number): Record<string, string> {
  return {
    "workflows/a.ts": workflowFile(679, { 844: manyOptions(half) }),
    "workflows/b.ts": workflowFile(702, { 910: manyOptions(half) }),
  };
}

async function expectClean(engine: Engine, options: number): Promise<void> {
  await engine.expectConverged();
  const server = engine.serverOptions();
  expect(duplicateKeys(server)).toEqual([]);
  expect(server).toHaveLength(options);
  expectStateMatchesServer(await engine.stateEntries(), server);
}

describe("on-site limits", () => {
  it("concurrency 8 with no rate configured: 8 in flight, no rate cap, and the plan header says so", { timeout: 60_000 }, async () => {
    // Answers take 300 ms: eight requests sent together are all in flight at once.
    const engine = await startEngine({ files: files(12), config: { concurrency: 8 }, emulator: { latency: 300 } });
    expect(engine.session.tenant.queue.limits).toEqual({ concurrency: 8, rate: undefined });

    const plan = await runCli(["plan"], { cwd: engine.project.dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split("\n").slice(0, 3)).toEqual([
      `Tenant ${engine.emu.url} · SuperOffice 10.2.4–10.2.9 API (options saved one by one)`,
      "Limits: 8 in flight, no rate cap (on-site default), adapts to throttling",
      "",
    ]);
    const json = JSON.parse((await runCli(["plan", "--json"], { cwd: engine.project.dir })).stdout) as { limits: unknown };
    expect(json.limits).toEqual({ concurrency: 8, rate: null, source: "on-site default", adaptive: true, server: "onsite" });

    const apply = await runCli(["apply", "--auto-approve", "--rate", "50"], { cwd: engine.project.dir });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Limits: 8 in flight, at most 50 requests/s (flag), adapts to throttling");
    const { maxInFlight, byMethod } = engine.emu.counters();
    expect(byMethod.SaveWorkflowStepOption).toBe(24);
    expect(maxInFlight).toBe(8);
    await expectClean(engine, 24);
  });
});

describe("a server that throttles (emulator --rate-limit)", () => {
  it("lowers the rate from what the server served, completes with the state exact, and says so", { timeout: 60_000 }, async () => {
    const engine = await startEngine({ files: files(30), emulator: { rateLimit: 20 } });
    expect(engine.session.tenant.queue.limits).toEqual({ concurrency: 4, rate: undefined });
    const { result } = await engine.apply();
    expectApplied(result);
    await expectClean(engine, 60);

    const limits = engine.events.map((e) => e.event).filter((e): e is LimitsEvent => e.type === "limits");
    const decreases = limits.filter((e) => e.reason === "throttled");
    expect(decreases.length).toBeGreaterThan(0);
    // The first decrease comes from the rate the server served (its 20/s and the bucket's burst),
    // not from "no cap": a rate, and one at or below what the server let through.
    expect(decreases[0]!.rate).toBeDefined();
    expect(decreases[0]!.rate!).toBeLessThanOrEqual(0.9 * decreases[0]!.served! + 1e-9);
    expect(decreases.every((e) => e.concurrency >= 1 && e.concurrency <= 4)).toBe(true);
    // Every pause was the server's (a 429 with Retry-After); the adapted rate keeps most requests
    // clear of the limit: far fewer 429s than saves.
    const { rateLimited, byMethod } = engine.emu.counters();
    expect(rateLimited).toBeGreaterThan(0);
    expect(rateLimited).toBeLessThan(byMethod.SaveWorkflowStepOption! / 2);
  });
});
