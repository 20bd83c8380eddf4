/** The 12 profile on the wire: whole-flow saves, option kinds, what it refuses, what it keeps. */
import { describe, expect, it } from "vitest";
import { call, start, type Json } from "./helpers.js";
import type { RunningEmulator } from "../../src/emulator/index.js";

async function getFlow(emu: RunningEmulator, emailFlowId: number): Promise<Json> {
  const res = await call(emu, "GetEmailFlow", { query: `emailFlowId=${emailFlowId}` });
  expect(res.status).toBe(200);
  return res.json as Json;
}

async function saveFlow(emu: RunningEmulator, flow: Json): Promise<Json> {
  const res = await call(emu, "SaveEmailFlow", { body: flow });
  expect(res.status, res.text).toBe(200);
  return res.json as Json;
}

/** Onboarding (email flow 12) with split 844 typed SelectionMembership and three options. */
async function withOptions(emu: RunningEmulator): Promise<Json> {
  const flow = await getFlow(emu, 12);
  flow.Steps[0].SplitOptionType = "SelectionMembership";
  flow.Steps[0].Options = [
    { OptionType: "SelectionMembership", SelectionId: 12, Name: "VIP", Rank: 1, Steps: [{ StepType: "AddToList", Selection: 12 }] },
    { OptionType: "SelectionMembership", SelectionId: 13, Name: "Partners", Rank: 2, Steps: [] },
    { OptionType: "None", Name: "Everyone else", Rank: 3, Steps: [{ StepType: "WaitForTime", TimeWaitAlgorithm: "NumIntervals", NumIntervals: 1, IntervalType: "Days" }] },
  ];
  return saveFlow(emu, flow);
}

/** A flow's JSON without what every save changes. */
function unmanaged(flow: Json): string {
  const { UpdatedDate: _d, Steps: _s, ...rest } = flow;
  return JSON.stringify(rest);
}

describe("api 12: which methods exist", () => {
  it("answers the per-option methods with ASP.NET's 404 on 12 and 200 on 10.2", async () => {
    const current = await start({ api: "12" });
    const legacy = await start();
    for (const method of ["CreateDefaultWorkflowStepOption", "SaveWorkflowStepOption", "DeleteWorkflowStepOption"]) {
      const res = await call(current, method, { query: "WorkflowStepOptionId=1", body: {} });
      expect(res.status, method).toBe(404);
      expect((res.json as Json).MessageDetail).toBe(`No action was found on the controller 'Workflow' that matches the name '${method}'.`);
    }
    expect((await call(legacy, "CreateDefaultWorkflowStepOption")).status).toBe(200);
    expect((await call(current, "CreateDefaultEmailFlow")).status).toBe(200);
    expect((await call(legacy, "SaveEmailFlow", { body: {} })).status).toBe(404);
    expect(current.counters().byMethod["(unknown)"]).toBe(3);
    const root = (await (await fetch(`${current.url}/`)).json()) as Json;
    expect(root).toMatchObject({ api: "12", server: "SuperOffice 12.x (current API generation)" });
    expect(((await (await fetch(`${legacy.url}/`)).json()) as Json).server).toBe("SuperOffice 10.2.4–10.2.9");
  });
});

