/** What `wfsync watch` prints for a run, checked on hand-made runs. */
import { describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
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
    emptyFiles: [],
    removedFiles: [],
    recoveredFiles: [],
    applied: [],
    ids: new Map(),
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

  it("names a new file without a workflow, and a deleted file, for what they are", () => {
    expect(reporter.run(run({ emptyFiles: ["workflows/new.ts"], files: ["workflows/new.ts"] }))).toMatch(/^\S+ workflows\/new\.ts declares no workflow yet: nothing to send\n$/);
    const pending = { change: { action: "delete", address: "1/2/vip", id: 7 } as never, reason: "run watch with --allow-delete to delete it" };
    const text = reporter.run(run({ removedFiles: ["workflows/a.ts"], files: ["workflows/a.ts"], pendingDeletes: [pending] }));
    expect(text).toContain("workflows/a.ts was deleted: nothing sent; 1 option of it is a pending delete");
    expect(text).not.toContain("nothing to send");
  });

  it("shows a file's first syntax error with its frame, not the cascade after it", () => {
    const at = (line: number, column: number) => new WfsyncError("TS1005", "',' expected.", { location: { file: "workflows/a.ts", line, column } });
    const text = reporter.run(run({ failedFiles: ["workflows/a.ts"], errors: [at(6, 11), at(5, 41), at(7, 11), at(7, 55)] }));
    expect(text.match(/TS1005/g)).toHaveLength(1);
    expect(text).toContain("workflows/a.ts:5:41");
    expect(text).toContain("workflows/a.ts: 3 more syntax errors after the first, most likely caused by it; fix that one first");
  });

  it("says a held conflict once, not again on every run that still holds it", () => {
    const r = new WatchReporter({ color: false, allowDelete: false });
    const held = [{ change: { action: "conflict", address: "1/2/vip", ids: [7] } as never, reason: "name changed both in code and on the server" }];
    expect(r.run(run({ held }))).toContain("held: ! 1/2/vip: name changed both in code and on the server");
    expect(r.run(run({ held }))).not.toContain("held:");
    r.run(run({ refreshed: "none" }));
    expect(r.run(run({ held }))).not.toContain("held:");
    r.run(run({ refreshed: "all" }));
    expect(r.run(run({ held }))).toContain("held: ! 1/2/vip");
  });

  it("speaks of several files that do not compile in the plural", () => {
    const text = reporter.run(run({ failedFiles: ["workflows/shared/n.ts", "workflows/b.ts"] }));
    expect(text).toContain("nothing applied: workflows/shared/n.ts, workflows/b.ts do not compile");
    expect(text).toContain("  workflows/shared/n.ts, workflows/b.ts: their last good options are kept; nothing from them is sent until they compile\n");
  });
});
