/** An option as code declares it: the desired side of the diff, with where each part is declared. */
import type { SourceLocation } from "../errors.js";
import type { Address, OptionModel } from "../model/option.js";

export interface DesiredOption {
  readonly address: Address;
  readonly option: OptionModel;
  readonly hash: string;
  /** Where the option is declared, as shown to the user. */
  readonly source: SourceLocation;
  /** Absolute path of the declaring file. */
  readonly file: string;
  /** Where each of its steps and nested options is declared (absent for options not made from code). */
  readonly sites?: OptionSites;
}

/** Where an option and what it holds are declared, in the model's order. */
export interface OptionSites {
  readonly site: SourceLocation;
  /** One per step, in order. */
  readonly steps: readonly StepSites[];
}

export interface StepSites {
  readonly site: SourceLocation;
  /** The builder method called (`updateParticipant` for an UpdateContact step, say). */
  readonly method: string;
  /** A nested split's options, by key (unique in their split once validated). */
  readonly options?: ReadonlyMap<string, OptionSites>;
}
