/**
 * `wfsync watch` as users run it: the built CLI (`npm run build` first; `npm test` does) in a
 * child process against an in-process emulator. Waits on output lines, never on fixed sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { emulator, flowFile, project, serverOptions } from "./harness.js";

const BIN = fileURLToPath(new URL("../../bin/wfsync.js", import.meta.url));

/** Collects a child's stdout and resolves `waitFor` once a line matches. */
function lines(child: ChildProcess): { text: () => string; waitFor: (re: RegExp, what: string) => Promise<string> } {
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = out.split("\n").find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => ((out += d), check()));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  return {
    text: () => out + err,
    waitFor: (re, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output:\n${out}\n${err}`)), 30_000);
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        check();
      }),
  };
}

/** User + system CPU time of a process (all its threads), in clock ticks (usually 1/100 s). */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Resolves once `ready()` holds, checking every few milliseconds (an upper bound, no fixed sleep). */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 25_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("wfsync watch (CLI)", () => {
  it("--json: NDJSON events on stdout, each run's operation_done counts matching its summary", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP customers" }, { key: "rest", name: "Everyone else" }]) });
    const child = spawn(process.execPath, [BIN, "watch", "--url", emu.url, "--json"], {
      cwd: p.dir,
      env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const out = lines(child);
    let stdoutOnly = "";
    child.stdout!.on("data", (d: string) => (stdoutOnly += d));
    await out.waitFor(/"type":"ready"/, "the ready event");
    p.write("workflows/onboarding.ts", flowFile(679, 844, [{ key: "vip", name: "VIP and key accounts" }, { key: "rest", name: "Everyone else" }]));
    await out.waitFor(/"type":"summary","time":"[^"]+","run":2,/, "the second run's summary");
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    const stdout = stdoutOnly.split("\n");
    expect(stdout.pop()).toBe("");
    const events = stdout.map((l) => JSON.parse(l) as { type: string; time: string; run?: number; result?: string; [k: string]: unknown });
    for (const e of events) expect(new Date(e.time).toISOString()).toBe(e.time);
    expect(events.map((e) => e.type)).toEqual(["operation_done", "operation_done", "summary", "ready", "operation_done", "summary", "stopped"]);
    for (const run of [1, 2]) {
      const summary = events.find((e) => e.type === "summary" && e.run === run)!;
      const done = events.filter((e) => e.type === "operation_done" && e.run === run);
      expect(done.filter((e) => e.result === "applied")).toHaveLength(summary.applied as number);
      expect(done.filter((e) => e.result === "failed")).toHaveLength(summary.failed as number);
    }
    expect(events[4]).toMatchObject({ address: "679/844/vip", action: "update", result: "applied" });
    // The first run created both options: their events carry the ids the server gave them.
    const created = events.filter((e) => e.type === "operation_done" && e.run === 1);
    expect(created.map((e) => e.action)).toEqual(["create", "create"]);
    const ids = serverOptions(emu, 844);
    expect(Object.fromEntries(created.map((e) => [e.address, e.id]))).toEqual({ "679/844/rest": ids.get("rest")?.WorkflowStepOptionId, "679/844/vip": ids.get("vip")?.WorkflowStepOptionId });
    expect(events[4]!.id).toBe(ids.get("vip")?.WorkflowStepOptionId);
    // People's lines go to stderr, leaving stdout to the events.
    expect(stdoutOnly).not.toContain("stopping: no new work");
    expect(out.text()).toContain("stopping: no new work");
  });

  it("applies a save, and on SIGINT exits 0 with the state saved and the lock released", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP customers" }]) });
    const child = spawn(process.execPath, [BIN, "watch", "--url", emu.url, "--log-file", "watch.log"], {
      cwd: p.dir,
      env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      const out = lines(child);
      expect(await out.waitFor(/^watching /, "the ready line")).toMatch(/^watching 1 file \(1 option\) → http:\/\/127\.0\.0\.1:\d+ \(SuperOffice 10\.2\.4–10\.2\.9 API \(options saved one by one\)\); .*Ctrl-C to stop$/);
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(true);

      p.write("workflows/onboarding.ts", flowFile(679, 844, [{ key: "vip", name: "VIP and key accounts" }]));
      const line = await out.waitFor(/applied 1 change .*save→applied/, "the save applied");
      expect(line).toMatch(/^\d\d:\d\d:\d\d applied 1 change in \d+(\.\d)? m?s \(save→applied \d+(\.\d)? m?s\): ~ 679\/844\/vip \(workflows\/onboarding\.ts:\d+:\d+\)$/);
      expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP and key accounts");

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out.text()).toContain("watch stopped; state saved");
      const state = JSON.parse(p.read(".wfsync/state.json")) as { entries: Record<string, { option: { name: string } }> };
      expect(state.entries["679/844/vip"]?.option.name).toBe("VIP and key accounts");
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(false);
      expect(fs.existsSync(p.path(".wfsync/state.json.journal"))).toBe(false);
      const log = p
        .read("watch.log")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event?: string; applied?: string[] });
      expect(log.filter((r) => r.event === "run").map((r) => r.applied)).toContainEqual(["update 679/844/vip"]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("survives a workflow file that rejects a promise nothing handles: an error of that file, and the next save applies", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP" }]) });
    const { child, exited } = spawnWatch(p.dir, emu.url);
    try {
      const out = lines(child);
      await out.waitFor(/^watching /, "the ready line");
      const good = flowFile(679, 844, [{ key: "vip", name: "VIP renamed" }]);
      p.write("workflows/onboarding.ts", `${good}void Promise.reject(new Error("rejected later"));\nvoid (async () => { await null; throw new Error("thrown later"); })();\n`);
      await out.waitFor(/E_UNHANDLED_REJECTION/, "the rejection reported");
      expect(out.text()).toContain("left a rejected promise that nothing handled: Error: rejected later");
      expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP");

      p.write("workflows/onboarding.ts", good);
      await out.waitFor(/applied 1 change .*~ 679\/844\/vip/, "the fixed save applied");
      expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP renamed");
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  // Waits on the child's CPU time (Linux /proc) to know the endless loop is running.
  it.skipIf(process.platform !== "linux")("stops on SIGTERM while a workflow file is stuck in an endless loop, without waiting for the evaluation limit", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP" }]) });
    const { child, exited } = spawnWatch(p.dir, emu.url);
    try {
      const out = lines(child);
      await out.waitFor(/^watching /, "the ready line");
      const before = cpuTicks(child.pid!);
      const spin = `const spin = (): void => {\n  for (;;) {}\n};\nif (Date.now() > 0) spin();\n`;
      p.write("workflows/onboarding.ts", `${spin}${flowFile(679, 844, [{ key: "vip", name: "VIP renamed" }])}`);
      // A second of CPU beyond what compiling this small file takes: the loop is running.
      await until(() => cpuTicks(child.pid!) - before > 100, "the endless loop to run");
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(out.text()).toContain("watch stopped; state saved");
      // It stopped the evaluation instead of letting it run into its 30 s limit first.
      expect(out.text()).not.toContain("did not finish within");
      expect(out.text()).toContain("the evaluation was stopped (wfsync is shutting down)");
      expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP");
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(false);
      expect(fs.existsSync(p.path(".wfsync/state.json.journal"))).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses to start while another wfsync holds the state lock", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP" }]) });
    const run = (args: string[]) => spawn(process.execPath, [BIN, ...args, "--url", emu.url], { cwd: p.dir, env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS }, stdio: ["ignore", "pipe", "pipe"] });
    const first = run(["watch"]);
    try {
      await lines(first).waitFor(/^watching /, "the first daemon");
      const second = run(["watch"]);
      const out = lines(second);
      const code = await new Promise<number | null>((resolve) => second.on("close", resolve));
      expect(code).toBe(1);
      expect(out.text()).toMatch(/lock|locked/i);
    } finally {
      first.kill("SIGTERM");
      await new Promise((resolve) => first.on("close", resolve));
    }
  });
});

/** `wfsync watch` in `dir` against `url`, with only PATH and the emulator's credentials. */
function spawnWatch(dir: string, url: string): { child: ReturnType<typeof spawn>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, "watch", "--url", url], { cwd: dir, env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS }, stdio: ["ignore", "pipe", "pipe"] });
  return { child, exited: new Promise((resolve) => child.on("close", (code) => resolve(code))) };
}
