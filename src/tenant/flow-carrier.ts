/**
 * Options as the current generation carries them (`WorkflowStepOptionBase`: OptionType and the
 * kind's fields, no Key), for the flow adapter. The conversions are the model's (model/flow.ts);
 * this is where the adapter turns a carrier into a LiveOption of its split.
 */
import { caseInsensitive } from "../model/carrier.js";
import { optionToFlowCarrier, type FlowOptionCarrier } from "../model/flow.js";
import { liveOption, unreadableOption, type LiveOption } from "../model/live.js";
import type { OptionModel } from "../model/option.js";
import { readFlowSplitOption } from "../model/split.js";

/** The carrier put into a Split's `Options` for `option`; `previous` lends its step ids. */
export function toFlowCarrier(option: OptionModel, id: number, previous: unknown): FlowOptionCarrier {
  return optionToFlowCarrier(option, id, previous);
}

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
