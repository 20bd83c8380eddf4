/**
 * An option as the server has it, and the address of a split: the server's side of the diff, in
 * the model's terms (what every API generation's adapter turns its answers into).
 */
import { hashOption, type OptionModel } from "./option.js";

/** `workflowId/workflowStepId` of a split. */
export type SplitRef = string;

export function splitRef(o: { workflowId: number; workflowStepId: number }): SplitRef {
  return `${o.workflowId}/${o.workflowStepId}`;
}

export function parseSplitRef(ref: SplitRef): { workflowId: number; workflowStepId: number } {
  const [workflowId, workflowStepId] = ref.split("/").map(Number) as [number, number];
  return { workflowId, workflowStepId };
}

/** One option as the server has it. */
export interface LiveOption {
  readonly id: number;
  readonly option: OptionModel;
  readonly hash: string;
  /** The carrier as the server sent it. */
  readonly raw: unknown;
  /**
   * Why its content cannot be read into the model (a step type wfsync does not know): then
   * `option` holds only its key, name and rank, and wfsync never writes over it.
   */
  readonly unreadable?: string;
}

/** A server option of a split, in the model (server fields already dropped). */
export function liveOption(id: number, option: OptionModel, raw: unknown): LiveOption {
  return { id, option, hash: hashOption(option), raw };
}

/** An option whose content the model cannot hold: known by id, key, name and rank only. */
export function unreadableOption(id: number, option: Omit<OptionModel, "steps">, raw: unknown, why: string): LiveOption {
  return { id, option: { ...option, steps: [] }, hash: `unreadable:${id}`, raw, unreadable: why };
}
