/**
 * The rulebook: what the DSL can express and a server stores, in one place. Validation (the
 * user's code), import (the server's options) and the emulator (requests) check against these
 * rules and word their own messages: a rule returns a code and the facts, never a sentence.
 */
import { RECORDS, type FlowFieldKind, type StepTypeName, type TimeWaitAlgorithm } from "./steps.js";
import { OPTION_KINDS, type OptionWhen, type RestrictionModel } from "./when.js";

/** The database column behind `Name` (superoffice-api.md: max 255). */
export const NAME_MAX_LENGTH = 255;
/**
 * `Key` is stored in the same kind of column as `Name`, so it holds as much. Inferred: no source
 * states the length of Key.
 */
export const KEY_MAX_LENGTH = 255;
/** How deep splits may nest (a split in an option's path is 1 deep); the emulator refuses deeper. */
export const MAX_SPLIT_DEPTH = 32;

/**
 * Fields the DSL's types require (WaitForTime has its own rule). A cast can leave them out, and
 * the model would then silently fill in 0 or "" (no mailing, no list): the step would do nothing.
 */
export const REQUIRED_FIELDS: Readonly<Partial<Record<StepTypeName, readonly string[]>>> = {
  SendEmail: ["shipmentId"],
  AddToList: ["selection"],
  RemoveFromList: ["selection"],
  CreateRequest: ["title"],
  CreateFollowUp: ["title"],
};

export interface TooLong {
  readonly code: "too-long";
  readonly length: number;
  readonly max: number;
}

export type TextProblem = { readonly code: "empty" } | TooLong;

/** More characters than a column of `max` holds. */
export function tooLong(text: string, max: number): TooLong | undefined {
  return text.length > max ? { code: "too-long", length: text.length, max } : undefined;
}

/** An option's name: not blank, and short enough for its column. */
export function checkName(name: string): TextProblem | undefined {
  return name.trim() === "" ? { code: "empty" } : tooLong(name, NAME_MAX_LENGTH);
}

/** An option's key: not blank, and short enough for its column. */
export function checkKey(key: string): TextProblem | undefined {
  return key.trim() === "" ? { code: "empty" } : tooLong(key, KEY_MAX_LENGTH);
}

/** A rank code can declare: a positive integer. */
export function isDeclarableRank(rank: unknown): rank is number {
  return isPositiveInt(rank);
}

/**
 * Ranks of one split that more than one option has: for each such option the index of the first
 * option with that rank and how many have it; undefined for a rank of its own.
 */
export function sharedRanks(ranks: readonly number[]): ({ readonly first: number; readonly count: number } | undefined)[] {
  const holders = new Map<number, { first: number; count: number }>();
  ranks.forEach((rank, i) => {
    const held = holders.get(rank);
    if (held) held.count++;
    else holders.set(rank, { first: i, count: 1 });
  });
  return ranks.map((rank) => {
    const held = holders.get(rank)!;
    return held.count > 1 ? held : undefined;
  });
}

/** A split nested `depth` deep is more than the server takes. */
export function splitTooDeep(depth: number): { readonly code: "too-deep"; readonly depth: number; readonly max: number } | undefined {
  return depth > MAX_SPLIT_DEPTH ? { code: "too-deep", depth, max: MAX_SPLIT_DEPTH } : undefined;
}

/** Whether a field's value is of its kind; a value left out (undefined) is the server's default. */
export function fitsField(kind: FlowFieldKind, value: unknown): boolean {
  return fieldProblem(kind, value) === undefined;
}

/**
 * What is wrong with a field's value, if anything: `path` leads from the field to the value that
 * does not fit (`[0].actionType`; "" for the field itself), with the kind it should have; or the
 * name of a property a structured value has no place for.
 */
export type FieldProblem =
  | { readonly code: "kind"; readonly path: string; readonly kind: FlowFieldKind; readonly value: unknown }
  | { readonly code: "no-such-field"; readonly path: string; readonly what: string };

