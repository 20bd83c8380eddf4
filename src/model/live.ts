/**
 * An option as the server has it, and the address of a split: the server's side of the diff, in
 * the model's terms (what every API generation's adapter turns its answers into).
 */
import { adoptKeys } from "./flow.js";
import { hashOption, type OptionModel } from "./option.js";
import { optionIdentity } from "./when.js";

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
  /**
   * The server stores no Key (the current API generation): `option.key` is empty, the state's
   * key → id map is the record, and adoption goes by kind, target and name instead.
   */
  readonly keyless?: true;
}

/** A server option of a split, in the model (server fields already dropped). */
export function liveOption(id: number, option: OptionModel, raw: unknown): LiveOption {
  return { id, option, hash: hashOption(option), raw };
}

/**
 * What tells an option apart from the others of its split on the server: its Key where the
 * server stores one; on a server without Keys, its kind, target and name.
 */
export function identityOf(option: OptionModel, keyless: boolean): string {
  return keyless ? optionIdentity(option) : option.key;
}

/** Whether the live option is the one `option` means, by the server's identity of options. */
export function sameIdentity(l: LiveOption, option: OptionModel): boolean {
  return identityOf(l.option, l.keyless === true) === identityOf(option, l.keyless === true);
}

/**
 * The live option as the model has it under the code's keys: a keyless server's options (and
 * their nested ones) get the keys of `reference`, the option in code or the state.
 */
export function keyedAs(l: LiveOption, reference: OptionModel): OptionModel {
  return l.keyless ? adoptKeys(l.option, reference.key, reference) : l.option;
}

/** The live option's hash under the code's keys (see keyedAs). */
export function liveHashAs(l: LiveOption, reference: OptionModel): string {
  return l.keyless ? hashOption(keyedAs(l, reference)) : l.hash;
}

/** An option whose content the model cannot hold: known by id, key, name and rank only. */
export function unreadableOption(id: number, option: Omit<OptionModel, "steps">, raw: unknown, why: string): LiveOption {
  return { id, option: { ...option, steps: [] }, hash: `unreadable:${id}`, raw, unreadable: why };
}
