/**
 * Reads what `wfsync import` turns into code: the option carriers of the chosen Split steps,
 * either step by step (`GetWorkflowStep`) or from the whole flow (`GetEmailFlow`). Nothing is
 * converted here; the carriers are kept as the server sent them (the state records them).
 */
import { WfsyncError } from "../errors.js";
import { caseInsensitive } from "../model/carrier.js";
import { flowSplitSteps, readSplitStep } from "../model/split.js";
import type { Tenant } from "../tenant/tenant.js";

/** Which splits to import. */
export interface ImportSource {
  /** With `emailFlowId` it may be left out: the flow names its workflow. */
  readonly workflowId?: number | undefined;
  /** Split step ids; with `emailFlowId` they pick among the flow's splits. */
  readonly splitIds: readonly number[];
  readonly emailFlowId?: number | undefined;
}

export interface ServerSplit {
  readonly workflowStepId: number;
  /** The option carriers as the server sent them. */
  readonly options: readonly unknown[];
}

export interface ServerWorkflow {
  readonly workflowId: number;
  readonly emailFlowId?: number | undefined;
  /** The flow's name, when it was read with GetEmailFlow. */
  readonly flowName?: string | undefined;
  /** In ascending step id order (stable output). */
  readonly splits: readonly ServerSplit[];
}

/** Refuses a request that cannot name its splits, before anything is read. */
export function checkImportSource(source: ImportSource): void {
  const ids = [...(source.workflowId === undefined ? [] : [source.workflowId]), ...source.splitIds, ...(source.emailFlowId === undefined ? [] : [source.emailFlowId])];
  const bad = ids.find((id) => !Number.isSafeInteger(id) || id <= 0);
  if (bad !== undefined) throw new WfsyncError("E_IMPORT_ARGS", `ids must be positive integers, got ${String(bad)}`);
  if (source.workflowId === undefined && source.emailFlowId === undefined) {
    throw new WfsyncError(
      "E_IMPORT_NO_SOURCE",
      "import needs --email-flow ID (the flow names its workflow), --workflow ID with --split STEP_ID, or --all; `wfsync flows` lists the ids",
    );
  }
  if (source.splitIds.length === 0 && source.emailFlowId === undefined) {
    throw new WfsyncError(
      "E_IMPORT_NO_SOURCE",
      `import needs --split STEP_ID (repeatable) or --email-flow ID to find the options of workflow ${source.workflowId}: ` +
        "on SuperOffice 10.2.4–10.2.9 a workflow id alone cannot list its Split steps " +
        "(GetWorkflowStep needs a step id, GetEmailFlow the flow's EmailFlowId).",
    );
  }
}

export async function readServerWorkflow(tenant: Tenant, source: ImportSource): Promise<ServerWorkflow> {
  checkImportSource(source);
  const splitIds = [...new Set(source.splitIds)].sort((a, b) => a - b);
  if (source.emailFlowId !== undefined) return readFlow(tenant, source.workflowId, source.emailFlowId, splitIds);
  if (source.workflowId === undefined) throw new Error("checkImportSource lets no split import without a workflow id through");
  const workflowId = source.workflowId;
  const steps = await tenant.readSplitSteps(splitIds);
  const splits = splitIds.map((id) => {
    const step = steps.get(id);
    if (step === null || step === undefined) {
      throw new WfsyncError("E_SPLIT_NOT_FOUND", `the server has no step ${id}; check the Split step's id (workflow ${workflowId})`);
    }
    return splitFromStep(step, workflowId, id);
  });
  return { workflowId, splits };
}

async function readFlow(tenant: Tenant, asked: number | undefined, emailFlowId: number, only: number[]): Promise<ServerWorkflow> {
  const flow = await tenant.readFlow(emailFlowId);
  if (flow === null || flow === undefined) throw new WfsyncError("E_FLOW_NOT_FOUND", `the server has no e-mail flow ${emailFlowId}; \`wfsync flows\` lists them`);
  const f = caseInsensitive(flow);
  const flowWorkflow = f.get("workflowid");
  const named = typeof flowWorkflow === "number" && Number.isSafeInteger(flowWorkflow) && flowWorkflow > 0 ? flowWorkflow : undefined;
  if (asked !== undefined && named !== undefined && named !== asked) {
    throw new WfsyncError("E_WRONG_WORKFLOW", `e-mail flow ${emailFlowId} belongs to workflow ${named}, not ${asked}; pass --workflow ${named} or leave --workflow out`);
  }
  const workflowId = asked ?? named;
  if (workflowId === undefined) {
    throw new WfsyncError("E_SERVER_ANSWER", `e-mail flow ${emailFlowId} names no WorkflowId; pass --workflow ID`, { userError: false });
  }
  const splits = flowSplitSteps(flow).map(({ step, workflowStepId }) => splitFromStep(step, workflowId, workflowStepId));
  const name = f.get("name");
  const flowName = typeof name === "string" && name.trim() !== "" ? name : undefined;
  if (splits.length === 0) throw new WfsyncError("E_IMPORT_NO_SPLITS", `e-mail flow ${emailFlowId} has no Split steps; there is nothing to import`);
  const known = new Set(splits.map((s) => s.workflowStepId));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new WfsyncError(
      "E_SPLIT_NOT_FOUND",
      `e-mail flow ${emailFlowId} has no Split step ${unknown.join(", ")}; its Split steps are ${[...known].join(", ")}`,
    );
  }
  return {
    workflowId,
    emailFlowId,
    flowName,
    splits: only.length ? splits.filter((s) => only.includes(s.workflowStepId)) : splits,
  };
}

function splitFromStep(step: unknown, workflowId: number, workflowStepId: number): ServerSplit {
  if (!(workflowStepId > 0)) throw new WfsyncError("E_SERVER_STEP", `a Split step of workflow ${workflowId} has no WorkflowStepId`, { userError: false });
  const read = readSplitStep(step, workflowId);
  if (read.ok) return { workflowStepId, options: read.options };
  const { problem } = read;
  switch (problem.code) {
    case "not-a-split":
      throw new WfsyncError(
        "E_NOT_A_SPLIT",
        `step ${workflowStepId} is a ${String(problem.stepType ?? "step of unknown type")} step on the server, not a Split`,
      );
    case "wrong-workflow":
      throw new WfsyncError("E_WRONG_WORKFLOW", `split ${workflowStepId} belongs to workflow ${problem.stepWorkflowId} on the server, not ${workflowId}`);
    default: {
      const never: never = problem;
      throw new Error(`unknown problem ${String(never)}`);
    }
  }
}
