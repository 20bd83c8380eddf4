/**
 * The three-way, field-level comparison of one option: the code, the state's last applied
 * version (the base) and the server. A field changed only in code is an update, one changed
 * only on the server is drift, one changed on both sides to different values is a conflict.
 * What is sent is the base plus the code's changed fields plus the server's changed fields the
 * drift policy keeps, so a colleague's edit of one field survives an update of another.
 *
 * The fields are an option's own: `name`, `rank`, `steps` (the list as one field) and `when`
 * (the option's kind on the current API generation). Key, workflow and split are its identity.
 */
import { placedOption, sortedContent, type OptionModel, type StepModel } from "../model/option.js";
import type { OptionWhen } from "../model/when.js";

/** What to do with a change made on the server to a field the code did not change. */
export type DriftPolicy = "revert" | "report" | "adopt";
export const DRIFT_POLICIES: readonly DriftPolicy[] = ["revert", "report", "adopt"];

export const OPTION_FIELDS = ["name", "rank", "steps", "when"] as const;
export type OptionField = (typeof OPTION_FIELDS)[number];

/**
 * What this plan does with a field:
 * - `sent`: the code's value goes to the server (an update, drift reverted, a conflict with --prefer code);
 * - `kept`: the server's value stays and is not recorded, so it is shown again (drift, policy report);
 * - `adopted`: the server's value stays and is recorded in the state (policy adopt, --refresh-only);
 * - `held`: nothing happens to it (a conflict without a choice; a code change under --refresh-only).
 */
export type FieldOutcome = "sent" | "kept" | "adopted" | "held";

export interface FieldDiff {
  readonly field: OptionField;
  /**
   * `behind`: a server value taken into the state earlier (adopt, --refresh-only) that the code
   * does not have yet; nothing is sent, it is said until the code has it or changes it.
   */
  readonly kind: "update" | "drift" | "conflict" | "behind";
  /** The state's last applied value. */
  readonly base: unknown;
  readonly code: unknown;
  readonly server: unknown;
  readonly outcome: FieldOutcome;
}

export interface MergeChoices {
  readonly drift: DriftPolicy;
  /** `--prefer code`: a conflict's field takes the code's value. */
  readonly preferCode?: boolean;
  /** `--refresh-only`: take every server change into the state, send nothing. */
  readonly refreshOnly?: boolean;
}

export interface MergeInput {
  /** The state's option as last applied. */
  readonly base: OptionModel;
  /** The code's version the state was last brought up to (differs from `base` after an adoption). */
  readonly codeRef: OptionModel;
  readonly code: OptionModel;
  /** The server's option, under the code's keys. */
  readonly server: OptionModel;
}

export interface Merged {
  /** Fields that differ between any two sides, in OPTION_FIELDS order. */
  readonly fields: readonly FieldDiff[];
  /** A conflict nobody chose a side for: nothing of the option may be sent. */
  readonly conflict: boolean;
  /** What the server is to have. */
  readonly send: OptionModel;
  /** The state's new base. */
  readonly record: OptionModel;
  /** The state's new code reference: the code's version this base answers to. */
  readonly codeRecord: OptionModel;
}

type Values = { [F in OptionField]: OptionModel[F] };

export function mergeOption(input: MergeInput, choices: MergeChoices): Merged {
  const { base, codeRef, code, server } = input;
  const fields: FieldDiff[] = [];
  const send: Partial<Values> = {};
  const record: Partial<Values> = {};
  const ref: Partial<Values> = {};
  let conflict = false;
  for (const field of OPTION_FIELDS) {
    const set = (s: unknown, r: unknown, c: unknown): void => {
      (send as Record<string, unknown>)[field] = s;
      (record as Record<string, unknown>)[field] = r;
      (ref as Record<string, unknown>)[field] = c;
    };
    const inCode = !same(code[field], codeRef[field]);
    const onServer = !same(server[field], base[field]);
    const diff = (kind: FieldDiff["kind"], outcome: FieldOutcome) =>
      fields.push({ field, kind, base: base[field], code: code[field], server: server[field], outcome });
    if (inCode && onServer && !same(code[field], server[field])) {
      if (choices.preferCode && !choices.refreshOnly) {
        diff("conflict", "sent");
        set(code[field], code[field], code[field]);
      } else if (choices.refreshOnly) {
        diff("conflict", "adopted");
        set(server[field], server[field], code[field]);
      } else {
        diff("conflict", "held");
        conflict = true;
        set(server[field], base[field], codeRef[field]);
      }
    } else if (inCode && !onServer) {
      if (choices.refreshOnly) {
        diff("update", "held");
        set(server[field], base[field], codeRef[field]);
      } else {
        diff("update", "sent");
        set(code[field], code[field], code[field]);
      }
    } else if (onServer && !inCode) {
      const policy = choices.refreshOnly ? "adopt" : choices.drift;
      if (policy === "revert") {
        diff("drift", "sent");
        set(code[field], code[field], code[field]);
      } else if (policy === "report") {
        diff("drift", "kept");
        set(server[field], base[field], codeRef[field]);
      } else {
        diff("drift", "adopted");
        set(server[field], server[field], code[field]);
      }
    } else {
      // Unchanged, or changed on both sides to the same value: the server has what the code wants
      // (or what was adopted from it: then the code is behind, said, never sent).
      if (!inCode && !onServer && !same(code[field], base[field])) diff("behind", "kept");
      set(server[field], server[field], code[field]);
    }
  }
  return { fields, conflict, send: build(code, send as Values), record: build(code, record as Values), codeRecord: build(code, ref as Values) };
}

function build(identity: OptionModel, v: Values): OptionModel {
  return placedOption(sortedContent(identity.key, v.name, v.rank, v.steps as StepModel[], v.when as OptionWhen | undefined), identity.workflowId, identity.workflowStepId);
}

/** Canonical values have sorted keys, so their JSON is a comparison. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function hasDrift(fields: readonly FieldDiff[] | undefined, outcome?: FieldOutcome): boolean {
  return (fields ?? []).some((f) => f.kind === "drift" && (outcome === undefined || f.outcome === outcome));
}
