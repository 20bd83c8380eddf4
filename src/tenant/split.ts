/**
 * Reading a Split step as the server sends it: its options as LiveOptions of that split, after
 * checking that the step is a Split of the workflow the code names.
 */
import { WfsyncError } from "../errors.js";
import { liveOption, type LiveOption } from "../model/live.js";
import { caseInsensitive, optionFromCarrier } from "../model/option.js";
import { resolveStepType } from "../model/steps.js";

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
