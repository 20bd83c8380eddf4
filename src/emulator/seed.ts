/**
 * Seeds: the flows (and their Split steps) an emulator starts with. Property names bind
 * case-insensitively, like the server's:
 *
 *   { "workflows": [ { "workflowId": 679, "emailFlowId": 12, "name": "Onboarding",
 *       "steps": [ { "workflowStepId": 844, "stepType": "Split", "options": [] },
 *                  { "workflowStepId": 845, "stepType": "WaitForTime" } ] } ] }
 *
 * Steps are SuperOffice step carriers (at least id and type; other fields get defaults); a Split
 * may carry options already (same shape as SaveWorkflowStepOption's body, ids optional).
 *
 * On generation 12 the same file is read as a 12.x server binds it: a flow may carry any other
 * EmailFlow field (description, status, triggers, …), a Split its `splitOptionType` (default
 * None), an option its `optionType` and the kind's target (`selectionId`, …); an option's `key`
 * is dropped, as 12.x has none.
 */
import { readFile } from "node:fs/promises";
import { WfsyncError } from "../errors.js";
import { caseInsensitive, caseInsensitiveGet } from "../model/carrier.js";
import { Binder, isObject, type BindProblem } from "./bind.js";
import { FlowBinder } from "./flow-bind.js";
import { flowProblem } from "./flow-handlers.js";
import type { SeedFlowInput, StepInput } from "./store.js";

/** The flows the example `workflows/` folder and `wfsync init`'s example target; used when no `--seed` is given. */
export const DEMO_SEED = {
  workflows: [
    {
      workflowId: 679,
      emailFlowId: 12,
      name: "Onboarding",
      steps: [
        { workflowStepId: 844, stepType: "Split", options: [] },
        { workflowStepId: 845, stepType: "WaitForTime", timeWaitAlgorithm: "NumIntervals", numIntervals: 2, intervalType: "Days" },
      ],
    },
    {
      workflowId: 702,
      emailFlowId: 15,
      name: "Webinar follow-up",
      steps: [{ workflowStepId: 910, stepType: "Split", options: [] }],
    },
    {
      workflowId: 733,
      emailFlowId: 18,
      name: "Re-engagement",
      steps: [
        { workflowStepId: 951, stepType: "Split", options: [] },
        { workflowStepId: 952, stepType: "SendEmail", subject: "We miss you", shipmentId: 0 },
        { workflowStepId: 953, stepType: "Split", options: [] },
      ],
    },
    // What `wfsync init`'s example targets, so a new project tried on the emulator never
    // touches the demo's splits.
    {
      workflowId: 801,
      emailFlowId: 21,
      name: "Welcome (wfsync init example)",
      steps: [{ workflowStepId: 811, stepType: "Split", options: [] }],
    },
  ],
} as const;

/** Validates a seed; throws one WfsyncError listing every problem. */
export function parseSeed(raw: unknown, source = "seed"): SeedFlowInput[] {
  const binder = new Binder();
  const flows: SeedFlowInput[] = [];
  const list = isObject(raw) ? caseInsensitiveGet(raw, "workflows") : undefined;
  if (!Array.isArray(list)) {
    binder.problem("workflows", "expected an array of workflows");
  } else {
    list.forEach((w, i) => {
      const flow = parseFlow(binder, w, `workflows[${i}]`);
      if (flow) flows.push(flow);
    });
    checkUnique(binder, flows);
  }
  if (binder.problems.length > 0) throw seedError(source, binder.problems);
  return flows;
}

