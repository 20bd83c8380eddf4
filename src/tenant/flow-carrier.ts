/**
 * Options as the current generation carries them (`WorkflowStepOptionBase`: OptionType and the
 * kind's fields, no Key), for the flow adapter. The server's identity of an option is its kind,
 * target and name (it stores no Key).
 */
import { caseInsensitive } from "../model/carrier.js";
import { liveOption, unreadableOption, type LiveOption } from "../model/live.js";
import { optionFromCarrier, optionToCarrier, type OptionCarrier, type OptionModel } from "../model/option.js";

/** The carrier put into a Split's `Options` for `option`; `previous` lends its step ids. */
export function toFlowCarrier(option: OptionModel, id: number, previous: unknown): OptionCarrier {
  const { Key: _key, ...carrier } = optionToCarrier({ ...option, key: "" }, id, previous);
  return { OptionType: "None", ...carrier };
}

/** A server option of a split of the current generation: keyless (the server has no Key). */
export function liveFlowOption(carrier: unknown, workflowId: number, workflowStepId: number): LiveOption {
  const c = caseInsensitive(carrier);
  try {
    const { option, id } = optionFromCarrier(carrier);
    return { ...liveOption(id, { ...option, key: "", workflowId, workflowStepId }, carrier), keyless: true };
  } catch (err) {
    const rank = c.get("rank");
    const name = c.get("name");
    const id = c.get("workflowstepoptionid");
    return {
      ...unreadableOption(typeof id === "number" ? id : 0, { key: "", name: typeof name === "string" ? name : "", rank: typeof rank === "number" ? rank : 0, workflowId, workflowStepId }, carrier, (err as Error).message),
      keyless: true,
    };
  }
}
