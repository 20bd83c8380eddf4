/** Hand-driven parts for the watch loop: a manual clock, options built inline, a fake tenant. */
import type { ApplyProgress, ApplyResult } from "../../src/apply/apply.js";
import type { DesiredOption } from "../../src/compile/validate.js";
import { canonicalOption, hashOption, optionAddress, type Address } from "../../src/model/option.js";
import { liveOption, splitRef, type LiveOption, type SplitRef } from "../../src/model/live.js";
import type { Change, Plan } from "../../src/plan/diff.js";
import type { StateEntry } from "../../src/state/format.js";
import { SupersededError, type WatchEngine } from "../../src/watch/engine.js";
import type { Clock } from "../../src/watch/schedule.js";

/** Timers fire only when the test advances time; `advance` lets async work settle after each. */
export class ManualClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private timers: { at: number; id: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, id, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function option(workflowId: number, workflowStepId: number, key: string, name: string, file = "/p/workflows/a.ts"): DesiredOption {
  const model = canonicalOption({ workflowId, workflowStepId, key, name, rank: 1, steps: [] });
  const address = optionAddress(model);
  return { address, option: model, hash: hashOption(model), source: { file: file.replace("/p/", ""), line: 1, column: 1 }, file };
}

export function applied(d: DesiredOption, id: number): StateEntry {
  return { id, hash: d.hash, option: d.option, server: {}, source: { file: d.source.file, line: 1, column: 1 }, appliedAt: "2026-01-01T00:00:00.000Z" };
}

export function live(d: DesiredOption, id: number): LiveOption {
  return liveOption(id, d.option, {});
}

export function byAddress<T extends { address: Address }>(...items: T[]): Map<Address, T> {
  return new Map(items.map((i) => [i.address, i]));
}

/**
 * A tenant in memory. `apply` can be held open (`hold()`/`release()`) to act while a run is in
 * flight; it asks `stale` for each change as it "sends" it, like the real engine.
 */
export class FakeEngine implements WatchEngine {
  readonly state = new Map<Address, StateEntry>();
  readonly server = new Map<SplitRef, LiveOption[]>();
  readonly sent: string[] = [];
  refreshes = 0;
  private nextId = 100;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  onApplyStart: (() => void) | undefined;

  applied(): ReadonlyMap<Address, StateEntry> {
    return this.state;
  }
  readSplits = async (splits: ReadonlySet<SplitRef>) => {
    this.refreshes++;
    const result = new Map<SplitRef, LiveOption[]>();
    for (const s of splits) result.set(s, this.server.get(s) ?? []);
    return { live: result, missing: [] };
  };
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  async apply(plan: Plan, stale: (address: Address) => boolean, onProgress?: (p: ApplyProgress) => void): Promise<ApplyResult> {
    this.onApplyStart?.();
    await this.gate;
    const result: { applied: Change[]; failed: { change: Change; error: unknown }[]; cancelled: Change[] } = { applied: [], failed: [], cancelled: [] };
    for (const c of plan.changes) {
      if (stale(c.address)) {
        result.failed.push({ change: c, error: new SupersededError(c.address) });
        continue;
      }
      if (c.action === "delete") this.state.delete(c.address);
      else if (c.action !== "conflict") {
        const id = c.action === "create" ? this.nextId++ : c.id;
        this.state.set(c.address, { id, hash: c.desired.hash, option: c.desired.option, server: {}, source: c.source, appliedAt: "2026-01-01T00:00:00.000Z" });
        const split = splitRef(c);
        this.server.set(split, [...(this.server.get(split) ?? []).filter((l) => l.id !== id), liveOption(id, c.desired.option, {})]);
      }
      this.sent.push(`${c.action} ${c.address}${c.action === "create" || c.action === "update" ? ` ${c.desired.option.name}` : ""}`);
      result.applied.push(c);
      onProgress?.({ total: plan.changes.length, done: result.applied.length, failed: 0 });
    }
    return result;
  }
  configure(): void {}
  stop(): void {}
}