describe("api 12: SaveEmailFlow", () => {
  it("gives new ids to new options and steps, keeps sent ones, drops a sent Key and fields of another kind", async () => {
    const emu = await start({ api: "12" });
    const saved = await withOptions(emu);
    const [vip, partners, rest] = saved.Steps[0].Options as Json[];
    expect(vip).toEqual({
      OptionType: "SelectionMembership",
      WorkflowStepOptionId: expect.any(Number),
      WorkflowStepId: 844,
      WorkflowId: 679,
      Name: "VIP",
      Rank: 1,
      Steps: [{ WorkflowStepId: expect.any(Number), WorkflowId: 679, StepType: "AddToList", Rank: 1, Selection: 12, Project: 0 }],
      SelectionId: 12,
    });
    expect(rest).not.toHaveProperty("SelectionId");
    expect(saved).not.toHaveProperty("WorkflowId"); // EmailFlow has none: the archive maps the two

    const edited = structuredClone(saved);
    edited.Steps[0].Options[0] = { ...vip, Key: "vip", ProjectId: 5, Name: "VIP (renamed)" };
    edited.Steps[0].Options[1] = { ...partners, WorkflowStepOptionId: 0 };
    edited.Steps.push({ StepType: "SendEmail", Subject: "Welcome", ShipmentId: 3 });
    const again = await saveFlow(emu, edited);
    const [vip2, partners2] = again.Steps[0].Options as Json[];
    expect(vip2!.WorkflowStepOptionId).toBe(vip!.WorkflowStepOptionId);
    expect(vip2!.Steps[0].WorkflowStepId).toBe(vip!.Steps[0].WorkflowStepId);
    expect(vip2).not.toHaveProperty("Key");
    expect(vip2).not.toHaveProperty("ProjectId");
    expect(partners2!.WorkflowStepOptionId).toBeGreaterThan(rest!.WorkflowStepOptionId);
    expect(again.Steps[2]).toMatchObject({ StepType: "SendEmail", Rank: 3, Subject: "Welcome", Attachments: [], WorkflowId: 679 });
    expect(again.Steps[2].WorkflowStepId).toBeGreaterThan(1000);
    expect(emu.data().options.map((o) => [o.Name, o.Key, o.OptionType])).toEqual([
      ["VIP (renamed)", "", "SelectionMembership"],
      ["Partners", "", "SelectionMembership"],
      ["Everyone else", "", "None"],
    ]);
  });

  it("deletes an option the saved flow leaves out", async () => {
    const emu = await start({ api: "12" });
    const saved = await withOptions(emu);
    const gone = saved.Steps[0].Options[1].WorkflowStepOptionId as number;
    saved.Steps[0].Options.splice(1, 1);
    const again = await saveFlow(emu, saved);
    expect(again.Steps[0].Options.map((o: Json) => o.Name)).toEqual(["VIP", "Everyone else"]);
    expect((await call(emu, "GetWorkflowStepOption", { body: { WorkflowStepOptionId: gone } })).text).toBe("null");
    expect(emu.data().options.map((o) => o.WorkflowStepOptionId)).not.toContain(gone);
    // Also the last one: a Split may be saved with no options (see flowProblem).
    again.Steps[0].Options = [];
    expect((await saveFlow(emu, again)).Steps[0].Options).toEqual([]);
    expect(emu.data().options).toEqual([]);
  });

  it("gives back unmanaged content byte-equal after a save that changed one option", async () => {
    const emu = await start({ api: "12" });
    const flow = await withOptions(emu);
    flow.Name = "Onboarding (edited in the UI)";
    flow.Description = "Keep me";
    flow.Status = "Running";
    flow.Triggers = [{ WorkflowTriggerId: 7, WorkflowId: 679, TriggerType: "AddedToSelection", RestrictionGroups: [{ Name: "g", Restrictions: [{ Name: "selectionId", Operator: "=", Values: ["12"], IsActive: true }] }] }];
    flow.Goals = [{ WorkflowGoalId: 2, GoalType: "SaleCreated" }];
    flow.ForeignFlowField = { fromANewerServer: [1, 2, 3] };
    flow.Steps[1].ForeignStepField = "kept as sent";
    flow.Steps[0].Options[2].ForeignOptionField = 42;
    const before = await saveFlow(emu, flow);

    const edit = structuredClone(before);
    edit.Steps[0].Options[0].Name = "VIP customers";
    const after = await saveFlow(emu, edit);
    expect(unmanaged(after)).toBe(unmanaged(before));
    expect(JSON.stringify(after.Steps[1])).toBe(JSON.stringify(before.Steps[1]));
    expect(JSON.stringify(after.Steps[0].Options.slice(1))).toBe(JSON.stringify(before.Steps[0].Options.slice(1)));
    expect(after.Steps[0].Options[0].Name).toBe("VIP customers");
    expect(after).toMatchObject({ Name: "Onboarding (edited in the UI)", Status: "Running", ForeignFlowField: { fromANewerServer: [1, 2, 3] } });
    expect(after.Steps[1].ForeignStepField).toBe("kept as sent");
    expect(after.Steps[0].Options[2].ForeignOptionField).toBe(42);
    expect(after.Triggers[0].RestrictionGroups[0].Restrictions[0].Values).toEqual(["12"]);
  });

  it("moves UpdatedDate on every save (ISO, as the 12.4 client reads it); CreatedDate stays", async () => {
    const emu = await start({ api: "12" });
    const first = await getFlow(emu, 12);
    expect(first.UpdatedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/);
    const a = await saveFlow(emu, first);
    const b = await saveFlow(emu, a);
    expect(new Set([first.UpdatedDate, a.UpdatedDate, b.UpdatedDate]).size).toBe(3);
    expect(Date.parse(`${b.UpdatedDate}Z`)).toBeGreaterThan(Date.parse(`${a.UpdatedDate}Z`));
    expect(b.CreatedDate).toBe(first.CreatedDate);
    // What the server sets cannot be sent.
    const c = await saveFlow(emu, { ...b, CreatedDate: "2001-01-01T00:00:00", ContentInfo: [{ Id: 1 }] });
    expect(c.CreatedDate).toBe(first.CreatedDate);
    expect(c.ContentInfo).toEqual([]);
  });

  it("fills in post-10.2.9 step fields, drops renamed 10.2 ones, and takes DistributeToOwner", async () => {
    const emu = await start({ api: "12" });
    const flow = await getFlow(emu, 15);
    flow.Steps[0].Options = [
      {
        Name: "Follow up",
        Steps: [
          { StepType: "CreateFollowUp", Title: "Call", AssignTo: 5, WorkflowActionTime: 2, Owner: 7 },
          { StepType: "CreateRequest", Title: "T", Status: 3 },
          { StepType: "DistributeToOwner", Associates: [1] },
          { StepType: "UpdateParticipant" },
          { StepType: 13 },
        ],
      },
    ];
    const steps = (await saveFlow(emu, flow)).Steps[0].Options[0].Steps as Json[];
    expect(steps[0]).toEqual({
      WorkflowStepId: expect.any(Number),
      WorkflowId: 702,
      StepType: "CreateFollowUp",
      Rank: 1,
      Title: "Call",
      FollowUpType: 0,
      Project: 0,
      Completed: false,
      ActionType: "None",
      ActionTime: 0,
      ActionTimeUnit: "None",
      Duration: 0,
      Availability: "Busy",
      OwnerType: "None",
      Agenda: "",
      Owner: 7,
    });
    expect(steps[1]).toMatchObject({ StepType: "CreateRequest", TicketStatus: 0 });
    expect(steps[1]).not.toHaveProperty("Status");
    expect(steps[2]).toMatchObject({ StepType: "DistributeToOwner", OnlyToUnassigned: false, Associates: [1], UserGroups: [], DistributeQueue: [], DefaultAssociate: 0 });
    expect(steps[3]).toMatchObject({ StepType: "UpdateParticipant", Description: "", FieldValuesPerson: [], FieldValuesCompany: [] });
    expect(steps[4]).toMatchObject({ StepType: "NotifyBySMS", To: "OurContact", SpecificPhoneNumbers: [], From: "", Text: "" });
  });

  it("creates a flow for EmailFlowId 0, refuses an unknown one, and deletes", async () => {
    const emu = await start({ api: "12" });
    const blank = (await call(emu, "CreateDefaultEmailFlow")).json as Json;
    expect(blank).toMatchObject({ EmailFlowId: 0, Name: "", Steps: [], Triggers: [], CreatedDate: "0001-01-01T00:00:00" });
    const created = await saveFlow(emu, { ...blank, Name: "New", Steps: [{ StepType: "Split", Options: [{ Name: "Only" }] }] });
    expect(created.EmailFlowId).toBeGreaterThan(18);
    const workflowId = created.Steps[0].WorkflowId as number;
    expect(workflowId).toBeGreaterThan(733);
    expect(created.Steps[0].Options[0]).toMatchObject({ WorkflowId: workflowId, WorkflowStepId: created.Steps[0].WorkflowStepId });

    const unknown = await call(emu, "SaveEmailFlow", { body: { ...blank, EmailFlowId: 4242 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ Error: true, ErrorType: "SoNotFoundException" });

    expect((await call(emu, "DeleteEmailFlow", { query: `EmailFlowId=${created.EmailFlowId}` })).status).toBe(204);
    expect((await call(emu, "GetEmailFlow", { query: `emailFlowId=${created.EmailFlowId}` })).text).toBe("null");
    expect((await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: created.Steps[0].WorkflowStepId } })).text).toBe("null");
    expect((await call(emu, "DeleteEmailFlow", { query: "EmailFlowId=4242" })).status).toBe(204);
  });
});

