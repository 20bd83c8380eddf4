/**
 * Reads the server's side of the diff: every split once (`GetWorkflowStep` returns all its
 * options), through the tenant queue like any other request. Requests grow with the number of
 * splits, not of options.
 */
import { CancelledError, type TenantQueue } from "../apply/queue.js";
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { caseInsensitive, optionFromCarrier } from "../model/option.js";
import { resolveStepType } from "../model/steps.js";
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
  // The fault itself (a 401, say) over the reads it kept from being sent.
  const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  const failed = rejected.find((o) => !(o.reason instanceof CancelledError)) ?? rejected[0];
  if (failed) throw failed.reason;
  return { live, missing: missing.sort() };
}

/** The options of a Split step carrier, as LiveOptions of that split. */
export function splitOptions(step: unknown, workflowId: number, workflowStepId: number): LiveOption[] {
  const s = caseInsensitive(step);
  const type = resolveStepType(s.get("steptype"));
  if (type !== "Split") {
    throw new WfsyncError(
      "E_NOT_A_SPLIT",
      `step ${workflowStepId} of workflow ${workflowId} is a ${String(s.get("steptype") ?? "step of unknown type")} on the server, not a Split`,
    );
  }
  const stepWorkflow = s.get("workflowid");
  if (typeof stepWorkflow === "number" && stepWorkflow !== 0 && stepWorkflow !== workflowId) {
    throw new WfsyncError("E_WRONG_WORKFLOW", `split ${workflowStepId} belongs to workflow ${stepWorkflow} on the server, not ${workflowId}`);
  }
  const options = s.get("options");
  if (!Array.isArray(options)) return [];
  return options.map((carrier) => {
    let converted;
    try {
      converted = optionFromCarrier(carrier);
    } catch (err) {
      throw new WfsyncError("E_SERVER_OPTION", `an option of split ${workflowStepId} cannot be read: ${(err as Error).message}`, { cause: err, userError: false });
    }
    // The split's own ids win over whatever the option carries: it was listed under this split.
    const option = { ...converted.option, workflowId, workflowStepId };
    return liveOption(converted.id, option, carrier);
  });
}
