/** The server's conventions on the wire: status codes, error bodies, binding, auth. */
import { describe, expect, it } from "vitest";
import { basic, call, start, vipOption, type Json } from "./helpers.js";

describe("agent calls", () => {
  it("answers PascalCase with TableRight and FieldProperties, every field filled, ranks from array order", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", { body: vipOption() });
    expect(res.status).toBe(200);
    const o = res.json as Json;
    expect(o.WorkflowStepOptionId).toBeGreaterThan(0);
    expect(o.TableRight).toEqual({ Mask: "Select, Update, Insert, Delete", Reason: "" });
    expect(o.FieldProperties.Name).toMatchObject({ FieldType: "System.String", FieldLength: 255 });
    expect(o.Steps[0]).toEqual({ WorkflowStepId: expect.any(Number), WorkflowId: 679, StepType: "AddToList", Rank: 1, Selection: 12, Project: 0 });
    expect(o.Steps[1]).toMatchObject({ StepType: "WaitForTime", Rank: 2, NumIntervals: 2, IntervalType: "Days", Until: "" });
    expect(o.Steps[0].WorkflowStepId).not.toBe(o.Steps[1].WorkflowStepId);
  });

  it("binds property names case-insensitively, the last duplicate winning, and enums in any case", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", {
      rawBody:
        '{"workflowstepid":844,"WORKFLOWID":679,"Name":"old","name":"new","key":"k",' +
        '"steps":[{"StepType":"AddToList","stepType":"WaitForTime","intervaltype":"days"}]}',
    });
    expect(res.status).toBe(200);
    const o = res.json as Json;
    expect(o.Name).toBe("new");
    expect(o.Steps[0]).toMatchObject({ StepType: "WaitForTime", IntervalType: "Days" });
  });

  it("keeps step ids on update, gives new ids to new steps, stores UpdateParticipant as sent", async () => {
    const emu = await start();
    const created = (await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).json as Json;
    const [first, second] = created.Steps as Json[];
    const update = {
      ...created,
      Steps: [second, { StepType: "UpdateParticipant" }, { ...first, WorkflowStepId: first!.WorkflowStepId, Rank: 0 }],
    };
    const updated = (await call(emu, "SaveWorkflowStepOption", { body: update })).json as Json;
    expect(updated.WorkflowStepOptionId).toBe(created.WorkflowStepOptionId);
    const ids = (updated.Steps as Json[]).map((s) => s.WorkflowStepId);
    expect(ids[2]).toBe(first!.WorkflowStepId);
    expect(ids[1]).toBeGreaterThan(Math.max(first!.WorkflowStepId, second!.WorkflowStepId));
    expect((updated.Steps as Json[]).map((s) => s.StepType)).toEqual(["WaitForTime", "UpdateParticipant", "AddToList"]);
    const again = (await call(emu, "SaveWorkflowStepOption", { body: { ...vipOption(), Steps: [{ StepType: "UpdateContact" }] } })).json as Json;
    expect(again.Steps[0].StepType).toBe("UpdateContact");
  });

  it("does not enforce unique keys (as the real server)", async () => {
    const emu = await start();
    expect((await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).status).toBe(200);
    expect((await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).status).toBe(200);
    const split = (await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 844 } })).json as Json;
    expect(split.Options).toHaveLength(2);
  });

  it("GetWorkflowStep orders options by Rank and answers null for an unknown step", async () => {
    const emu = await start();
    await call(emu, "SaveWorkflowStepOption", { body: vipOption({ Key: "b", Rank: 2 }) });
    await call(emu, "SaveWorkflowStepOption", { body: vipOption({ Key: "a", Rank: 1 }) });
    const split = (await call(emu, "GetWorkflowStep", { body: { workflowStepId: 844 } })).json as Json;
    expect(split).toMatchObject({ WorkflowStepId: 844, WorkflowId: 679, StepType: "Split" });
    expect((split.Options as Json[]).map((o) => o.Key)).toEqual(["a", "b"]);
    const missing = await call(emu, "GetWorkflowStep", { body: { WorkflowStepId: 99999 } });
    expect(missing.status).toBe(200);
    expect(missing.text).toBe("null");
  });

  it("GetWorkflowStepOption: 200 + null when missing; query names in any case", async () => {
    const emu = await start();
    const created = (await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).json as Json;
    for (const query of [`workflowStepOptionId=${created.WorkflowStepOptionId}`, `WORKFLOWSTEPOPTIONID=${created.WorkflowStepOptionId}`]) {
      const got = await call(emu, "GetWorkflowStepOption", { query });
      expect(got.status).toBe(200);
      expect((got.json as Json).Key).toBe("vip");
    }
    const missing = await call(emu, "GetWorkflowStepOption", { query: "workflowStepOptionId=424242" });
    expect(missing.status).toBe(200);
    expect(missing.text).toBe("null");
  });

  it("DeleteWorkflowStepOption answers 204 with no body", async () => {
    const emu = await start();
    const created = (await call(emu, "SaveWorkflowStepOption", { body: vipOption() })).json as Json;
    const del = await call(emu, "DeleteWorkflowStepOption", { query: `workflowstepoptionid=${created.WorkflowStepOptionId}` });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await call(emu, "GetWorkflowStepOption", { query: `workflowStepOptionId=${created.WorkflowStepOptionId}` })).json).toBeNull();
  });

  it("GetEmailFlow returns the demo flows", async () => {
    const emu = await start();
    const flow = (await call(emu, "GetEmailFlow", { query: "emailFlowId=12" })).json as Json;
    expect(flow).toMatchObject({ EmailFlowId: 12, WorkflowId: 679, Name: "Onboarding" });
    expect((flow.Steps as Json[]).map((s) => [s.WorkflowStepId, s.StepType])).toEqual([
      [844, "Split"],
      [845, "WaitForTime"],
    ]);
    expect(flow.Steps[0].Options).toEqual([]);
    expect((await call(emu, "GetEmailFlow", { query: "emailflowid=15" })).json).toMatchObject({ WorkflowId: 702, Name: "Webinar follow-up" });
    expect((await call(emu, "GetEmailFlow", { query: "emailFlowId=1" })).text).toBe("null");
  });

  it("accepts any path prefix before /api (a tenant-like base) and method names in any case", async () => {
    const emu = await start();
    const res = await call(emu, "createdefaultworkflowstepoption", { prefix: "/Cust12345" });
    expect(res.status).toBe(200);
    expect((res.json as Json).WorkflowStepOptionId).toBe(0);
  });

  it("tolerates a trailing comma, as Json.NET does", async () => {
    const emu = await start();
    const res = await call(emu, "CreateDefaultWorkflowStepFromType", { rawBody: '{\n  "StepType": "Split",\n}' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ WorkflowStepId: 0, WorkflowId: 0, StepType: "Split", Rank: 0, Options: [] });
  });

  it("answers a GET on an agent URL with a description", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", { httpMethod: "GET" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ Method: "SaveWorkflowStepOption", HttpMethod: "POST" });
  });
});

