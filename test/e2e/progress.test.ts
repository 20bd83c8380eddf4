/**
 * Apply finishes split by split: a split's reads (before and after its creates) go ahead of the
 * other splits' queued writes, so its creates are done — and counted in the progress line — as
 * soon as they are, not only when every split's writes have been sent.
 */
import { describe, expect, it } from "vitest";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { manyOptions, splitSeed, startEngine, workflowFile } from "./harness.js";

describe("apply progress across splits", () => {
  it("reads each split back right after its creates, ahead of other splits' queued creates", async () => {
    const { seed, splits } = splitSeed(1, 4);
    const calls: string[] = [];
    const wrapApi = (api: WorkflowApi): WorkflowApi => ({
      ...api,
      getWorkflowStep: (id) => (calls.push(`read ${id}`), api.getWorkflowStep(id)),
      saveWorkflowStepOption: (o) => (calls.push(`save ${(o as { WorkflowStepId?: number }).WorkflowStepId}`), api.saveWorkflowStepOption(o)),
    });
    const engine = await startEngine({
      files: { "workflows/flow.ts": workflowFile(1, Object.fromEntries(splits.map((s) => [s.splitId, manyOptions(10)]))) },
      config: { concurrency: 2 },
      emulator: { seed },
      wrapApi,
    });
    const { result } = await engine.apply();
    expect(result.failed).toEqual([]);
    expect(result.applied).toHaveLength(40);
    await engine.expectConverged();

    const first = splits[0]!.splitId;
    const saves = calls.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith("save "));
    const lastSave = saves[saves.length - 1]![1];
    const lastSaveOfFirst = saves.filter(([c]) => c === `save ${first}`).pop()![1];
    // The first split's read back (its second read) comes soon after its own last create, before
    // the last of the other splits' creates is sent.
    const readsOfFirst = calls.map((c, i) => [c, i] as const).filter(([c]) => c === `read ${first}`);
    const readBack = readsOfFirst.find(([, i]) => i > lastSaveOfFirst);
    expect(readBack, calls.join("\n")).toBeDefined();
    expect(readBack![1]).toBeLessThan(lastSave);
    expect(readBack![1] - lastSaveOfFirst).toBeLessThanOrEqual(3);
  });
});
