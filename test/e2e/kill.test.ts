/**
 * `wfsync apply` killed with SIGKILL at several moments of a long apply (early, half-way, near
 * the end), then run again: no option is created twice, the state names exactly what the
 * server has, and a plan afterwards is empty (the README's "never creates an option twice").
 */
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { startCli } from "../helpers/cli.js";
import { duplicateKeys, expectStateMatchesServer, manyOptions, startEngine, workflowFile, type Engine } from "./harness.js";

const PER_SPLIT = 50;
const TOTAL = 4 * PER_SPLIT;

/** Resolves once `ready()` holds, checking every few milliseconds. */
async function until(ready: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const saves = (engine: Engine): number => engine.emu.counters().byMethod.SaveWorkflowStepOption ?? 0;

describe("SIGKILL during apply", () => {
  it("converges without duplicates after kills early, half-way and near the end", { timeout: 90_000 }, async () => {
    const engine = await startEngine({
      files: {
        "workflows/onboarding.ts": workflowFile(679, { 844: manyOptions(PER_SPLIT, "on") }),
        "workflows/webinar.ts": workflowFile(702, { 910: manyOptions(PER_SPLIT, "web") }),
        "workflows/reengagement.ts": workflowFile(733, { 951: manyOptions(PER_SPLIT, "re"), 953: manyOptions(PER_SPLIT, "again") }),
      },
      config: { concurrency: 4, rate: 1000 },
      emulator: { latency: 30 },
    });

    const killedAt: number[] = [];
    for (const threshold of [1, TOTAL / 2, TOTAL - 10]) {
      const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
      let exited = false;
      void run.done.then(() => (exited = true));
      await until(() => saves(engine) >= threshold || exited, `${threshold} saves`);
      expect(exited, `apply finished before ${threshold} saves: ${(await Promise.race([run.done, sleep(0)]))?.stderr ?? ""}`).toBe(false);
      run.child.kill("SIGKILL");
      expect((await run.done).signal).toBe("SIGKILL");
      killedAt.push(saves(engine));
      // Requests the dead process left in flight still finish on the server; a real tenant would
      // finish them too before anyone could rerun.
      await until(() => engine.emu.counters().inFlight === 0, "the killed apply's requests to finish");
      expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    }
    expect(killedAt[0]).toBeLessThan(killedAt[1]!);
    expect(killedAt[1]).toBeLessThan(killedAt[2]!);
    expect(engine.serverOptions().length).toBeLessThan(TOTAL);

    const last = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir }).done;
    // The last killed apply left its lock behind: taken over, and said so (nothing else).
    expect(last.stderr).toMatch(/^\S+ WARN {2}Took over a stale state lock left by "wfsync apply" \(pid \d+, no longer running\)[^\n]*\n$/);
    expect(last.code).toBe(0);

    const server = engine.serverOptions();
    expect(duplicateKeys(server)).toEqual([]);
    expect(server).toHaveLength(TOTAL);
    // Creates are sent at most once per option, plus at most the ones the kills cut off.
    expect(saves(engine)).toBeLessThanOrEqual(TOTAL + 3 * 4);
    const entries = await engine.stateEntries();
    expect(entries.size).toBe(TOTAL);
    expectStateMatchesServer(entries, server);
    await engine.expectConverged();
  });
});

describe("SIGINT during apply", () => {
  it("stops sending, lets requests in flight finish and records them, exits 130; a rerun finishes", { timeout: 60_000 }, async () => {
    const engine = await startEngine({
      files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(30) }) },
      config: { concurrency: 2, rate: 1000 },
      emulator: { latency: 50 },
    });
    const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(() => saves(engine) >= 4, "4 saves");
    run.child.kill("SIGINT");
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    expect(done.stdout).toMatch(/\d+ changes? not sent: apply was stopped/);
    expect(engine.emu.counters().inFlight).toBe(0);
    const server = engine.serverOptions();
    expect(server.length).toBeLessThan(30);
    const entries = await engine.stateEntries();
    expect(entries.size).toBe(server.length); // every request that reached the server is recorded
    expectStateMatchesServer(entries, server);

    engine.emu.setFaults({ latency: 0 });
    const { plan } = await engine.apply();
    expect(plan.summary.create).toBe(30 - server.length);
    await engine.expectConverged();
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
  });
});

describe("a double Ctrl-C during apply", () => {
  it("quits at once, leaves no lock and no temp file, and a rerun finishes without taking over a stale lock", { timeout: 60_000 }, async () => {
    const engine = await startEngine({
      files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(30) }) },
      config: { concurrency: 2, rate: 1000 },
      emulator: { latency: 50 },
    });
    const run = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    await until(() => saves(engine) >= 4, "4 saves");
    run.child.kill("SIGINT");
    await until(() => run.output().includes("Ctrl-C again"), "the first Ctrl-C noted");
    run.child.kill("SIGINT");
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    const left = fs.readdirSync(engine.project.path(".wfsync")).filter((f) => f.endsWith(".lock") || f.endsWith(".tmp") || f.endsWith(".stale"));
    expect(left).toEqual([]);

    // The journal of the quit run is the state: every option that reached the server is in it.
    const entries = await engine.stateEntries();
    const server = engine.serverOptions();
    expectStateMatchesServer(entries, server);
    const rerun = startCli(["apply", "--auto-approve"], { cwd: engine.project.dir });
    const second = await rerun.done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/stale state lock/);
    await engine.expectConverged();
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
  });
});