describe("errors", () => {
  it("400 for malformed JSON", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", { rawBody: '{"Key": "x"' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ Message: "The request is invalid.", MessageDetail: expect.stringContaining("not valid JSON") });
  });

  it("400 naming every field of the wrong type", async () => {
    const emu = await start();
    const body = vipOption({ Rank: "first", Steps: [{ StepType: "WaitForTime", NumIntervals: 2.5, IntervalType: "Fortnights" }] });
    const res = await call(emu, "SaveWorkflowStepOption", { body });
    expect(res.status).toBe(400);
    const detail = (res.json as Json).MessageDetail as string;
    expect(detail).toContain("Rank: expected an integer");
    expect(detail).toContain("Steps[0].NumIntervals: expected an integer");
    expect(detail).toContain("Steps[0].IntervalType: expected one of");
  });

  it("400 for an unknown StepType", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ Steps: [{ StepType: "Teleport" }] }) });
    expect(res.status).toBe(400);
    expect((res.json as Json).MessageDetail).toContain('unknown StepType "Teleport"');
    const fromType = await call(emu, "CreateDefaultWorkflowStepFromType", { body: { StepType: "Teleport" } });
    expect(fromType.status).toBe(400);
  });

  it("refuses an update of an id that does not exist", async () => {
    const emu = await start();
    const res = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ WorkflowStepOptionId: 777 }) });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ Error: true, ErrorType: "SoNotFoundException", ErrorMessage: expect.stringContaining("777") });
  });

  it("refuses an option on a step that is not a Split, an unknown step, or the wrong workflow", async () => {
    const emu = await start();
    const notSplit = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ WorkflowStepId: 845 }) });
    expect(notSplit.status).toBe(400);
    expect((notSplit.json as Json).ErrorMessage).toContain("WaitForTime");
    const noStep = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ WorkflowStepId: 5 }) });
    expect(noStep.json).toMatchObject({ Error: true, ErrorType: "SoNotFoundException" });
    const noWorkflow = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ WorkflowId: 1 }) });
    expect((noWorkflow.json as Json).ErrorMessage).toContain("Workflow 1 does not exist");
    const otherWorkflow = await call(emu, "SaveWorkflowStepOption", { body: vipOption({ WorkflowId: 702 }) });
    expect((otherWorkflow.json as Json).ErrorMessage).toContain("belongs to workflow 679");
  });

  it("400 for a missing or non-numeric query parameter, 404 for an unknown method", async () => {
    const emu = await start();
    expect((await call(emu, "GetWorkflowStepOption")).status).toBe(400);
    expect((await call(emu, "GetWorkflowStepOption", { query: "workflowStepOptionId=abc" })).status).toBe(400);
    const unknown = await call(emu, "SaveEverything");
    expect(unknown.status).toBe(404);
    expect((unknown.json as Json).Message).toContain("No HTTP resource");
  });
});

