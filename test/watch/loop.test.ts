/**
 * The watch loop with every part handed in: a manual clock, a fake compiler, a fake tenant and
 * an event source the test fires by hand. No files, no network, no real time.
 */
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compile/compiler.js";
import type { DesiredOption } from "../../src/compile/validate.js";
import type { ResolvedConfig } from "../../src/config/load.js";
import { WfsyncError } from "../../src/errors.js";
import type { FileEventSource } from "../../src/watch/files.js";
import { WatchLoop, type WatchCompiler } from "../../src/watch/loop.js";
import type { WatchRun } from "../../src/watch/run.js";
import { FakeEngine, ManualClock, option } from "./fakes.js";

const A = "/p/workflows/a.ts";
const CONFIG: ResolvedConfig = {
  root: "/p",
  configFile: "/p/sync.config.ts",
  url: "http://tenant.test",
  workflows: ["workflows/**/*.ts"],
  state: "/p/.wfsync/state.json",
  concurrency: 4,
  rate: 10,
  limitsFrom: { concurrency: "config", rate: "config" },
  adaptive: true,
  timeoutMs: 1000,
  maxRetries: 1,
  massDeleteShare: 0.5,
  api: undefined,
  environment: undefined,
  environments: [],
  // Saves diff against the state alone under revert; report and adopt read the split of an update first (tested on their own).
  drift: "revert",
};

/** The compiler's answer per file: its options, or an error. */
class FakeCompiler implements WatchCompiler {
  readonly files = new Map<string, DesiredOption[] | WfsyncError>();
  compiles: string[][] = [];
  setWorkflowFiles(): void {}
  compile(changed: Iterable<string>): CompileResult {
    this.compiles.push([...changed]);
    const options = new Map<string, DesiredOption>();
    const errors: WfsyncError[] = [];
    const failedFiles = new Set<string>();
    for (const [file, v] of this.files) {
      if (v instanceof WfsyncError) {
        errors.push(v);
        failedFiles.add(file);
      } else for (const d of v) options.set(d.address, d);
    }
    return { options, errors, failedFiles, checkedFiles: new Set(), fromCache: false, unresolved: [], stats: { workflows: 1, splits: 1, options: options.size, steps: 0 } };
  }
  importersOf(): string[] {
    return [];
  }
  modules(): string[] {
    return [...this.files.keys()];
  }
}

function setup(opts: { allowDelete?: boolean; refreshIntervalMs?: number } = {}) {
  const clock = new ManualClock();
  const compiler = new FakeCompiler();
  const engine = new FakeEngine();
  const runs: WatchRun[] = [];
  const notices: string[] = [];
  let fire: (path: string) => void = () => undefined;
  const events: FileEventSource = {
    start: async (onPath) => void (fire = onPath),
    setWatched: () => undefined,
    close: async () => undefined,
  };
  const loop = new WatchLoop({
    root: "/p",
    config: CONFIG,
    compiler,
    files: { configFile: CONFIG.configFile, loadConfig: () => CONFIG, listWorkflowFiles: () => [...compiler.files.keys()], exists: (f) => compiler.files.has(f) },
    events,
    engine,
    clock,
    debounceMs: 100,
    allowDelete: opts.allowDelete ?? false,
    ...(opts.refreshIntervalMs ? { refreshIntervalMs: opts.refreshIntervalMs } : {}),
    onRun: (r) => runs.push(r),
    onNotice: (n) => notices.push(n.message),
  });
  return { clock, compiler, engine, runs, loop, notices, save: (path: string) => fire(path) };
}

