/**
 * Refresh cost grows with splits, not options: a plan of 1,000 applied options on 50 splits
 * reads each split once (GetWorkflowStep) and sends nothing else.
 */
import { describe, expect, it } from "vitest";
import { expectApplied, manyOptions, splitSeed, startEngine, workflowFile } from "./harness.js";

describe("a plan at scale", () => {
  it("reads 50 splits with 50 requests for 1,000 options", { timeout: 60_000 }, async () => {
    const { seed, splits } = splitSeed(10, 5);
    const files: Record<string, string> = {};
    for (let flow = 1; flow <= 10; flow++) {
      const mine = splits.filter((s) => s.workflowId === flow);
      files[`workflows/flow${flow}.ts`] = workflowFile(flow, Object.fromEntries(mine.map((s) => [s.splitId, manyOptions(20, `s${s.splitId}-`)])));
    }
    const engine = await startEngine({ files, config: { concurrency: 8, rate: 100_000 }, emulator: { seed } });

    const { plan, result } = await engine.apply();
    expect(plan.summary.create).toBe(1000);
    expectApplied(result);
    expect(engine.serverOptions()).toHaveLength(1000);

    engine.emu.resetCounters();
    await engine.expectConverged();
    const counters = engine.emu.counters();
    expect(counters.byMethod).toEqual({ GetWorkflowStep: 50 });
    expect(counters.total).toBe(50);
  });
});
