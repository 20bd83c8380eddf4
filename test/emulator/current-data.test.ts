/** The 12 profile's admin routes (drift as whole-flow edits), seeds, and the --data file. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { parseFlowSeed, startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { admin, call, start, stopAll, type Json } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wfsync-emulator-12-"));
});
afterEach(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

async function getFlow(emu: RunningEmulator, emailFlowId: number): Promise<Json> {
  return (await call(emu, "GetEmailFlow", { query: `emailFlowId=${emailFlowId}` })).json as Json;
}

/** A seed with a typed split, options of a kind (one with a Key the 12 profile drops), a trigger. */
const SEED = {
  workflows: [
    {
      workflowId: 5,
      emailFlowId: 50,
      name: "Seeded",
      description: "from the seed",
      triggers: [{ workflowTriggerId: 1, triggerType: "AddedToSelection" }],
      steps: [
        {
          workflowStepId: 100,
          stepType: "Split",
          splitOptionType: "SelectionMembership",
          options: [
            { key: "vip", name: "VIP", rank: 1, optionType: "SelectionMembership", selectionId: 12, steps: [{ stepType: "AddToList", selection: 12 }] },
            { name: "Others", rank: 2 },
          ],
        },
        { workflowStepId: 101, stepType: "DistributeToOwner", associates: [3] },
      ],
    },
  ],
};

describe("api 12: admin routes", () => {
  it("drifts an option by a whole-flow edit: ids kept, UpdatedDate moved, not counted", async () => {
    const emu = await start({ api: "12", seed: SEED });
    const before = await getFlow(emu, 50);
    const vip = before.Steps[0].Options[0] as Json;
    const drifted = await admin(emu, "POST", `/options/${vip.WorkflowStepOptionId}`, { name: "VIP (edited in the UI)", SelectionId: 13 });
    expect(drifted.status).toBe(200);
    expect(drifted.json).toMatchObject({ WorkflowStepOptionId: vip.WorkflowStepOptionId, Name: "VIP (edited in the UI)", SelectionId: 13, OptionType: "SelectionMembership" });
    const after = await getFlow(emu, 50);
    expect(after.Steps[0].Options[0].Steps).toEqual(vip.Steps);
    expect(after.UpdatedDate).not.toBe(before.UpdatedDate);
    expect((await admin(emu, "GET", `/options/${vip.WorkflowStepOptionId}`)).json).toEqual(after.Steps[0].Options[0]);
    expect(emu.counters().byMethod.SaveEmailFlow).toBeUndefined();

    const refused = await admin(emu, "POST", `/options/${vip.WorkflowStepOptionId}`, { OptionType: "ProjectMembership" });
    expect(refused.status).toBe(400);
    expect((refused.json as Json).error).toMatch(/^SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE/);
    expect((await admin(emu, "POST", "/options/9999", { Name: "x" })).status).toBe(404);
  });

  it("creates and deletes options out of band, and edits unmanaged flow content", async () => {
    const emu = await start({ api: "12" });
    const created = await admin(emu, "POST", "/options", { WorkflowId: 679, WorkflowStepId: 844, Name: "Made in the UI", Rank: 1, Steps: [{ StepType: "SendSMS", Text: "Hi" }] });
    expect(created.status).toBe(200);
    const id = (created.json as Json).WorkflowStepOptionId as number;
    expect(created.json).toMatchObject({ OptionType: "None", WorkflowStepId: 844, WorkflowId: 679, Name: "Made in the UI" });
    expect(emu.data().options).toEqual([expect.objectContaining({ WorkflowStepOptionId: id, Key: "", OptionType: "None" })]);
    expect((await admin(emu, "POST", "/options", { WorkflowId: 702, WorkflowStepId: 844, Name: "x" })).status).toBe(400);
    expect((await admin(emu, "POST", "/options", { WorkflowStepId: 845, Name: "x" })).status).toBe(400);

    const renamed = await admin(emu, "POST", "/flows/12", { Name: "Renamed in the UI" });
    expect(renamed.status).toBe(200);
    expect((renamed.json as Json).Steps[0].Options[0].WorkflowStepOptionId).toBe(id);
    await admin(emu, "POST", "/flows/12", { triggers: [{ workflowTriggerId: 4, triggerType: "PersonCreated" }] });
    const flow = (await admin(emu, "GET", "/flows/12")).json as Json;
    expect(flow).toMatchObject({ Name: "Renamed in the UI", Triggers: [{ WorkflowTriggerId: 4, TriggerType: "PersonCreated" }] });
    expect(flow).toEqual(await getFlow(emu, 12));
    expect((await admin(emu, "GET", "/flows/4242")).status).toBe(404);

    expect((await admin(emu, "DELETE", `/options/${id}`)).status).toBe(204);
    expect((await admin(emu, "DELETE", `/options/${id}`)).status).toBe(404);
    expect((await getFlow(emu, 12)).Steps[0].Options).toEqual([]);

    const routes = ((await admin(emu, "GET", "/")).json as Json).routes as string[];
    expect(routes).toContain("POST /__emulator/flows/<emailFlowId>");
    expect((await admin(emu, "POST", "/reset")).json).toEqual({ reset: true, options: 0 });
    expect((await getFlow(emu, 12)).Name).toBe("Onboarding");
  });

  it("on 10.2 reads flows but changes them only through options", async () => {
    const emu = await start();
    expect(((await admin(emu, "GET", "/flows/12")).json as Json).WorkflowId).toBe(679);
    expect((await admin(emu, "POST", "/flows/12", { Name: "x" })).status).toBe(404);
  });
});

