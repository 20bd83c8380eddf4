/**
 * Options as the current generation carries them (`WorkflowStepOptionBase`: OptionType and the
 * kind's fields, no Key), for the flow adapter: a carrier as a LiveOption of its split. The
 * conversions themselves are the model's (model/flow.ts).
 */
import { caseInsensitive } from "../model/carrier.js";
import { liveOption, unreadableOption, type LiveOption } from "../model/live.js";
import { readFlowSplitOption } from "../model/split.js";

/** A server option of a split of the current generation: keyless (the server has no Key). */
export function liveFlowOption(carrier: unknown, workflowId: number, workflowStepId: number): LiveOption {
  const read = readFlowSplitOption(carrier, workflowId, workflowStepId);
  if (read.option) return { ...liveOption(read.id, read.option, carrier), keyless: true };
  const c = caseInsensitive(carrier);
  const rank = c.get("rank");
  const name = c.get("name");
  return {
    ...unreadableOption(read.id, { key: "", name: typeof name === "string" ? name : "", rank: typeof rank === "number" ? rank : 0, workflowId, workflowStepId }, carrier, read.unreadable ?? "its content cannot be read"),
    keyless: true,
  };
}