describe("WatchLoop", () => {
  it("starts with a full read and apply, then diffs saves against the state only", async () => {
    const t = setup();
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    expect((await first).refreshed).toBe("all");
    expect(t.engine.sent).toEqual(["create 1/2/vip VIP"]);

    t.compiler.files.set(A, [option(1, 2, "vip", "VIP 2")]);
    t.save(A);
    await t.clock.advance(99);
    expect(t.runs).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.runs).toHaveLength(2);
    expect(t.runs[1]).toMatchObject({ refreshed: "none", latencyMs: 100, files: ["workflows/a.ts"] });
    expect(t.engine.sent).toEqual(["create 1/2/vip VIP", "update 1/2/vip VIP 2"]);
    expect(t.engine.refreshes).toBe(1);
    expect(t.compiler.compiles).toEqual([[], [A]]);
  });

  it("ignores its own files and anything outside the globs", async () => {
    const t = setup();
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    for (const p of ["/p/.wfsync/state.json", "/p/.wfsync/state.json.journal", "/p/.wfsync/state.json.lock", "/p/notes.md", "/p/workflows/types.d.ts", "/p/other/x.ts"]) t.save(p);
    await t.clock.advance(1000);
    expect(t.runs).toHaveLength(1);
  });

  it("never runs twice at once: saves during a run become one follow-up run", async () => {
    const t = setup();
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;

    t.engine.hold();
    t.compiler.files.set(A, [option(1, 2, "vip", "v1")]);
    t.save(A);
    await t.clock.advance(100);
    // Run 2 is applying (held). Three more saves arrive meanwhile.
    for (const name of ["v2", "v3", "v4"]) {
      t.compiler.files.set(A, [option(1, 2, "vip", name)]);
      t.save(A);
      await t.clock.advance(50);
    }
    expect(t.runs).toHaveLength(1);
    t.engine.release();
    await t.clock.advance(200);
    expect(t.runs.map((r) => r.seq)).toEqual([1, 2, 3]);
    // Run 2's save of v1 was superseded by the newer edit waiting; run 3 sent v4 only.
    expect(t.runs[1]!.superseded.map((c) => c.address)).toEqual(["1/2/vip"]);
    expect(t.engine.sent).toEqual(["create 1/2/vip VIP", "update 1/2/vip v4"]);
    await t.loop.idle();
  });

  it("keeps a failing file's last good options: nothing from it is sent, nothing deleted", async () => {
    const t = setup({ allowDelete: true });
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP"), option(1, 2, "rest", "Rest"), option(1, 2, "x", "X")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    t.compiler.files.set(A, new WfsyncError("TS1005", "',' expected.", { location: { file: "workflows/a.ts", line: 3, column: 7 } }));
    t.save(A);
    await t.clock.advance(100);
    const run = t.runs[1]!;
    expect(run).toMatchObject({ failedFiles: ["workflows/a.ts"], options: 3, applied: [], pendingDeletes: [] });
    expect(run.errors.map((e) => e.code)).toEqual(["TS1005"]);

    t.compiler.files.set(A, [option(1, 2, "vip", "VIP"), option(1, 2, "rest", "Rest")]);
    t.save(A);
    await t.clock.advance(100);
    expect(t.runs[2]!.pendingDeletes.map((w) => `${w.change.address}: ${w.reason}`)).toEqual(["1/2/x: deleted in 10 s unless it comes back in code"]);
    await t.clock.advance(10_000);
    expect(t.runs[3]).toMatchObject({ triggers: ["grace"] });
    expect(t.runs[3]!.applied.map((c) => `${c.action} ${c.address}`)).toEqual(["delete 1/2/x"]);
  });

  it("with --allow-delete, an option cut and pasted back within the grace period is never deleted", async () => {
    const t = setup({ allowDelete: true });
    const B = "/p/workflows/b.ts";
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP"), option(1, 2, "rest", "Rest"), option(1, 2, "x", "X")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    const sent = t.engine.sent.length;
    // Cut from a.ts …
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP"), option(1, 2, "rest", "Rest")]);
    t.save(A);
    await t.clock.advance(100);
    expect(t.runs[1]!.pendingDeletes.map((w) => w.change.address)).toEqual(["1/2/x"]);
    // … pasted into b.ts five seconds later.
    await t.clock.advance(5000);
    t.compiler.files.set(B, [option(1, 2, "x", "X")]);
    t.save(B);
    await t.clock.advance(100);
    expect(t.runs[2]!.pendingDeletes).toEqual([]);
    await t.clock.advance(20_000);
    expect(t.engine.sent.slice(sent)).toEqual([]);
    expect(t.runs.flatMap((r) => r.applied)).toHaveLength(t.runs[0]!.applied.length);
  });

  it("a new file that declares no workflow yet is no error; a deleted file is named as deleted", async () => {
    const t = setup();
    const B = "/p/workflows/b.ts";
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP"), option(1, 2, "rest", "Rest")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    t.compiler.files.set(B, new WfsyncError("E_NO_WORKFLOWS", "this workflow file exports no workflow(...)", { location: { file: "workflows/b.ts", line: 1, column: 1 } }));
    t.save(B);
    await t.clock.advance(100);
    expect(t.runs[1]).toMatchObject({ emptyFiles: ["workflows/b.ts"], failedFiles: [], errors: [], removedFiles: [] });
    t.compiler.files.delete(A);
    t.save(A);
    await t.clock.advance(100);
    expect(t.runs[2]).toMatchObject({ removedFiles: ["workflows/a.ts"], emptyFiles: ["workflows/b.ts"] });
    expect(t.runs[2]!.pendingDeletes.map((w) => w.change.address).sort()).toEqual(["1/2/rest", "1/2/vip"]);
  });

  it("a large run says it started and how far it got; a small one says nothing in between", async () => {
    const t = setup();
    t.compiler.files.set(A, Array.from({ length: 40 }, (_, i) => option(1, 2, `o${i}`, `Option ${i}`)));
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    expect(t.notices).toEqual(["applying 40 changes…", ...[4, 8, 12, 16, 20, 24, 28, 32, 36, 40].map((n) => `${n}/40 done`)]);
    t.notices.length = 0;
    t.compiler.files.set(A, [option(1, 2, "o0", "Renamed"), ...Array.from({ length: 39 }, (_, i) => option(1, 2, `o${i + 1}`, `Option ${i + 1}`))]);
    t.save(A);
    await t.clock.advance(100);
    expect(t.runs[1]!.applied).toHaveLength(1);
    expect(t.notices).toEqual([]);
  });

  it("retries by itself after server trouble", async () => {
    const t = setup();
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP")]);
    const failing = t.engine.readSplits;
    let down = true;
    t.engine.readSplits = async (splits) => {
      if (down) throw new (await import("../../src/client/errors.js")).ApiError({ kind: "network", method: "GetWorkflowStep", message: "ECONNREFUSED", outcomeUnknown: false });
      return failing(splits);
    };
    const first = t.loop.start();
    await t.clock.advance(0);
    const run = await first;
    expect(run.problem).toBeInstanceOf(WfsyncError);
    expect(run.retryInMs).toBe(2000);
    down = false;
    await t.clock.advance(2000);
    expect(t.runs[1]).toMatchObject({ triggers: ["retry"], refreshed: "all" });
    expect(t.engine.sent).toEqual(["create 1/2/vip VIP"]);
  });

  it("goes on polling with --refresh-interval after a poll failed with an error that is not retried", async () => {
    const t = setup({ refreshIntervalMs: 1000 });
    t.compiler.files.set(A, [option(1, 2, "vip", "VIP")]);
    const first = t.loop.start();
    await t.clock.advance(0);
    await first;
    const works = t.engine.readSplits;
    let refused = true;
    t.engine.readSplits = async (splits) => {
      if (refused) throw new (await import("../../src/client/errors.js")).ApiError({ kind: "auth", method: "GetWorkflowStep", status: 401, message: "401", outcomeUnknown: false });
      return works(splits);
    };
    await t.clock.advance(1000);
    expect(t.runs[1]).toMatchObject({ triggers: ["refresh"] });
    expect(t.runs[1]!.problem).toBeInstanceOf(WfsyncError);
    refused = false;
    const before = t.engine.refreshes;
    await t.clock.advance(1000);
    expect(t.runs[2]).toMatchObject({ triggers: ["refresh"], refreshed: "all" });
    expect(t.engine.refreshes).toBe(before + 1);
  });
});
