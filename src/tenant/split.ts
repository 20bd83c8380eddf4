/**
 * Reading a Split step as the server sends it: its options as LiveOptions of that split, after
 * checking that the step is a Split of the workflow the code names.
 */
import { WfsyncError } from "../errors.js";
import { caseInsensitive } from "../model/carrier.js";
import { liveOption, unreadableOption, type LiveOption } from "../model/live.js";
import { readSplitOption, readSplitStep } from "../model/split.js";

/** How an API generation turns one option carrier of a split into a LiveOption. */
export type LiveOptionReader = (carrier: unknown, workflowId: number, workflowStepId: number) => LiveOption;

/** The options of a Split step carrier, as LiveOptions of that split (10.2 carriers by default). */
export function splitOptions(step: unknown, workflowId: number, workflowStepId: number, read: LiveOptionReader = liveKeyedOption): LiveOption[] {
  const split = readSplitStep(step, workflowId);
  if (!split.ok) {
    const { problem } = split;
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
  return split.options.map((carrier) => read(carrier, workflowId, workflowStepId));
}

/** A 10.2 option carrier (with its Key) as a LiveOption of its split. */
function liveKeyedOption(carrier: unknown, workflowId: number, workflowStepId: number): LiveOption {
  const o = readSplitOption(carrier, workflowId, workflowStepId);
  if (o.option) return liveOption(o.id, o.option, carrier);
  // Not ours to understand (a step type added after this wfsync): it stops nothing unless the
  // code claims it, and then the plan says why it is left alone.
  const c = caseInsensitive(carrier);
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const rank = c.get("rank");
  return unreadableOption(
    o.id,
    { key: text(c.get("key")), name: text(c.get("name")), rank: typeof rank === "number" ? rank : 0, workflowId, workflowStepId },
    carrier,
    o.unreadable ?? "its content cannot be read",
  );
}