describe("api 12: seeds", () => {
  it("takes split and option kinds, drops option keys, keeps other flow fields", async () => {
    const emu = await start({ api: "12", seed: SEED });
    const flow = await getFlow(emu, 50);
    expect(flow).toMatchObject({ EmailFlowId: 50, Name: "Seeded", Description: "from the seed", Triggers: [{ WorkflowTriggerId: 1, TriggerType: "AddedToSelection" }] });
    expect(flow.Steps[0]).toMatchObject({ WorkflowStepId: 100, WorkflowId: 5, SplitOptionType: "SelectionMembership" });
    expect(flow.Steps[0].Options.map((o: Json) => [o.Name, o.OptionType, o.SelectionId, "Key" in o])).toEqual([
      ["VIP", "SelectionMembership", 12, false],
      ["Others", "None", undefined, false],
    ]);
    expect(flow.Steps[1]).toMatchObject({ WorkflowStepId: 101, StepType: "DistributeToOwner", Associates: [3], OnlyToUnassigned: false });
    expect(emu.workflows().map((w) => w.WorkflowId)).toEqual([5]);
  });

  it("refuses a seed that a 12.x server would refuse, every problem at once", () => {
    const bad = {
      workflows: [
        {
          workflowId: 1,
          steps: [
            { workflowStepId: 2, stepType: "Split", splitOptionType: "ProjectMembership", options: [{ name: "x", optionType: "SelectionMembership" }] },
            { workflowStepId: 3, stepType: "UpdateContact" },
          ],
        },
      ],
    };
    try {
      parseFlowSeed(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(WfsyncError);
      const detail = (err as WfsyncError).detail ?? "";
      expect(detail).toContain("SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE");
      expect(detail).toContain('unknown StepType "UpdateContact"');
    }
  });
});

describe("api 12: --data file", () => {
  it("keeps flows, options and id counters across a restart; a file of the other generation is refused", async () => {
    const dataFile = join(dir, "data.json");
    const first = await startEmulator({ port: 0, env: {}, api: "12", dataFile });
    const flow = await getFlow(first, 12);
    flow.Steps[0].Options = [{ Name: "A", Rank: 1, Steps: [{ StepType: "SendEmail", ShipmentId: 1 }] }, { Name: "B", Rank: 2 }];
    flow.Goals = [{ WorkflowGoalId: 1, GoalType: "SaleSold" }];
    const saved = (await call(first, "SaveEmailFlow", { body: flow })).json as Json;
    saved.Steps[0].Options.pop();
    await call(first, "SaveEmailFlow", { body: saved });
    const answered = await getFlow(first, 12);
    await first.close();

    const onDisk = JSON.parse(await readFile(dataFile, "utf8")) as Json;
    expect(onDisk).toMatchObject({ version: 1, api: "12" });
    expect(onDisk.options).toHaveLength(1);

    const second = await start({ api: "12", dataFile });
    expect(second.dataSource).toBe("data file");
    expect(await getFlow(second, 12)).toEqual(answered);
    const more = (await call(second, "SaveEmailFlow", { body: { ...answered, Steps: [{ ...answered.Steps[0], Options: [...answered.Steps[0].Options, { Name: "C" }] }, answered.Steps[1]] } })).json as Json;
    const c = (more.Steps[0].Options as Json[]).find((o) => o.Name === "C")!;
    expect(c.WorkflowStepOptionId).toBeGreaterThan(saved.Steps[0].Options[0].WorkflowStepOptionId + 1); // B's id is not handed out again
    await second.close();

    await expect(startEmulator({ port: 0, env: {}, dataFile })).rejects.toMatchObject({ code: "E_EMULATOR_DATA" });
    const legacyFile = join(dir, "legacy.json");
    await writeFile(legacyFile, JSON.stringify({ version: 1, nextOptionId: 1, nextStepId: 1000, workflows: [], options: [] }));
    await expect(startEmulator({ port: 0, env: {}, api: "12", dataFile: legacyFile })).rejects.toThrow(/API generation 10\.2, not 12/);
  });
});
