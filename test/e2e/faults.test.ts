/**
 * Apply against a server that throttles, fails and loses answers: nothing lost, nothing created
 * twice, no request before a Retry-After has passed, never more requests in flight than allowed.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { applyPlan, type ApplyResult, type StateJournal } from "../../src/apply/apply.js";
import type { QueueEvent } from "../../src/tenant/queue.js";
import { planWorkspace } from "../../src/workspace/workspace.js";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { runCli, startCli } from "../helpers/cli.js";
import {
  admin,
  clock,
  duplicateKeys,
  expectApplied,
  expectStateMatchesServer,
  manyOptions,
  seededRandom,
  startProxy,
  startEngine,
  workflowFile,
  type Engine,
} from "./harness.js";

/** 2 × `half` options on the demo seed's splits 844 and 910. */
function files(half: number, prefix = "o"): Record<string, string> {
  return {
    "workflows/a.ts": workflowFile(679, { 844: manyOptions(half, prefix) }),
    "workflows/b.ts": workflowFile(702, { 910: manyOptions(half, prefix) }),
  };
}

async function expectClean(engine: Engine, options: number): Promise<void> {
  await engine.expectConverged();
  const server = engine.serverOptions();
  expect(duplicateKeys(server)).toEqual([]);
  expect(server).toHaveLength(options);
  const entries = await engine.stateEntries();
  expect(entries.size).toBe(options);
  expectStateMatchesServer(entries, server);
}

/** When each request to the server started, and when each failed answer arrived (queue's clock). */
interface Timeline {
  starts: number[];
  failedAt: Map<unknown, number>;
}

function recordTimeline(timeline: Timeline) {
  return (api: WorkflowApi): WorkflowApi => {
    const timed =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        timeline.starts.push(clock());
        try {
          return await fn(...args);
        } catch (err) {
          timeline.failedAt.set(err, clock());
          throw err;
        }
      };
    return {
      getWorkflowStep: timed(api.getWorkflowStep),
      getWorkflowStepOption: timed(api.getWorkflowStepOption),
      saveWorkflowStepOption: timed(api.saveWorkflowStepOption),
      deleteWorkflowStepOption: timed(api.deleteWorkflowStepOption),
      createDefaultWorkflowStepOption: timed(api.createDefaultWorkflowStepOption),
      getEmailFlow: timed(api.getEmailFlow),
      saveEmailFlow: timed(api.saveEmailFlow),
      getArchiveList: timed(api.getArchiveList),
    };
  };
}

describe("throttling (429 with Retry-After)", () => {
  it("pauses every request until Retry-After has passed, loses nothing and converges", { timeout: 60_000 }, async () => {
    const timeline: Timeline = { starts: [], failedAt: new Map() };
    const engine = await startEngine({
      files: files(20),
      config: { concurrency: 4, rate: 1000 },
      emulator: { rateLimit: 20 },
      wrapApi: recordTimeline(timeline),
    });
    const { result } = await engine.apply();
    expectApplied(result);
    expect(engine.emu.counters().rateLimited).toBeGreaterThan(0);

    const throttled = engine.events.filter((e): e is { at: number; event: Extract<QueueEvent, { type: "throttled" }> } => e.event.type === "throttled");
    expect(throttled.length).toBeGreaterThan(0);
    for (const { at, event } of throttled) {
      const retryAfterMs = event.error.retryAfterMs!;
      expect(retryAfterMs).toBeGreaterThanOrEqual(1000); // the emulator's Retry-After, whole seconds
      // The pause lasts at least Retry-After from the moment the 429 arrived …
      expect(event.untilMs).toBeGreaterThanOrEqual(timeline.failedAt.get(event.error)! + retryAfterMs);
      // … and from the moment the queue knew of it, no request to the server started inside it.
      const early = timeline.starts.filter((t) => t >= at && t < event.untilMs);
      expect(early, `requests started ${early.map((t) => `${Math.round(event.untilMs - t)} ms`).join(", ")} before the pause ended`).toEqual([]);
    }
    await expectClean(engine, 40);
  });
});

