/** What `wfsync watch` prints for a run, checked on hand-made runs. */
import { describe, expect, it } from "vitest";
import { WatchReporter } from "../../src/watch/report.js";
import type { WatchRun } from "../../src/watch/run.js";

function run(over: Partial<WatchRun>): WatchRun {
  return {
    seq: 2,
    triggers: ["files"],
    files: [],
    startedAt: 0,
    finishedAt: 10,
    latencyMs: undefined,
    refreshed: "none",
    workflowFiles: 2,
    options: 3,
    errors: [],
    failedFiles: [],
    recoveredFiles: [],
    applied: [],
    failed: [],
    superseded: [],
    cancelled: [],
    held: [],
    pendingDeletes: [],
    drift: [],
    ...over,
  };
}

describe("WatchReporter", () => {
  const reporter = new WatchReporter({ color: false, allowDelete: false });

  it("says what happens to one file that does not compile", () => {
    const text = reporter.run(run({ failedFiles: ["workflows/a.ts"], files: ["workflows/a.ts"] }));
    expect(text).toContain("nothing applied: workflows/a.ts does not compile");
    expect(text).toContain("  workflows/a.ts: its last good options are kept; nothing from it is sent until it compiles\n");
  });

  it("speaks of several files that do not compile in the plural", () => {
    const text = reporter.run(run({ failedFiles: ["workflows/shared/n.ts", "workflows/b.ts"] }));
    expect(text).toContain("nothing applied: workflows/shared/n.ts, workflows/b.ts do not compile");
    expect(text).toContain("  workflows/shared/n.ts, workflows/b.ts: their last good options are kept; nothing from them is sent until they compile\n");
  });
});
