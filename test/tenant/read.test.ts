import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/client/errors.js";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { createTenantQueue, type TenantQueue } from "../../src/tenant/queue.js";
import { perOptionTenant } from "../../src/tenant/tenant.js";

const directQueue = { run: (task: (attempt: number) => Promise<unknown>) => task(1) } as unknown as TenantQueue;

describe("readSplits (10.2 adapter)", () => {
  it("reads each split once and converts its options", async () => {
    const calls: number[] = [];
    const api = {
      getWorkflowStep: async (id: number) => {
        calls.push(id);
        return { WorkflowStepId: id, StepType: "Split", Options: [{ WorkflowStepOptionId: 7, Key: "a", Name: "A", Rank: 1, Steps: [] }] };
      },
    } as unknown as WorkflowApi;
    const { live, missing } = await perOptionTenant("http://x", api, directQueue).readSplits(["1/20", "1/10", "1/20"]);
    expect(calls.sort()).toEqual([10, 20]);
    expect(missing).toEqual([]);
    expect(live.get("1/10")?.[0]).toMatchObject({ id: 7, option: { key: "a", workflowId: 1, workflowStepId: 10 } });
  });

  it("fails only once every read has settled, with the first failure", async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let slowDone = false;
    const api = {
      getWorkflowStep: async (id: number) => {
        if (id === 1) throw new Error("401: refused");
        await slow;
        slowDone = true;
        return null;
      },
    } as unknown as WorkflowApi;
    const outcome = perOptionTenant("http://x", api, directQueue).readSplits(["9/1", "9/2"]).then(
      () => "resolved",
      (err: Error) => `${err.message}; slow read settled: ${slowDone}`,
    );
    await new Promise((r) => setImmediate(r));
    release();
    // Had it rejected at the first failure, the caller would close the pool under the slow read.
    expect(await outcome).toBe("401: refused; slow read settled: true");
  });

  it("reports the refused credentials, not a read they kept from being sent", async () => {
    // Split 1 sorts first and backs off after a 500; split 2 is refused meanwhile.
    const queue = createTenantQueue({ concurrency: 1, baseDelayMs: 60_000, random: () => 1 });
    const api = {
      getWorkflowStep: async (id: number) => {
        throw new ApiError({ kind: id === 1 ? "server" : "auth", method: "GetWorkflowStep", status: id === 1 ? 500 : 401, message: `fake ${id}`, outcomeUnknown: false });
      },
    } as unknown as WorkflowApi;
    await expect(perOptionTenant("http://x", api, queue).readSplits(["9/1", "9/2"])).rejects.toMatchObject({ code: "E_API_AUTH", message: "fake 2" });
  });
});

describe("readSplits with an option of a step type wfsync does not know", () => {
  it("reads the split anyway: the option comes back unreadable, by id, Key, name and rank", async () => {
    const api = {
      getWorkflowStep: async (id: number) => ({
        WorkflowStepId: id,
        StepType: "Split",
        Options: [
          { WorkflowStepOptionId: 7, Key: "a", Name: "A", Rank: 1, Steps: [] },
          { WorkflowStepOptionId: 8, Key: "alien", Name: "Alien", Rank: 2, Steps: [{ StepType: "PostCard" }] },
        ],
      }),
    } as unknown as WorkflowApi;
    const { live } = await perOptionTenant("http://x", api, directQueue).readSplits(["1/10"]);
    const [a, alien] = live.get("1/10")!;
    expect(a!.unreadable).toBeUndefined();
    expect(alien).toMatchObject({ id: 8, option: { key: "alien", name: "Alien", rank: 2, steps: [], workflowId: 1, workflowStepId: 10 } });
    expect(alien!.unreadable).toContain('unknown StepType "PostCard"');
  });
});
