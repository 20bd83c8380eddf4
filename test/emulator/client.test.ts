/**
 * Conformance with the official client @superoffice/webapi 10.2.9: what it sends (camelCase,
 * and camelCase + PascalCase duplicates when saving back an object it read) must bind, and what
 * the emulator answers must convert.
 */
import { describe, expect, it } from "vitest";
import { WorkflowAgent } from "@superoffice/webapi";
import { start, type Json } from "./helpers.js";

function agentFor(url: string, username = "wfsync", password = "wfsync"): WorkflowAgent {
  // The client shares one axios instance process-wide, but sends each agent's axiosConfig
  // (and so its credentials) with every request.
  return new WorkflowAgent({ baseUrl: url, axiosConfig: { auth: { username, password } } });
}

describe("official client @superoffice/webapi", () => {
  it("create-default, save, get, save what it read, delete, get → null", async () => {
    const emu = await start();
    const agent = agentFor(emu.url);

    const blank = (await agent.createDefaultWorkflowStepOptionAsync()) as Json;
    expect(blank.workflowStepOptionId).toBe(0);
    expect(blank.steps).toEqual([]);
    expect(blank.tableRight).toBeTruthy();

    blank.workflowStepId = 844;
    blank.workflowId = 679;
    blank.key = "vip";
    blank.name = "VIP customers";
    blank.rank = 1;
    blank.steps = [
      { stepType: "AddToList", selection: 12, project: 3 },
      { stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", numIntervals: 2, intervalType: "Days" },
      { stepType: "Split", options: [{ key: "a", name: "Path A", rank: 1, steps: [{ stepType: "SendEmail", subject: "Hi", shipmentId: 4 }] }] },
    ];
    const saved = (await agent.saveWorkflowStepOptionAsync(blank)) as Json;
    expect(saved.workflowStepOptionId).toBeGreaterThan(0);
    expect(saved.workflowStepId).toBe(844);
    expect(saved.key).toBe("vip");
    expect(saved.steps.map((s: Json) => s.stepType)).toEqual(["AddToList", "WaitForTime", "Split"]);
    expect(saved.steps.map((s: Json) => s.rank)).toEqual([1, 2, 3]);
    expect(saved.steps[0].selection).toBe(12);
    expect(saved.steps[1].intervalType).toBe("Days");
    const nested = saved.steps[2].options[0] as Json;
    expect(nested.workflowStepOptionId).toBeGreaterThan(0);
    expect(nested.workflowStepId).toBe(saved.steps[2].workflowStepId);
    expect(nested.steps[0].subject).toBe("Hi");
    expect(nested.steps[0].attachments).toEqual([]);

    const read = (await agent.getWorkflowStepOptionAsync(saved.workflowStepOptionId)) as Json;
    expect(read.name).toBe("VIP customers");
    expect(read.steps[0].workflowStepId).toBe(saved.steps[0].workflowStepId);
    // Steps the client read carry both StepType and stepType, Selection and selection, ...
    expect(read.steps[0].StepType).toBe("AddToList");
    expect(read.steps[0].stepType).toBe("AddToList");

    read.name = "VIP customers (renamed)";
    read.steps[0].selection = 13;
    const resaved = (await agent.saveWorkflowStepOptionAsync(read)) as Json;
    expect(resaved.workflowStepOptionId).toBe(saved.workflowStepOptionId);
    expect(resaved.name).toBe("VIP customers (renamed)");
    expect(resaved.steps[0].selection).toBe(13);
    expect(resaved.steps.map((s: Json) => s.workflowStepId)).toEqual(saved.steps.map((s: Json) => s.workflowStepId));
    expect(resaved.steps[2].options[0].workflowStepOptionId).toBe(nested.workflowStepOptionId);

    await agent.deleteWorkflowStepOptionAsync(saved.workflowStepOptionId);
    expect(await agent.getWorkflowStepOptionAsync(saved.workflowStepOptionId)).toBeNull();
  });

  it("lists a split's options with GetWorkflowStep and reads flows with GetEmailFlow", async () => {
    const emu = await start();
    const agent = agentFor(emu.url);
    const option = (await agent.createDefaultWorkflowStepOptionAsync()) as Json;
    Object.assign(option, { workflowStepId: 951, workflowId: 733, key: "k", name: "N", rank: 2, steps: [] });
    const saved = (await agent.saveWorkflowStepOptionAsync(option)) as Json;

    const split = (await agent.getWorkflowStepAsync(951)) as Json;
    expect(split.stepType).toBe("Split");
    expect(split.options.map((o: Json) => o.workflowStepOptionId)).toEqual([saved.workflowStepOptionId]);

    const flow = (await agent.getEmailFlowAsync(18)) as Json;
    expect(flow.emailFlowId).toBe(18);
    expect(flow.name).toBe("Re-engagement");
    expect(flow.steps.map((s: Json) => s.workflowStepId)).toEqual([951, 952, 953]);
    expect(flow.steps[0].options[0].key).toBe("k");
    expect(flow.steps[2].options).toEqual([]);

    const step = (await agent.createDefaultWorkflowStepFromTypeAsync("WaitForTime" as never)) as Json;
    expect(step.stepType).toBe("WaitForTime");
    expect(step.numIntervals).toBe(0);
    expect(step.intervalType).toBe("None");
  });

  it("is refused with wrong credentials", async () => {
    const emu = await start();
    await expect(agentFor(emu.url, "wfsync", "nope").createDefaultWorkflowStepOptionAsync()).rejects.toMatchObject({
      response: { status: 401 },
    });
  });
});
