/**
 * Turns what the builders recorded into the desired model, checking everything the type system
 * cannot (or that a cast bypassed). Every problem is collected with its location; nothing stops
 * at the first.
 */
import type { CallSite } from "../dsl/callsite.js";
import type { SplitDecl, StepDecl, WorkflowDefinition } from "../dsl/workflow.js";
import { WfsyncError, formatLocation, type SourceLocation } from "../errors.js";
import {
  canonicalOption,
  hashOption,
  optionAddress,
  type Address,
  type OptionModel,
  type RawOptionContent,
  type RawStep,
} from "../model/option.js";
import { stepFields, type FieldKind, type StepTypeName } from "../model/steps.js";

export const MAX_NAME_LENGTH = 255;

/**
 * A builder that returns a promise declares what follows its first `await` only after wfsync has
 * read the model: those options would be missing, and a plan would delete them on the tenant.
 */
function asyncBuilder(call: string): string {
  return `the builder passed to ${call} returned a promise (is it async?): builders must declare everything before they return, so what it declares after an await would be lost and planned as deleted; remove async/await from it`;
}

/**
 * Fields the DSL's types require (WaitForTime has its own check). A cast can leave them out, and
 * the model would then silently fill in 0 or "" (no mailing, no list): refuse that instead.
 * Required ids must be positive.
 */
export const REQUIRED_FIELDS: Readonly<Partial<Record<StepTypeName, readonly string[]>>> = {
  SendEmail: ["shipmentId"],
  AddToList: ["selection"],
  RemoveFromList: ["selection"],
  CreateRequest: ["title"],
  CreateFollowUp: ["title"],
};

export interface DesiredOption {
  readonly address: Address;
  readonly option: OptionModel;
  readonly hash: string;
  /** Where the option is declared, as shown to the user. */
  readonly source: SourceLocation;
  /** Absolute path of the declaring file. */
  readonly file: string;
}

export interface FileDefinitions {
  /** Absolute path. */
  readonly file: string;
  readonly definitions: readonly WorkflowDefinition[];
}

export interface DesiredModel {
  readonly options: ReadonlyMap<Address, DesiredOption>;
  readonly stats: { workflows: number; splits: number; options: number; steps: number };
}

export interface ValidationResult extends DesiredModel {
  readonly errors: WfsyncError[];
}

/** Maps a builder call site to the user's source; `fallback` when it cannot. */
export type Locate = (site: CallSite | undefined, fallbackFile: string) => SourceLocation;

/**
 * One file's validation, in the order things were declared: errors, and splits with their
 * options. It depends only on the file's definitions (and their locations), so the compiler
 * keeps it for files that were not re-evaluated; only the merge across files runs every time.
 */
export type FileValidation = readonly (
  | { readonly kind: "error"; readonly error: WfsyncError }
  | {
      readonly kind: "split";
      readonly workflowId: number;
      readonly workflowStepId: number;
      readonly loc: SourceLocation;
      readonly options: readonly DesiredOption[];
      readonly errors: readonly WfsyncError[];
      readonly steps: number;
    }
)[];

export function validateFile({ file, definitions }: FileDefinitions, locate: Locate): FileValidation {
  const out: (FileValidation[number] & object)[] = [];
  const problem = (code: string, message: string, loc: SourceLocation) =>
    out.push({ kind: "error", error: new WfsyncError(code, message, { location: loc }) });
  for (const def of definitions) {
    if (!isPositiveInt(def.workflowId)) {
      problem("E_WORKFLOW_ID", `workflow id must be a positive integer, got ${show(def.workflowId)}`, locate(def.site, file));
      continue;
    }
    if (def.async) {
      problem("E_ASYNC_BUILDER", asyncBuilder("workflow()"), locate(def.site, file));
      continue;
    }
    const workflowId = def.workflowId;
    for (const split of def.splits) {
      const loc = locate(split.site, file);
      if (!isPositiveInt(split.workflowStepId)) {
        problem("E_SPLIT_ID", `split step id must be a positive integer, got ${show(split.workflowStepId)}`, loc);
        continue;
      }
      const workflowStepId = split.workflowStepId;
      const errors: WfsyncError[] = [];
      const options: DesiredOption[] = [];
      let steps = 0;
      if (split.async) {
        // Declared (so a second declaration is still found), but none of its options is used.
        errors.push(new WfsyncError("E_ASYNC_BUILDER", asyncBuilder("wf.split()"), { location: loc }));
        out.push({ kind: "split", workflowId, workflowStepId, loc, options, errors, steps });
        continue;
      }
      const contents = checkOptions(split, file, locate, (code, message, at) => errors.push(new WfsyncError(code, message, { location: at })));
      for (const { raw, loc: optionLoc, valid, stepCount } of contents) {
        steps += stepCount;
        if (!valid) continue;
        const option = canonicalOption({ ...raw, workflowId, workflowStepId });
        const address = optionAddress(option);
        options.push({ address, option, hash: hashOption(option), source: optionLoc, file });
      }
      out.push({ kind: "split", workflowId, workflowStepId, loc, options, errors, steps });
    }
  }
  return out;
}