describe("authentication", () => {
  const cases: [string, string | null][] = [
    ["no header", null],
    ["wrong password", basic("wfsync", "nope")],
    ["unknown user", basic("admin", "wfsync")],
    ["malformed Basic", "Basic bm9jb2xvbg=="],
    ["Bearer when no token is configured", "Bearer abc"],
    ["unknown scheme", "Digest abc"],
  ];
  for (const [name, authorization] of cases) {
    it(`401 for ${name}`, async () => {
      const emu = await start();
      const res = await call(emu, "CreateDefaultWorkflowStepOption", { authorization });
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ Error: true, ErrorType: "SoAuthenticationException" });
    });
  }

  it("accepts scheme names in any case", async () => {
    const emu = await start();
    const lower = basic().replace("Basic", "bAsIc");
    expect((await call(emu, "CreateDefaultWorkflowStepOption", { authorization: lower })).status).toBe(200);
  });

  it("Bearer and SOTicket + SO-AppToken from options; the default user is gone then", async () => {
    const emu = await start({ token: "8A:tok", ticket: "7T:tick", appToken: "app" });
    const ok = (authorization: string, headers: Record<string, string> = {}) =>
      call(emu, "CreateDefaultWorkflowStepOption", { authorization, headers }).then((r) => r.status);
    expect(await ok("Bearer 8A:tok")).toBe(200);
    expect(await ok("Bearer 8A:other")).toBe(401);
    expect(await ok("SOTicket 7T:tick", { "SO-AppToken": "app" })).toBe(200);
    expect(await ok("soticket 7T:tick", { "SO-AppToken": "app" })).toBe(200);
    expect(await ok("SOTicket 7T:tick")).toBe(401);
    expect(await ok("SOTicket 7T:tick", { "SO-AppToken": "wrong" })).toBe(401);
    expect(await ok(basic())).toBe(401);
  });

  it("takes credentials from the WFSYNC_* environment, flags winning", async () => {
    const env = { WFSYNC_USERNAME: "envuser", WFSYNC_PASSWORD: "envpass", WFSYNC_TOKEN: "envtoken" };
    const emu = await start({ env });
    expect((await call(emu, "CreateDefaultWorkflowStepOption", { authorization: basic("envuser", "envpass") })).status).toBe(200);
    expect((await call(emu, "CreateDefaultWorkflowStepOption", { authorization: "Bearer envtoken" })).status).toBe(200);
    expect((await call(emu, "CreateDefaultWorkflowStepOption", { authorization: basic() })).status).toBe(401);
    const flagged = await start({ env, password: "flagpass" });
    expect((await call(flagged, "CreateDefaultWorkflowStepOption", { authorization: basic("envuser", "flagpass") })).status).toBe(200);
  });
});
