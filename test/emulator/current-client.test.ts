/**
 * Conformance of the 12 profile with the official client @superoffice/webapi 12.4: what it sends
 * (camelCase, and camelCase + PascalCase duplicates when it saves back a flow it read) must
 * bind, and what the emulator answers must convert (its converters pick step and option
 * carriers by StepType and OptionType, and read dates only in ISO form).
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type * as WebApi12 from "@superoffice/webapi-12";
import { start, type Json } from "./helpers.js";

// The package's ESM build imports its modules without file extensions, which Node's ESM loader
// refuses; its CommonJS build loads.
const { WorkflowAgent } = createRequire(import.meta.url)("@superoffice/webapi-12") as typeof WebApi12;
type WorkflowAgent = WebApi12.WorkflowAgent;

function agentFor(url: string): WorkflowAgent {
  return new WorkflowAgent({ baseUrl: url, axiosConfig: { auth: { username: "wfsync", password: "wfsync" } } });
}

/** Everything of a flow but what the server sets, so two reads of it compare. */
function content(flow: Json): Json {
  const { updatedDate: _u, updatedBy: _b, ...rest } = flow;
  return rest;
}

describe("official client @superoffice/webapi 12.4 (api 12)", () => {
  it("CreateDefaultEmailFlow → a Split with options of several kinds → SaveEmailFlow → GetEmailFlow round-trips", async () => {
    const emu = await start({ api: "12" });
    const agent = agentFor(emu.url);

    const blank = (await agent.createDefaultEmailFlowAsync()) as Json;
    expect(blank.emailFlowId).toBe(0);
    expect(blank.steps).toEqual([]);
    expect(blank.triggers).toEqual([]);
    expect(blank.tableRight).toBeTruthy();

    const selection = (await agent.createDefaultWorkflowStepOptionFromTypeAsync("SelectionMembership" as never)) as Json;
    expect(selection).toMatchObject({ optionType: "SelectionMembership", workflowStepOptionId: 0, selectionId: 0, steps: [] });
    expect(selection.key).toBeUndefined();

    blank.name = "Made by the 12.4 client";
    blank.description = "round trip";
    blank.status = "Stopped";
    blank.selectedDays = 17; // what the client makes of "Monday, Friday"
    blank.triggers = [{ workflowTriggerId: 0, triggerType: "FormSubmitted", restrictionGroups: [] }];
    blank.steps = [
      {
        stepType: "Split",
        splitName: "Who are they?",
        splitOptionType: "SelectionMembership",
        options: [
          { ...selection, selectionId: 12, name: "In selection 12", rank: 1, steps: [{ stepType: "AddToList", selection: 12, project: 3 }] },
          { optionType: "None", name: "Everyone else", rank: 2, key: "ignored", steps: [{ stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", numIntervals: 2, intervalType: "Days" }] },
        ],
      },
      {
        stepType: "Split",
        splitOptionType: "ProjectMembership",
        options: [{ optionType: "ProjectMembership", projectId: 5, name: "Project 5", rank: 1, steps: [] }],
      },
      { stepType: "CreateFollowUp", title: "Call them", owner: 7, actionType: "After", actionTime: 3, actionTimeUnit: "Days", ownerType: "Specified" },
      { stepType: "CreateRequest", title: "Ticket", ticketStatus: 2 },
      { stepType: "SendSMS", from: "wfsync", text: "Hi", exit: true },
      { stepType: "DistributeToOwner", onlyToUnassigned: true, associates: [1, 2], defaultAssociate: 1 },
    ];

    const saved = (await agent.saveEmailFlowAsync(blank)) as Json;
    expect(saved.emailFlowId).toBeGreaterThan(0);
    expect(saved.name).toBe("Made by the 12.4 client");
    expect(saved.selectedDays).toBe(17); // answered "Monday, Friday"; the client reads 17
    expect(saved.updatedDate).toBeInstanceOf(Date);
    expect(saved.triggers).toEqual([expect.objectContaining({ triggerType: "FormSubmitted" })]);
    const [who, project, followUp, request, sms, distribute] = saved.steps as Json[];
    expect(who!.workflowStepId).toBeGreaterThan(0);
    expect(who!.splitName).toBe("Who are they?");
    expect(who!.options.map((o: Json) => [o.optionType, o.name, o.selectionId])).toEqual([
      ["SelectionMembership", "In selection 12", 12],
      ["None", "Everyone else", undefined],
    ]);
    for (const o of who!.options as Json[]) {
      expect(o.workflowStepOptionId).toBeGreaterThan(0);
      expect(o.workflowStepId).toBe(who!.workflowStepId);
      expect(o.key).toBeUndefined();
    }
    expect(who!.options[0].steps[0]).toMatchObject({ stepType: "AddToList", selection: 12, project: 3 });
    expect(project!.options[0]).toMatchObject({ optionType: "ProjectMembership", projectId: 5 });
    expect(followUp).toMatchObject({ stepType: "CreateFollowUp", title: "Call them", owner: 7, actionType: "After", actionTime: 3, actionTimeUnit: "Days", ownerType: "Specified", availability: "Busy" });
    expect(request).toMatchObject({ stepType: "CreateRequest", ticketStatus: 2 });
    expect(sms).toMatchObject({ stepType: "SendSMS", from: "wfsync", text: "Hi", exit: true });
    expect(distribute).toMatchObject({ stepType: "DistributeToOwner", onlyToUnassigned: true, associates: [1, 2], userGroups: [], defaultAssociate: 1 });
    expect(saved.steps.map((s: Json) => s.rank)).toEqual([1, 2, 3, 4, 5, 6]);

    const read = (await agent.getEmailFlowAsync(saved.emailFlowId)) as Json;
    expect(content(read)).toEqual(content(saved));

    // Saving back what it read sends StepType and stepType, Options and options, …: ids stay.
    read.steps[0].options[1].name = "Everyone else (renamed)";
    const again = (await agent.saveEmailFlowAsync(read)) as Json;
    expect(again.steps.map((s: Json) => s.workflowStepId)).toEqual(saved.steps.map((s: Json) => s.workflowStepId));
    expect(again.steps[0].options.map((o: Json) => o.workflowStepOptionId)).toEqual(who!.options.map((o: Json) => o.workflowStepOptionId));
    expect(again.steps[0].options[1].name).toBe("Everyone else (renamed)");
    expect(again.steps[0].options[0].steps[0].workflowStepId).toBe(who!.options[0].steps[0].workflowStepId);
    expect(again.createdDate).toEqual(saved.createdDate);
    expect(again.updatedDate.getTime()).toBeGreaterThan(saved.updatedDate.getTime());
    expect(content(again)).toEqual({ ...content(saved), steps: again.steps });
  });

  it("GetWorkflowStep, GetWorkflowStepOption (id in the body), CreateDefaultWorkflowStepFromType", async () => {
    const emu = await start({ api: "12" });
    const agent = agentFor(emu.url);
    const flow = (await agent.getEmailFlowAsync(18)) as Json;
    flow.steps[0].options = [{ optionType: "None", name: "Only path", rank: 1, steps: [{ stepType: "SendEmail", subject: "Hi", shipmentId: 4 }] }];
    const saved = (await agent.saveEmailFlowAsync(flow)) as Json;
    const optionId = saved.steps[0].options[0].workflowStepOptionId as number;

    const split = (await agent.getWorkflowStepAsync(951)) as Json;
    expect(split).toMatchObject({ stepType: "Split", workflowStepId: 951, splitOptionType: "None" });
    expect(split.options.map((o: Json) => o.workflowStepOptionId)).toEqual([optionId]);

    const option = (await agent.getWorkflowStepOptionAsync(optionId)) as Json;
    expect(option).toMatchObject({ optionType: "None", name: "Only path", workflowStepId: 951, workflowId: 733 });
    expect(option.steps[0]).toMatchObject({ stepType: "SendEmail", subject: "Hi", shipmentId: 4, attachments: [] });
    expect(await agent.getWorkflowStepOptionAsync(424242)).toBeNull();

    const step = (await agent.createDefaultWorkflowStepFromTypeAsync("NotifyByEmail" as never)) as Json;
    expect(step).toMatchObject({ stepType: "NotifyByEmail", to: "OurContact", specificEmailAddresses: [], subject: "", text: "" });
    const formData = (await agent.createDefaultWorkflowStepOptionFromTypeAsync("FormData" as never)) as Json;
    expect(formData).toMatchObject({ optionType: "FormData", formId: 0, restrictionGroups: [] });
  });
});