/** Merges per-file validations: the checks across files (a split declared twice) happen here. */
export function mergeValidations(files: readonly FileValidation[]): ValidationResult {
  const errors: WfsyncError[] = [];
  const options = new Map<Address, DesiredOption>();
  const splitsSeen = new Map<string, SourceLocation>();
  const workflows = new Set<number>();
  let steps = 0;
  for (const entries of files) {
    for (const entry of entries) {
      if (entry.kind === "error") {
        errors.push(entry.error);
        continue;
      }
      workflows.add(entry.workflowId);
      const splitId = `${entry.workflowId}/${entry.workflowStepId}`;
      const earlier = splitsSeen.get(splitId);
      if (earlier) {
        errors.push(
          new WfsyncError(
            "E_DUPLICATE_SPLIT",
            `split ${entry.workflowStepId} of workflow ${entry.workflowId} is already declared at ${formatLocation(earlier)}; declare each split once`,
            { location: entry.loc },
          ),
        );
        continue;
      }
      splitsSeen.set(splitId, entry.loc);
      errors.push(...entry.errors);
      steps += entry.steps;
      for (const o of entry.options) options.set(o.address, o);
    }
  }
  return { errors, options, stats: { workflows: workflows.size, splits: splitsSeen.size, options: options.size, steps } };
}

export function validateDefinitions(files: readonly FileDefinitions[], locate: Locate): ValidationResult {
  return mergeValidations(files.map((f) => validateFile(f, locate)));
}

type Problem = (code: string, message: string, loc: SourceLocation) => void;

interface CheckedOption {
  raw: RawOptionContent;
  loc: SourceLocation;
  valid: boolean;
  stepCount: number;
}

/** Checks the options of one split (top level or nested); duplicates of key and rank included. */
function checkOptions(split: Pick<SplitDecl, "options">, file: string, locate: Locate, problem: Problem): CheckedOption[] {
  const keys = new Map<string, SourceLocation>();
  const ranks = new Map<number, { key: string; loc: SourceLocation }>();
  return split.options.map((decl) => {
    const loc = locate(decl.site, file);
    let valid = true;
    const fail = (code: string, message: string, at: SourceLocation = loc) => {
      valid = false;
      problem(code, message, at);
    };
    const key = typeof decl.key === "string" ? decl.key : "";
    if (typeof decl.key !== "string" || decl.key.trim() === "") fail("E_EMPTY_KEY", "option key must be a non-empty string");
    else if (keys.has(key)) fail("E_DUPLICATE_KEY", `duplicate option key "${key}" in this split (first at ${formatLocation(keys.get(key)!)})`);
    else keys.set(key, loc);

    const name = typeof decl.name === "string" ? decl.name : "";
    if (typeof decl.name !== "string" || name.trim() === "") fail("E_NAME", `option "${key}" needs a name`);
    else if (name.length > MAX_NAME_LENGTH)
      fail("E_NAME_LENGTH", `option "${key}": name is ${name.length} characters, at most ${MAX_NAME_LENGTH} are allowed`);

    let rank = decl.position;
    if (decl.rank !== undefined) {
      if (!isPositiveInt(decl.rank)) fail("E_RANK", `option "${key}": rank must be a positive integer, got ${show(decl.rank)}`);
      else rank = decl.rank;
    }
    const other = ranks.get(rank);
    if (other) fail("E_DUPLICATE_RANK", `option "${key}" has rank ${rank}, as has option "${other.key}" (${formatLocation(other.loc)})`);
    else ranks.set(rank, { key, loc });

    if (decl.async) fail("E_ASYNC_BUILDER", asyncBuilder(`option("${key}")`));

    let stepCount = 0;
    const steps: RawStep[] = [];
    for (const step of decl.steps) {
      const stepLoc = locate(step.site, file);
      const checked = checkStep(step, stepLoc, file, locate, (code, message, at) => fail(code, message, at));
      stepCount += 1 + checked.nestedSteps;
      steps.push(checked.raw);
    }
    return { raw: { key, name, rank, steps }, loc, valid, stepCount };
  });
}