export function fieldProblem(kind: FlowFieldKind, value: unknown, path = ""): FieldProblem | undefined {
  if (value === undefined) return undefined;
  const wrong = (): FieldProblem => ({ code: "kind", path, kind, value });
  switch (kind.type) {
    case "int":
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : wrong();
    case "integer":
      return Number.isInteger(value) ? undefined : wrong();
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : wrong();
    case "string":
      return typeof value === "string" ? undefined : wrong();
    case "date":
      return typeof value === "string" && (value === "" || DATE.test(value)) ? undefined : wrong();
    case "bool":
      return typeof value === "boolean" ? undefined : wrong();
    case "int[]":
      return Array.isArray(value) && value.every((v) => isPositiveInt(v)) ? undefined : wrong();
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string") ? undefined : wrong();
    case "enum":
      return typeof value === "string" && kind.values.includes(value) ? undefined : wrong();
    case "records": {
      if (!Array.isArray(value)) return wrong();
      const spec = RECORDS[kind.record];
      for (const [i, item] of value.entries()) {
        const at = `${path}[${i}]`;
        if (!item || typeof item !== "object" || Array.isArray(item)) return { code: "kind", path: at, kind, value: item };
        for (const [name, v] of Object.entries(item as Record<string, unknown>)) {
          const field = spec.fields[name];
          if (!field) return { code: "no-such-field", path: `${at}.${name}`, what: spec.what };
          const inner = fieldProblem(field.kind, v, `${at}.${name}`);
          if (inner) return inner;
        }
      }
      return undefined;
    }
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** A date as the server writes one: `2026-05-31` or `2026-05-31T09:00:00`. */
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

export type WhenProblem =
  /** A kind's target id (`selectionId` …) that is no id. */
  | { readonly code: "target-id"; readonly field: string; readonly value: unknown }
  /** PersonData / FormData without a restriction group: it would match everyone, or no one. */
  | { readonly code: "no-groups" }
  /** A group (0-based) without restrictions. */
  | { readonly code: "empty-group"; readonly group: number }
  /** A restriction without its column (`name`) or `operator`; `path` as `[0].restrictions[1]`. */
  | { readonly code: "restriction"; readonly path: string; readonly missing: "name" | "operator" };

/** What is wrong with an option's kind and target (values only: the shape is the model's). */
export function checkWhen(when: OptionWhen): WhenProblem[] {
  const problems: WhenProblem[] = [];
  const spec = OPTION_KINDS[when.kind];
  const w = when as unknown as Record<string, unknown>;
  if (spec.target && !isPositiveInt(w[spec.target])) problems.push({ code: "target-id", field: spec.target, value: w[spec.target] });
  if (spec.groups) {
    const groups = (w.restrictionGroups ?? []) as readonly { restrictions: readonly RestrictionModel[] }[];
    if (groups.length === 0) problems.push({ code: "no-groups" });
    groups.forEach((group, i) => {
      if (group.restrictions.length === 0) problems.push({ code: "empty-group", group: i });
      checkRestrictions(group.restrictions, `[${i}].restrictions`, problems);
    });
  }
  return problems;
}

function checkRestrictions(list: readonly RestrictionModel[], path: string, problems: WhenProblem[]): void {
  list.forEach((r, i) => {
    const at = `${path}[${i}]`;
    if (typeof r.name !== "string" || r.name.trim() === "") problems.push({ code: "restriction", path: at, missing: "name" });
    if (typeof r.operator !== "string" || r.operator.trim() === "") problems.push({ code: "restriction", path: at, missing: "operator" });
    checkRestrictions(r.subRestrictions ?? [], `${at}.subRestrictions`, problems);
  });
}

/** The required fields of a step that hold nothing (absent, null, "" or 0: the step would do nothing). */
export function missingRequiredFields(stepType: StepTypeName, fields: Readonly<Record<string, unknown>>): string[] {
  return (REQUIRED_FIELDS[stepType] ?? []).filter((name) => {
    const value = fields[name];
    return value === undefined || value === null || value === "" || value === 0;
  });
}

export type WaitForTimeProblem =
  /** No algorithm given, none to infer, or one that waits for nothing (None). */
  | { readonly code: "no-algorithm"; readonly algorithm: unknown }
  | { readonly code: "num-intervals"; readonly value: unknown }
  | { readonly code: "interval-type"; readonly value: unknown }
  /** `until` is not shaped `[DT:MM/DD/YYYY HH:mm:ss]`. */
  | { readonly code: "until-format"; readonly value: unknown }
  /** `until` has the shape but names no real date and time (`[DT:02/30/2027 …]`, day/month swapped). */
  | { readonly code: "until-not-real"; readonly value: string }
  /** Fields given that the algorithm does not use. */
  | { readonly code: "unused-fields"; readonly algorithm: TimeWaitAlgorithm; readonly fields: readonly string[] };

export interface WaitForTimeCheck {
  /** The algorithm given, else inferred from the fields given; undefined when there is none. */
  readonly algorithm: Exclude<TimeWaitAlgorithm, "None"> | undefined;
  readonly problems: readonly WaitForTimeProblem[];
}

/**
 * waitForTime() takes one shape per algorithm. `given(field)` says whether a field holds a value:
 * for code, that it was written; for a server's option, that it differs from the default.
 */
export function checkWaitForTime(fields: Readonly<Record<string, unknown>>, given: (field: string) => boolean): WaitForTimeCheck {
  const problems: WaitForTimeProblem[] = [];
  const unused = (algorithm: TimeWaitAlgorithm, names: string[]) => {
    const set = names.filter(given);
    if (set.length) problems.push({ code: "unused-fields", algorithm, fields: set });
  };
  const algorithm = fields.timeWaitAlgorithm ?? (given("until") ? "UntilSpecified" : given("numIntervals") ? "NumIntervals" : undefined);
  switch (algorithm) {
    case "NumIntervals":
      if (!isPositiveInt(fields.numIntervals)) problems.push({ code: "num-intervals", value: fields.numIntervals });
      if (fields.intervalType === undefined || fields.intervalType === "None") problems.push({ code: "interval-type", value: fields.intervalType });
      unused("NumIntervals", ["until"]);
      break;
    case "UntilSpecified": {
      const until = fields.until;
      if (typeof until !== "string" || !DATE_TIME.test(until)) problems.push({ code: "until-format", value: until });
      else if (!isRealDateTime(until)) problems.push({ code: "until-not-real", value: until });
      unused("UntilSpecified", ["numIntervals", "intervalType"]);
      break;
    }
    case "UntilDateField":
      unused("UntilDateField", ["numIntervals", "intervalType", "until"]);
      break;
    default:
      return { algorithm: undefined, problems: [{ code: "no-algorithm", algorithm }] };
  }
  return { algorithm: algorithm as WaitForTimeCheck["algorithm"], problems };
}

const DATE_TIME = /^\[DT:\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\]$/;

/** `[DT:02/30/2027 09:00:00]` has the shape but no such day: the server cannot parse it. */
function isRealDateTime(value: string): boolean {
  const [month, day, year, hour, minute, second] = (value.match(/\d+/g) ?? []).map(Number) as number[];
  const t = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  return (
    year! >= 1 &&
    t.getUTCFullYear() === year &&
    t.getUTCMonth() === month! - 1 &&
    t.getUTCDate() === day &&
    t.getUTCHours() === hour &&
    t.getUTCMinutes() === minute &&
    t.getUTCSeconds() === second
  );
}

function isPositiveInt(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0;
}