describe("api 12: refusals change nothing", () => {
  it("refuses an option whose OptionType is neither None nor the split's", async () => {
    const emu = await start({ api: "12" });
    const saved = await withOptions(emu);
    const before = (await call(emu, "GetEmailFlow", { query: "emailFlowId=12" })).text;
    const wrong = structuredClone(saved);
    wrong.Name = "Should not stick";
    wrong.Steps[0].Options[1] = { OptionType: "ProjectMembership", ProjectId: 5, Name: "Project 5" };
    const res = await call(emu, "SaveEmailFlow", { body: wrong });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ Error: true, ErrorType: "SoException", ErrorSource: "SaveEmailFlow" });
    expect((res.json as Json).ErrorMessage).toMatch(/^SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE: .*Steps\[0\]\.Options\[1\] \("Project 5"\) has OptionType ProjectMembership.*SplitOptionType SelectionMembership/);
    expect((await call(emu, "GetEmailFlow", { query: "emailFlowId=12" })).text).toBe(before);
  });

  it("refuses what does not bind with 400 and every problem: unknown step types (UpdateContact too), long names, wrong types", async () => {
    const emu = await start({ api: "12" });
    const flow = await getFlow(emu, 12);
    const before = JSON.stringify(await getFlow(emu, 12));
    flow.Name = "n".repeat(256);
    flow.Steps[0].Options = [{ Name: "x".repeat(300), OptionType: "Nope", Steps: [{ StepType: "UpdateContact" }, { StepType: "Bogus" }] }];
    flow.Steps[1].NumIntervals = "two";
    const res = await call(emu, "SaveEmailFlow", { body: flow });
    expect(res.status).toBe(400);
    const detail = (res.json as Json).MessageDetail as string;
    expect((res.json as Json).Message).toBe("The request is invalid.");
    expect(detail).toContain("Name: is 256 characters long; the maximum is 255");
    expect(detail).toContain("Steps[0].Options[0].Name: is 300 characters long");
    expect(detail).toContain("Steps[0].Options[0].OptionType: expected one of None, PersonData");
    expect(detail).toContain('Steps[0].Options[0].Steps[0].StepType: unknown StepType "UpdateContact" (12.x servers call step type 6 UpdateParticipant)');
    expect(detail).toContain('unknown StepType "Bogus"');
    expect(detail).toContain("Steps[1].NumIntervals: expected an integer");
    expect(JSON.stringify(await getFlow(emu, 12))).toBe(before);
  });
});