function checkStep(
  step: StepDecl,
  loc: SourceLocation,
  file: string,
  locate: Locate,
  fail: Problem,
): { raw: RawStep; nestedSteps: number } {
  const what = `${step.method}()`;
  const kinds = stepFields(step.stepType);
  const fields: Record<string, unknown> = { ...step.fields };
  for (const [name, value] of Object.entries(fields)) {
    const kind = kinds[name];
    if (!kind) {
      if (step.stepType === "WaitForTime" && name === "timeWaitAlgorithm") continue;
      fail("E_STEP_FIELD", `${what} has no field "${name}"`, loc);
      continue;
    }
    const wrong = checkField(kind, value);
    if (wrong) fail("E_STEP_FIELD", `${what} field "${name}": ${wrong}`, loc);
  }
  for (const name of REQUIRED_FIELDS[step.stepType] ?? []) {
    const value = fields[name];
    if (value === undefined || value === null || value === "" || value === 0) {
      fail("E_STEP_FIELD", `${what} needs "${name}"${kinds[name]?.type === "int" ? " (a positive id)" : ""}`, loc);
    }
  }
  if (step.stepType === "WaitForTime") checkWaitForTime(fields, loc, fail);
  if (step.stepType === "Split") {
    if (step.async) fail("E_ASYNC_BUILDER", asyncBuilder("path.split()"), loc);
    const nested = checkOptions({ options: step.options ?? [] }, file, locate, fail);
    if (nested.length === 0 && !step.async) fail("E_EMPTY_SPLIT", "a nested split needs at least one option", loc);
    return {
      raw: { stepType: "Split", options: nested.map((n) => n.raw) },
      nestedSteps: nested.reduce((sum, n) => sum + n.stepCount, 0),
    };
  }
  return { raw: { ...fields, stepType: step.stepType }, nestedSteps: 0 };
}

function checkField(kind: FieldKind, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  switch (kind.type) {
    case "int":
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : `expected a whole number ≥ 0, got ${show(value)}`;
    case "string":
      return typeof value === "string" ? undefined : `expected a string, got ${show(value)}`;
    case "bool":
      return typeof value === "boolean" ? undefined : `expected true or false, got ${show(value)}`;
    case "int[]":
      return Array.isArray(value) && value.every((v) => Number.isInteger(v) && v > 0)
        ? undefined
        : `expected a list of positive ids, got ${show(value)}`;
    case "enum":
      return typeof value === "string" && kind.values.includes(value)
        ? undefined
        : `expected one of ${kind.values.map((v) => `"${v}"`).join(", ")}, got ${show(value)}`;
    default: {
      const never: never = kind;
      return never;
    }
  }
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

/** Infers the algorithm when left out, then checks the fields fit it (and sets it). */
function checkWaitForTime(fields: Record<string, unknown>, loc: SourceLocation, fail: Problem): void {
  const has = (f: string) => fields[f] !== undefined;
  const algorithm = fields.timeWaitAlgorithm ?? (has("until") ? "UntilSpecified" : has("numIntervals") ? "NumIntervals" : undefined);
  const bad = (message: string) => fail("E_WAIT_FOR_TIME", `waitForTime(): ${message}`, loc);
  switch (algorithm) {
    case "NumIntervals":
      if (!isPositiveInt(fields.numIntervals)) bad(`numIntervals must be a positive integer, got ${show(fields.numIntervals)}`);
      if (fields.intervalType === undefined || fields.intervalType === "None") bad('intervalType is required (e.g. "Days")');
      if (has("until")) bad("until does not go with NumIntervals; use numIntervals or until, not both");
      break;
    case "UntilSpecified":
      if (typeof fields.until !== "string" || !DATE_TIME.test(fields.until))
        bad(`until must look like "[DT:MM/DD/YYYY HH:mm:ss]", got ${show(fields.until)}`);
      else if (!isRealDateTime(fields.until)) bad(`until is not a real date and time (MM/DD/YYYY HH:mm:ss), got ${show(fields.until)}`);
      if (has("numIntervals") || has("intervalType")) bad("numIntervals and intervalType do not go with a fixed until time");
      break;
    case "UntilDateField":
      if (has("numIntervals") || has("intervalType") || has("until"))
        bad("UntilDateField takes no numIntervals, intervalType or until");
      break;
    default:
      bad("say how long to wait: numIntervals + intervalType, or until");
      return;
  }
  fields.timeWaitAlgorithm = algorithm;
}

function isPositiveInt(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
