/** The NDJSON event writer on its own: a fixed clock, operations followed through an apply's callbacks. */
import { describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { canonicalOption, hashOption, optionAddress } from "../../src/model/option.js";
import { diffModels, type Change } from "../../src/plan/diff.js";
import { EventStream, OperationEvents } from "../../src/cli/events.js";

function creates(...keys: string[]): Change[] {
  const options = keys.map((key, i) => canonicalOption({ workflowId: 679, workflowStepId: 844, key, name: key, rank: i + 1, steps: [] }));
  const desired = new Map(options.map((o) => [optionAddress(o), { address: optionAddress(o), option: o, hash: hashOption(o), source: { file: "a.ts", line: 1, column: 1 }, file: "/p/a.ts" }]));
  return [...diffModels({ massDeleteShare: 1, desired, applied: new Map(), live: new Map([["679/844", []]]) }).changes];
}

describe("EventStream", () => {
  it("writes one JSON line an event with type and the clock's ISO time; operations started once, done once, then the summary", () => {
    let out = "";
    const events = new EventStream({ write: (t: string) => (out += t) }, () => new Date("2026-12-01T10:00:00.000Z"));
    const [a, b, c] = creates("a", "b", "c");
    const ops = new OperationEvents(events, (address) => (address === "679/844/a" ? 41 : undefined));
    ops.beforeSend(a!);
    ops.beforeSend(a!); // a retry: still one operation_started
    ops.onProgress({ total: 3, done: 1, failed: 0, last: { change: a!, ok: true } });
    ops.onProgress({ total: 3, done: 1, failed: 1, last: { change: b!, ok: false, error: new WfsyncError("E_API", "the server said 400: Name too long") } });
    ops.finish({ applied: [a!], failed: [{ change: b!, error: new Error("x") }], cancelled: [c!] }, { elapsedMs: 12 });
    const lines = out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => l.time === "2026-12-01T10:00:00.000Z")).toBe(true);
    expect(lines.map((l) => `${l.type} ${l.address ?? ""} ${l.result ?? ""}`.trim())).toEqual([
      "operation_started 679/844/a",
      "operation_done 679/844/a applied",
      "operation_started 679/844/b",
      "operation_done 679/844/b failed",
      "operation_done 679/844/c cancelled",
      "summary",
    ]);
    expect(lines[1]).toMatchObject({ id: 41, action: "create", code: null, message: null });
    expect(lines[3]).toMatchObject({ id: null, code: "E_API", message: "the server said 400: Name too long" });
    expect(lines[5]).toMatchObject({ applied: 1, failed: 1, cancelled: 1, stopped: null, elapsedMs: 12 });
  });
});