describe("server faults", () => {
  it("retries 5xx answers (fail rate 0.3) to convergence without duplicates", { timeout: 60_000 }, async () => {
    const engine = await startEngine({
      files: files(15),
      config: { maxRetries: 12 },
      emulator: { failRate: 0.3, random: seededRandom(7) },
      session: { queueTimings: { baseDelayMs: 5, maxDelayMs: 50, defaultRetryAfterMs: 20 } },
    });
    expectApplied((await engine.apply()).result);
    expect(engine.emu.counters().injectedFailures).toBeGreaterThan(0);
    await expectClean(engine, 30);

    // Updates and deletes under the same faults.
    engine.write("workflows/a.ts", workflowFile(679, { 844: manyOptions(15).map((o, i) => (i < 10 ? { ...o, name: `Renamed ${i}` } : o)) }));
    engine.write("workflows/b.ts", workflowFile(702, { 910: manyOptions(12) }));
    const { plan, result } = await engine.apply();
    expect(plan.summary).toMatchObject({ update: 10, delete: 3 });
    expectApplied(result);
    await expectClean(engine, 27);
  });

  it("never creates twice when the server acts but its answer is lost", { timeout: 60_000 }, async () => {
    let lost = 0;
    const engine = await startEngine({
      files: files(8),
      config: { maxRetries: 10 },
      session: { queueTimings: { baseDelayMs: 5, maxDelayMs: 50 } },
      // Every third write reaches the emulator, which acts on it, but its answer never comes back.
      via: (url) => {
        let writes = 0;
        return startProxy(url, { loseAnswer: (path) => /(Save|Delete)WorkflowStepOption/i.test(path) && writes++ % 3 === 1 && ++lost > 0 });
      },
    });
    expectApplied((await engine.apply()).result);
    expect(lost).toBeGreaterThan(0);
    await expectClean(engine, 16);

    engine.write("workflows/a.ts", workflowFile(679, { 844: manyOptions(8).map((o) => ({ ...o, name: `Renamed ${o.key}` })) }));
    engine.write("workflows/b.ts", workflowFile(702, { 910: manyOptions(5) }));
    expectApplied((await engine.apply()).result);
    await expectClean(engine, 13);
  });
});

describe("concurrency", () => {
  it("never has more requests in flight than --concurrency", { timeout: 60_000 }, async () => {
    const engine = await startEngine({ files: files(15), config: { concurrency: 8 }, emulator: { latency: 20 } });
    const run = await startCli(["apply", "--auto-approve", "--concurrency", "3"], { cwd: engine.project.dir }).done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { maxInFlight, byMethod } = engine.emu.counters();
    expect(byMethod.SaveWorkflowStepOption).toBe(30);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThanOrEqual(2); // the limit was used, not just respected by going one at a time
    await expectClean(engine, 30);
  });
});

