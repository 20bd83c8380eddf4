/**
 * Reads the server's side of the diff: every split once (`GetWorkflowStep` returns all its
 * options), through the tenant queue like any other request. Requests grow with the number of
 * splits, not of options.
 */
import type { TenantQueue } from "../apply/queue.js";
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { readSplitOption, readSplitStep } from "../model/split.js";
import { liveOption, type LiveOption, type SplitRef } from "./diff.js";

export interface RefreshResult {
  readonly live: Map<SplitRef, LiveOption[]>;
  /** Splits the server does not have (GetWorkflowStep answered null). */
  readonly missing: SplitRef[];
}

export async function refreshSplits(api: WorkflowApi, queue: TenantQueue, splits: Iterable<SplitRef>): Promise<RefreshResult> {
  const live = new Map<SplitRef, LiveOption[]>();
  const missing: SplitRef[] = [];
  const unique = [...new Set(splits)].sort();
  // allSettled, not all: on the first failure (a 401, say) the caller closes the connection pool,
  // and reads still in flight would then fail with misleading "connection reset" retries.
  const outcomes = await Promise.allSettled(
    unique.map(async (ref) => {
      const [workflowId, workflowStepId] = ref.split("/").map(Number) as [number, number];
      const step = await queue.run(() => api.getWorkflowStep(workflowStepId), { label: `GetWorkflowStep ${workflowStepId}` });
      if (step === null || step === undefined) {
        missing.push(ref);
        live.set(ref, []);
        return;
      }
      live.set(ref, splitOptions(step, workflowId, workflowStepId));
    }),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
  return { live, missing: missing.sort() };
}

/** The options of a Split step carrier, as LiveOptions of that split. */
export function splitOptions(step: unknown, workflowId: number, workflowStepId: number): LiveOption[] {
  const read = readSplitStep(step, workflowId);
  if (!read.ok) {
    const { problem } = read;
    switch (problem.code) {
      case "not-a-split":
        throw new WfsyncError(
          "E_NOT_A_SPLIT",
          `step ${workflowStepId} of workflow ${workflowId} is a ${String(problem.stepType ?? "step of unknown type")} on the server, not a Split`,
        );
      case "wrong-workflow":
        throw new WfsyncError("E_WRONG_WORKFLOW", `split ${workflowStepId} belongs to workflow ${problem.stepWorkflowId} on the server, not ${workflowId}`);
      default: {
        const never: never = problem;
        throw new Error(`unknown problem ${String(never)}`);
      }
    }
  }
  return read.options.map((carrier) => {
    const o = readSplitOption(carrier, workflowId, workflowStepId);
    if (!o.option) throw new WfsyncError("E_SERVER_OPTION", `an option of split ${workflowStepId} cannot be read: ${o.unreadable}`, { userError: false });
    return liveOption(o.id, o.option, carrier);
  });
}
