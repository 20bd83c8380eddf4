/** The run schedule alone: debounce, coalescing, one run at a time, the maximum wait. */
import { describe, expect, it } from "vitest";
import { RunScheduler, type Batch } from "../../src/watch/schedule.js";
import { ManualClock } from "./fakes.js";

function scheduler(debounceMs = 100, maxWaitMs = 1000) {
  const clock = new ManualClock();
  const batches: { at: number; paths: string[]; triggers: string[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let hold: Promise<void> | undefined;
  const s = new RunScheduler({
    debounceMs,
    maxWaitMs,
    clock,
    onRunError: () => undefined,
    run: async (b: Batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push({ at: clock.now(), paths: [...b.paths].sort(), triggers: [...b.triggers].sort() });
      await hold;
      inFlight--;
    },
  });
  return {
    s,
    clock,
    batches,
    maxInFlight: () => maxInFlight,
    hold(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

describe("RunScheduler", () => {
  it("starts one run a debounce after the last event, with every path", async () => {
    const t = scheduler();
    const start = t.clock.now();
    t.s.add("/a");
    await t.clock.advance(60);
    t.s.add("/b");
    t.s.add("/a");
    await t.clock.advance(99);
    expect(t.batches).toEqual([]);
    await t.clock.advance(1);
    expect(t.batches).toEqual([{ at: start + 160, paths: ["/a", "/b"], triggers: ["files"] }]);
  });

  it("collects events during a run into exactly one follow-up run", async () => {
    const t = scheduler();
    const release = t.hold();
    t.s.add("/a");
    await t.clock.advance(100);
    for (const p of ["/b", "/c", "/b", "/d"]) {
      t.s.add(p);
      await t.clock.advance(300);
    }
    expect(t.batches).toHaveLength(1);
    expect([...t.s.pending].sort()).toEqual(["/b", "/c", "/d"]);
    release();
    await t.clock.advance(0);
    expect(t.batches.map((b) => b.paths)).toEqual([["/a"], ["/b", "/c", "/d"]]);
    expect(t.maxInFlight()).toBe(1);
    await t.s.idle();
  });

  it("does not let a steady stream of events postpone a run past the maximum wait", async () => {
    const t = scheduler(100, 500);
    const start = t.clock.now();
    for (let i = 0; i < 20; i++) {
      t.s.add(`/f${i}`);
      await t.clock.advance(50);
    }
    expect(t.batches[0]?.at).toBe(start + 500);
  });

  it("runs requested triggers without debounce and stops taking work when closed", async () => {
    const t = scheduler();
    t.s.request("refresh");
    await t.clock.advance(0);
    expect(t.batches).toEqual([{ at: t.clock.now(), paths: [], triggers: ["refresh"] }]);
    await t.s.close();
    t.s.add("/a");
    t.s.request("retry");
    await t.clock.advance(1000);
    expect(t.batches).toHaveLength(1);
  });
});