describe("credentials revoked mid-apply", () => {
  /** Revokes the emulator's password (admin route) just before the `nth` save reaches it. */
  const revokeAt = (nth: number) => (url: string) => {
    let saves = 0;
    return startProxy(url, {
      beforeForward: async (path) => {
        if (/SaveWorkflowStepOption/i.test(path) && ++saves === nth) await admin({ url }, "POST", "/credentials", { username: "wfsync", password: "revoked" });
      },
    });
  };

  it("stops at the first 401: only requests already in flight reach the server after it", { timeout: 60_000 }, async () => {
    const concurrency = 3;
    const engine = await startEngine({ files: files(20), config: { concurrency }, via: revokeAt(6) });
    const { result } = await engine.apply();
    const { unauthorized, byMethod } = engine.emu.counters();
    // Requests answered 401: the first one and those in flight with it, never one started after it.
    expect(unauthorized).toBeGreaterThanOrEqual(1);
    expect(unauthorized).toBeLessThanOrEqual(concurrency);
    expect(byMethod.SaveWorkflowStepOption).toBeLessThanOrEqual(5 + concurrency);
    expect(result.failed.map((f) => (f.error as { code?: string }).code)).toEqual(Array(unauthorized).fill("E_API_AUTH"));
    expect(result.applied.length + result.failed.length + result.cancelled.length).toBe(40);
    expect(result.cancelled.length).toBe(40 - byMethod.SaveWorkflowStepOption!);
    expect(result.stopped).toMatchObject({ code: "E_API_AUTH" });
    expect(result.stopped?.message).toBe(`${result.cancelled.length} changes not sent: the server refused the credentials; nothing more was sent with them.`);

    // This connection sends nothing more. Valid credentials again, the next apply (a new
    // process, a new connection) finishes the job, exactly once.
    await expect(engine.plan()).rejects.toMatchObject({ code: "E_NOT_SENT" });
    engine.emu.setCredentials({});
    expect(await runCli(["apply", "--auto-approve"], { cwd: engine.project.dir })).toMatchObject({ code: 0, stderr: "" });
    expect((await runCli(["plan", "--detailed-exitcode"], { cwd: engine.project.dir })).code).toBe(0);
    const server = engine.serverOptions();
    expect(duplicateKeys(server)).toEqual([]);
    expect(server).toHaveLength(40);
    expectStateMatchesServer(await engine.stateEntries(), server);
  });

  it("apply says once why the rest was not sent, and exits 1", { timeout: 60_000 }, async () => {
    const engine = await startEngine({ files: files(10), config: { concurrency: 2 }, via: revokeAt(3) });
    const run = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir }).done;
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed: create 679\/844\/o\d+ \(workflows\/a\.ts:\d+:\d+\): error E_API_AUTH: The server refused the credentials from WFSYNC_USERNAME\/WFSYNC_PASSWORD/);
    expect(run.stdout).toMatch(/^error E_API_AUTH: \d+ changes not sent: the server refused the credentials; nothing more was sent with them\.$/m);
    expect(run.stdout).toContain("Lockout policies punish repeated failures");
    expect(run.stdout).not.toContain("apply was stopped");
    expect(engine.emu.counters().unauthorized).toBeLessThanOrEqual(2);
    expect(run.stderr).toBe("");
  });
});

describe("a state that cannot be written (disk full)", () => {
  it.runIf(fs.existsSync("/dev/full"))("stops sending at the first failed state write, says so once, and the next run adopts what was applied", { timeout: 60_000 }, async () => {
    let saves = 0;
    const engine = await startEngine({
      files: files(15),
      config: { concurrency: 3 },
      wrapApi: (api) => ({ ...api, saveWorkflowStepOption: (o) => (saves++, api.saveWorkflowStepOption(o)) }),
    });
    const { session } = engine;
    const { plan, state } = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply" });
    const journal = `${session.config.state}.journal`;
    fs.symlinkSync("/dev/full", journal); // every write of the journal: ENOSPC
    let savesAtFailure: number | undefined;
    const watched: StateJournal = {
      record: (address, entry) =>
        state.record(address, entry).catch((err: unknown) => {
          savesAtFailure ??= saves;
          throw err;
        }),
      remove: (address) => state.remove(address),
    };
    let result: ApplyResult;
    try {
      result = await applyPlan(plan, { tenant: session.tenant, state: watched });
    } finally {
      fs.rmSync(journal); // space again
      await state.close();
    }
    // No save starts once the failure is known; the one slot the failing save freed may have
    // admitted one more in the same tick, before apply heard of the failure.
    expect(savesAtFailure).toBeDefined();
    expect(saves).toBeLessThanOrEqual(savesAtFailure! + 1);
    expect(result.applied).toEqual([]);
    expect(result.failed.length).toBe(saves);
    expect(result.cancelled.length).toBe(30 - saves);
    const unrecorded = result.failed.map((f) => f.change.address);
    expect(result.failed.every((f) => (f.error as { code?: string }).code === "E_STATE_WRITE")).toBe(true);
    expect(result.stopped?.code).toBe("E_STATE_WRITE");
    const them = unrecorded.length === 1 ? `option just applied (${unrecorded[0]}) is on the server and the next run adopts it` : `options just applied (${unrecorded.join(", ")}) are on the server and the next run adopts them`;
    expect(result.stopped?.message).toBe(`cannot write the state ${journal}: no space left on device; ${30 - saves} changes not sent; the ${them}.`);
    expect(engine.serverOptions()).toHaveLength(saves); // those are on the server, unrecorded

    // The next run adopts them by Key and sends the rest: no duplicates.
    const sent = saves;
    const { plan: next, result: finished } = await engine.apply();
    expect(next.summary.create).toBe(30 - sent);
    expectApplied(finished);
    await expectClean(engine, 30);
  });
});
