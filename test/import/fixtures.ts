/**
 * What the import tests share: an emulator with a few flows, options of every step type saved
 * through its agent API (Basic auth), a temp project pointing at it, and a plan read back the
 * way `wfsync plan` makes it.
 */
import { createTenantQueue } from "../../src/tenant/queue.js";
import { credentialsFromEnv } from "../../src/client/credentials.js";
import { normaliseBaseUrl } from "../../src/client/url.js";
import { createWorkflowClient, type WorkflowClient } from "../../src/client/workflow.js";
import { compileOrThrow, openProject } from "../../src/workspace/project.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import type { Plan } from "../../src/plan/diff.js";
import { makeFullPlan } from "../../src/plan/make.js";
import { perOptionTenant } from "../../src/tenant/tenant.js";
import { openState } from "../../src/state/index.js";
import { runImport, type ImportFlags } from "../../src/cli/import.js";
import type { ImportResult } from "../../src/import/run.js";
import { configText as configFileText } from "../helpers/config.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

export const ENV = EMULATOR_CREDENTIALS;

export const SEED = {
  workflows: [
    {
      workflowId: 501,
      emailFlowId: 51,
      name: "Lead nurture: Spring ’26",
      steps: [
        { workflowStepId: 5101, stepType: "Split", options: [] },
        { workflowStepId: 5102, stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", numIntervals: 1, intervalType: "Days" },
        { workflowStepId: 5103, stepType: "Split", options: [] },
      ],
    },
    { workflowId: 502, emailFlowId: 52, name: "Keys", steps: [{ workflowStepId: 5201, stepType: "Split", options: [] }] },
    { workflowId: 503, emailFlowId: 53, name: "Unsupported", steps: [{ workflowStepId: 5301, stepType: "Split", options: [] }] },
    { workflowId: 504, emailFlowId: 54, name: "Other", steps: [{ workflowStepId: 5401, stepType: "Split", options: [] }] },
  ],
};

type Carrier = Record<string, unknown>;

/** Every step type, every field set to something other than its default. */
export const EVERY_STEP: Carrier[] = [
  { StepType: "None" },
  { StepType: "SendEmail", Subject: 'Welcome "aboard"\n\tsee you', Attachments: [7, 8], ShipmentId: 3 },
  { StepType: "SendSMS" },
  { StepType: "WaitForTime", TimeWaitAlgorithm: "NumIntervals", NumIntervals: 2, IntervalType: "WorkingDays" },
  { StepType: "WaitForAction" },
  { StepType: "UpdateContact" },
  { StepType: "AddToList", Selection: 12, Project: 4 },
  { StepType: "RemoveFromList", Selection: 13 },
  {
    StepType: "CreateRequest",
    Title: "Call back",
    Category: 1,
    Priority: 2,
    Owner: 3,
    Message: "Line one\nLine two \\ ${not a template}",
    RequestType: 5,
    Status: 6,
  },
  {
    StepType: "CreateFollowUp",
    Title: "Follow up",
    Agenda: "Talk about the renewal, the upsell and whatever else the customer brings up in the meeting",
    AssignTo: 11,
    Availability: "Busy",
    Completed: true,
    Duration: 30,
    FollowUpType: 2,
    Project: 9,
    WorkflowActionTime: 3,
    WorkflowActionTimeUnit: "Hours",
    WorkflowActionType: "Call",
    WorkflowOwnerType: "Owner",
  },
  { StepType: "CreateSale" },
  { StepType: "NotifyByEmail" },
  { StepType: "NotifyBySMS" },
  { StepType: "RunScript" },
];

/** Options of workflow 501: every step type, nested splits two levels deep, odd strings and ranks. */
export function nurtureOptions(): Carrier[] {
  return [
    { WorkflowStepId: 5101, Key: "every-step", Name: "Every step type", Rank: 1, Steps: EVERY_STEP },
    {
      WorkflowStepId: 5101,
      Key: "nested",
      Name: "Nested splits",
      Rank: 3,
      Steps: [
        { StepType: "WaitForTime", TimeWaitAlgorithm: "UntilSpecified", Until: "[DT:12/15/2026 09:00:00]" },
        {
          StepType: "Split",
          Options: [
            { Key: "hot", Name: "Asked for a demo", Rank: 1, Steps: [{ StepType: "CreateRequest", Title: "Demo" }] },
            {
              Key: "rest",
              Name: "Everyone else",
              Rank: 5,
              Steps: [
                { StepType: "WaitForTime", TimeWaitAlgorithm: "UntilDateField" },
                { StepType: "Split", Options: [{ Key: "deep", Name: "Deep", Rank: 1, Steps: [{ StepType: "UpdateParticipant" }] }] },
              ],
            },
          ],
        },
      ],
    },
    { WorkflowStepId: 5103, Key: "quotes \"'` \\ \u2028 ünï", Name: "Ünïcode ✓ — \"quoted\"\nname", Rank: 10, Steps: [] },
    { WorkflowStepId: 5103, Key: "second", Name: "Second", Rank: 20, Steps: [{ StepType: "SendEmail", ShipmentId: 4 }] },
  ];
}

export async function startSeeded(): Promise<RunningEmulator> {
  return startEmulator({ port: 0, env: {}, seed: SEED });
}

/** SaveWorkflowStepOption through the agent API, as a client would; returns the saved option. */
export async function saveOption(emu: RunningEmulator, workflowId: number, option: Carrier): Promise<Carrier> {
  const res = await fetch(`${emu.url}/api/v1/Agents/Workflow/SaveWorkflowStepOption`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Basic ${Buffer.from("wfsync:wfsync").toString("base64")}` },
    body: JSON.stringify({ WorkflowStepOptionId: 0, WorkflowId: workflowId, ...option }),
  });
  const body = (await res.json()) as Carrier;
  if (res.status !== 200 || !body.WorkflowStepOptionId) throw new Error(`SaveWorkflowStepOption: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export function configText(url: string): string {
  return configFileText({ url, workflows: ["workflows/**/*.ts"], state: ".wfsync/state.json" });
}

/** A project with only a config (the state of a team about to adopt its flows). */
export function emptyProject(emu: RunningEmulator): TmpProject {
  return makeProject({ "sync.config.ts": configText(emu.url) }, "wfsync-import-");
}

export function importInto(project: TmpProject, flags: Partial<ImportFlags> & { workflow: number }): Promise<ImportResult> {
  return runImport({ split: [], ...flags }, { cwd: project.dir, env: { ...ENV }, global: { logLevel: "silent" } });
}

export function client(emu: RunningEmulator): WorkflowClient {
  return createWorkflowClient({ baseUrl: emu.url, credentials: credentialsFromEnv(ENV) });
}

/** The plan `wfsync plan` would show (compile, state, refresh, diff). */
export async function planOf(project: TmpProject, emu: RunningEmulator): Promise<Plan> {
  const opened = openProject({ cwd: project.dir, env: {} });
  const compiled = compileOrThrow(opened);
  const state = await openState(opened.config.state, { tenant: normaliseBaseUrl(emu.url), lock: false });
  const api = client(emu);
  const tenant = perOptionTenant(api.baseUrl, api, createTenantQueue({ concurrency: 2 }), { close: () => api.close() });
  try {
    return await makeFullPlan({ desired: compiled.options, applied: state.entries(), massDeleteShare: 0.5 }, (splits) => tenant.readSplits(splits));
  } finally {
    tenant.close();
    await state.close();
  }
}

export function actions(plan: Plan): string[] {
  return plan.changes.map((c) => `${c.action} ${c.address}`);
}