describe("api 12: faults", () => {
  it("rate limit, fail rate and counters work as on 10.2", async () => {
    const limited = await start({ api: "12", rateLimit: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, () => call(limited, "GetEmailFlow", { query: "emailFlowId=12" })));
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(limited.counters()).toMatchObject({ total: 8, byMethod: { GetEmailFlow: 8 }, rateLimited: results.filter((r) => r.status === 429).length });
    const failing = await start({ api: "12", failRate: 1 });
    const failed = await call(failing, "SaveEmailFlow", { body: {} });
    expect([500, 503]).toContain(failed.status);
    expect(failing.counters()).toMatchObject({ byMethod: { SaveEmailFlow: 1 }, injectedFailures: 1 });
  });

  it("writeDelay makes SaveEmailFlow take effect late", async () => {
    const emu = await start({ api: "12", writeDelay: 1500 });
    const flow = await getFlow(emu, 12);
    const saving = call(emu, "SaveEmailFlow", { body: { ...flow, Name: "Late" } });
    expect((await getFlow(emu, 12)).Name).toBe("Onboarding");
    expect((await saving).status).toBe(200);
    expect((await getFlow(emu, 12)).Name).toBe("Late");
    expect(emu.counters().byMethod).toMatchObject({ GetEmailFlow: 3, SaveEmailFlow: 1 });
  });
});
