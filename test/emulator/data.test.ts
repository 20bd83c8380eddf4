/** Admin routes (drift, reset, data), seeds, and the --data file across restarts. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { parseSeed, startEmulator } from "../../src/emulator/index.js";
import { admin, basic, call, start, stopAll, vipOption, type Json } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wfsync-emulator-"));
});
afterEach(async () => {
  await stopAll(); // their last data-file writes go into `dir`
  await rm(dir, { recursive: true, force: true });
});

describe("admin routes", () => {
  it("drift: a partial option changes the stored one out of band, keeping step ids", async () => {
    const emu = await start();
    const created = (await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).json as Json;
    const id = created.WorkflowStepOptionId as number;
    const drifted = await admin(emu, "POST", `/options/${id}`, { name: "Changed in the UI", rank: 7 });
    expect(drifted.status).toBe(200);
    const got = (await call(emu, "GetWorkflowStepOption", { query: `workflowStepOptionId=${id}` })).json as Json;
    expect(got).toMatchObject({ Name: "Changed in the UI", Rank: 7, Key: "vip" });
    expect(got.Steps).toEqual(created.Steps);
    expect(emu.counters().byMethod.SaveWorkflowStepOption).toBe(1);

    expect((await admin(emu, "POST", "/options/9999", { Name: "x" })).status).toBe(404);
    expect((await admin(emu, "POST", `/options/${id}`, { Steps: [{ StepType: "Nope" }] })).status).toBe(400);
  });

  it("creates, reads and deletes options out of band; lists everything; resets to the seed", async () => {
    const emu = await start();
    const created = (await admin(emu, "POST", "/options", vipOption({ Key: "oob" }))).json as Json;
    expect((await admin(emu, "GET", `/options/${created.WorkflowStepOptionId}`)).json).toMatchObject({ Key: "oob" });
    const data = (await admin(emu, "GET", "/data")).json as Json;
    expect(data.version).toBe(1);
    expect((data.workflows as Json[]).map((w) => w.WorkflowId)).toEqual([679, 702, 733, 801]);
    expect(data.options).toHaveLength(1);

    expect((await admin(emu, "DELETE", `/options/${created.WorkflowStepOptionId}`)).status).toBe(204);
    expect((await admin(emu, "DELETE", `/options/${created.WorkflowStepOptionId}`)).status).toBe(404);

    await admin(emu, "POST", "/options", vipOption());
    expect(emu.data().options).toHaveLength(1);
    expect((await admin(emu, "POST", "/reset")).json).toEqual({ reset: true, options: 0 });
    expect(emu.data().options).toHaveLength(0);
    expect((await admin(emu, "GET", "/nowhere")).status).toBe(404);
  });
  it("changes the accepted credentials while running (a password revoked mid-run)", async () => {
    const emu = await start();
    expect((await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 844 } })).status).toBe(200);
    const changed = await admin(emu, "POST", "/credentials", { username: "wfsync", password: "rotated-secret" });
    expect(changed.json).toEqual({ accepted: 'Basic user "wfsync"' });
    expect(changed.text).not.toContain("rotated-secret");
    expect((await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 844 } })).status).toBe(401);
    expect((await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 844 }, authorization: basic("wfsync", "rotated-secret") })).status).toBe(200);
    expect((await admin(emu, "GET", "/credentials")).json).toEqual({ accepted: 'Basic user "wfsync"' });
    expect((await admin(emu, "POST", "/credentials", { token: 42 })).status).toBe(400);
    emu.setCredentials({});
    expect(emu.credentials.isDefault).toBe(true);
    expect((await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 844 } })).status).toBe(200);
  });
});

describe("seeds", () => {
  it("binds seed names case-insensitively and takes options already under a split", async () => {
    const seedFile = join(dir, "seed.json");
    const seed = {
      Workflows: [
        {
          WORKFLOWID: 5,
          EmailFlowID: 50,
          Name: "Seeded",
          steps: [
            { workflowstepid: 100, StepType: "split", Options: [{ Key: "x", name: "X", rank: 1, steps: [{ stepType: "AddToList", selection: 1 }] }] },
            { WorkflowStepId: 101, steptype: "SendEmail", Subject: "Hello" },
          ],
        },
      ],
    };
    await writeFile(seedFile, JSON.stringify(seed));
    const emu = await start({ seedFile });
    expect(emu.dataSource).toBe("seed file");
    const flow = (await call(emu, "GetEmailFlow", { query: "emailFlowId=50" })).json as Json;
    expect(flow).toMatchObject({ WorkflowId: 5, Name: "Seeded" });
    expect(flow.Steps[0].Options[0]).toMatchObject({ Key: "x", WorkflowStepId: 100, WorkflowId: 5 });
    expect(flow.Steps[0].Options[0].Steps[0]).toMatchObject({ StepType: "AddToList", Selection: 1 });
    expect(flow.Steps[1]).toMatchObject({ StepType: "SendEmail", Subject: "Hello", Attachments: [], Rank: 2 });
    // New step ids never collide with seeded ones.
    expect(flow.Steps[0].Options[0].Steps[0].WorkflowStepId).toBeGreaterThan(101);
  });

  it("reports every problem of a bad seed at once", () => {
    const bad = { workflows: [{ workflowId: 0, steps: [{ stepType: "Split" }, { workflowStepId: 3, stepType: "Bogus" }] }] };
    try {
      parseSeed(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(WfsyncError);
      const detail = (err as WfsyncError).detail ?? "";
      expect(detail).toContain("workflows[0].workflowId");
      expect(detail).toContain("workflows[0].steps[0].workflowStepId");
      expect(detail).toContain('unknown StepType "Bogus"');
    }
    expect(() => parseSeed({ workflows: [{ workflowId: 1, steps: [] }, { workflowId: 1, steps: [] }] })).toThrow(/Invalid seed/);
  });
});

describe("--data file", () => {
  it("keeps options and id counters across a restart", async () => {
    const dataFile = join(dir, "data.json");
    const first = await startEmulator({ port: 0, env: {}, dataFile });
    expect(first.dataSource).toBe("demo seed");
    const a = (await call(first, "SaveWorkflowStepOption", { body: vipOption({ Key: "a" }) })).json as Json;
    const b = (await call(first, "SaveWorkflowStepOption", { body: vipOption({ Key: "b" }) })).json as Json;
    await call(first, "DeleteWorkflowStepOption", { query: `WorkflowStepOptionId=${b.WorkflowStepOptionId}` });
    await first.close();

    const onDisk = JSON.parse(await readFile(dataFile, "utf8")) as Json;
    expect(onDisk.options).toHaveLength(1);

    const second = await start({ dataFile });
    expect(second.dataSource).toBe("data file");
    const got = (await call(second, "GetWorkflowStepOption", { query: `workflowStepOptionId=${a.WorkflowStepOptionId}` })).json as Json;
    expect(got).toEqual(a);
    const c = (await call(second, "SaveWorkflowStepOption", { body: vipOption({ Key: "c" }) })).json as Json;
    expect(c.WorkflowStepOptionId).toBeGreaterThan(b.WorkflowStepOptionId);
    const stepIds = [...(a.Steps as Json[]), ...(b.Steps as Json[])].map((s) => s.WorkflowStepId as number);
    expect(c.Steps[0].WorkflowStepId).toBeGreaterThan(Math.max(...stepIds));
  });

  it("coalesces a burst of saves and loses none on close", async () => {
    const dataFile = join(dir, "burst.json");
    const emu = await startEmulator({ port: 0, env: {}, dataFile, saveDelayMs: 20 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => call(emu, "SaveWorkflowStepOption", { body: vipOption({ Key: `k${i}` }) })));
    await emu.close();
    const onDisk = JSON.parse(await readFile(dataFile, "utf8")) as Json;
    expect(onDisk.options).toHaveLength(200);
  });

  it("refuses a file that is not an emulator data file", async () => {
    const dataFile = join(dir, "other.json");
    await writeFile(dataFile, JSON.stringify({ hello: "world" }));
    await expect(startEmulator({ port: 0, env: {}, dataFile })).rejects.toMatchObject({ code: "E_EMULATOR_DATA" });
  });
});