/** Validates a seed as a 12.x server would bind its flows; throws one WfsyncError listing every problem. */
export function parseFlowSeed(raw: unknown, source = "seed"): SeedFlowInput[] {
  const binder = new FlowBinder();
  const flows: SeedFlowInput[] = [];
  const list = isObject(raw) ? caseInsensitiveGet(raw, "workflows") : undefined;
  if (!Array.isArray(list)) binder.problem("workflows", "expected an array of workflows");
  else {
    list.forEach((w, i) => {
      const path = `workflows[${i}]`;
      const flow = binder.flow(w, path);
      if (!flow) return;
      const c = caseInsensitive(w);
      const workflowId = binder.int(c.get("workflowid"), `${path}.workflowId`);
      if (workflowId <= 0) binder.problem(`${path}.workflowId`, "is required and must be a positive integer");
      checkSteps(binder, c.get("steps"), flow.steps, path);
      const refused = flowProblem(flow);
      if (refused) binder.problem(path, refused);
      const emailFlowId = c.get("emailflowid") === undefined ? workflowId : flow.emailFlowId;
      flows.push({ workflowId, emailFlowId, name: flow.name, steps: flow.steps, fields: flow.fields });
    });
    checkUnique(binder, flows);
  }
  if (binder.problems.length > 0) throw seedError(source, binder.problems);
  return flows;
}

/** Reads a seed file; `parse` is the generation's (parseSeed or parseFlowSeed). */
export async function readSeedFile(file: string, parse: (raw: unknown, source: string) => SeedFlowInput[] = parseSeed): Promise<SeedFlowInput[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new WfsyncError("E_EMULATOR_SEED", `Cannot read seed file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new WfsyncError("E_EMULATOR_SEED", `Seed file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parse(raw, file);
}

function parseFlow(binder: Binder, raw: unknown, path: string): SeedFlowInput | undefined {
  if (!isObject(raw)) {
    binder.problem(path, "expected a workflow object");
    return undefined;
  }
  const c = caseInsensitive(raw);
  const workflowId = binder.int(c.get("workflowid"), `${path}.workflowId`);
  if (workflowId <= 0) binder.problem(`${path}.workflowId`, "is required and must be a positive integer");
  // WorkflowId and EmailFlowId often differ on a tenant; when a seed gives only one, use it twice.
  const emailFlowId = c.get("emailflowid") === undefined ? workflowId : binder.int(c.get("emailflowid"), `${path}.emailFlowId`);
  const name = binder.string(c.get("name"), `${path}.name`);
  const steps = binder.steps(c.get("steps"), `${path}.steps`, 0);
  checkSteps(binder, c.get("steps"), steps, path);
  return { workflowId, emailFlowId, name, steps };
}

/** A flow's own steps are required and carry their ids. */
function checkSteps(binder: Pick<Binder, "problem">, raw: unknown, steps: readonly StepInput[], path: string): void {
  steps.forEach((s, i) => {
    if (s.id <= 0) binder.problem(`${path}.steps[${i}].workflowStepId`, "is required and must be a positive integer");
  });
  if (!Array.isArray(raw)) binder.problem(`${path}.steps`, "is required (an array of steps)");
}

function checkUnique(binder: Pick<Binder, "problem">, flows: readonly SeedFlowInput[]): void {
  const workflowIds = new Set<number>();
  const emailFlowIds = new Set<number>();
  const stepIds = new Set<number>();
  for (const flow of flows) {
    if (workflowIds.has(flow.workflowId)) binder.problem("workflows", `workflowId ${flow.workflowId} appears twice`);
    if (emailFlowIds.has(flow.emailFlowId)) binder.problem("workflows", `emailFlowId ${flow.emailFlowId} appears twice`);
    workflowIds.add(flow.workflowId);
    emailFlowIds.add(flow.emailFlowId);
    for (const step of flow.steps) {
      if (step.id > 0 && stepIds.has(step.id)) binder.problem("workflows", `workflowStepId ${step.id} appears twice`);
      stepIds.add(step.id);
    }
  }
}

function seedError(source: string, problems: readonly BindProblem[]): WfsyncError {
  return new WfsyncError("E_EMULATOR_SEED", `Invalid seed (${source}): ${problems.length} problem${problems.length === 1 ? "" : "s"}`, {
    detail: problems.map((p) => `  ${p.path}: ${p.message}`).join("\n"),
  });
}
