/**
 * Turns what the builders recorded into the desired model, checking everything the type system
 * cannot (or that a cast bypassed). Every problem is collected with its location; nothing stops
 * at the first.
 */
import type { CallSite } from "../dsl/callsite.js";
import type { MoveDecl, OptionDecl, SplitDecl, StepDecl, WorkflowDefinition } from "../dsl/workflow.js";
import { WfsyncError, formatLocation, type SourceLocation } from "../errors.js";
import {
  canonicalContent,
  hashOption,
  optionAddress,
  placedOption,
  type Address,
  type RawOptionContent,
  type RawStep,
} from "../model/option.js";
import {
  checkKey,
  checkName,
  checkWaitForTime,
  fieldProblem,
  isDeclarableRank,
  missingRequiredFields,
  sharedRanks,
  splitTooDeep,
  type WaitForTimeProblem,
} from "../model/rules.js";
import { allStepFields } from "../model/steps.js";
import { fieldProblemText, whenFromCode } from "./when.js";
import type { DesiredOption, OptionSites, StepSites } from "./desired.js";
import { unsupportedFeatures, type SupportTarget } from "./support.js";
import type { NameResolver, UnresolvedName } from "./names.js";

export type { DesiredOption, OptionSites, StepSites } from "./desired.js";

/**
 * A builder that returns a promise declares what follows its first `await` only after wfsync has
 * read the model: those options would be missing, and a plan would delete them on the tenant.
 */
function asyncBuilder(call: string): string {
  return `the builder passed to ${call} returned a promise (is it async?): builders must declare everything before they return, so what it declares after an await would be lost and planned as deleted; remove async/await from it`;
}

export interface FileDefinitions {
  /** Absolute path. */
  readonly file: string;
  readonly definitions: readonly WorkflowDefinition[];
}

export interface DesiredModel {
  readonly options: ReadonlyMap<Address, DesiredOption>;
  /** Keys renamed in code (`split.moved`): the old address → the new one. */
  readonly moves?: ReadonlyMap<Address, Address>;
  readonly stats: { workflows: number; splits: number; options: number; steps: number };
}

export interface ValidationResult extends DesiredModel {
  readonly errors: WfsyncError[];
  /** Names the code refers to that no resolver resolved (plan resolves them on the tenant). */
  readonly unresolved: readonly UnresolvedName[];
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
  /** A flow or split referred to by name, with no resolver to say which it is. */
  | { readonly kind: "unresolved"; readonly name: UnresolvedName }
  | {
      readonly kind: "split";
      readonly workflowId: number;
      readonly workflowStepId: number;
      readonly loc: SourceLocation;
      readonly options: readonly DesiredOption[];
      readonly moves: readonly { readonly from: Address; readonly to: Address }[];
      readonly errors: readonly WfsyncError[];
      readonly steps: number;
    }
)[];

/**
 * `names` resolves flows and splits referred to by name (see names.ts); without one, such a
 * workflow or split is reported as unresolved and its options are left out.
 */
export function validateFile({ file, definitions }: FileDefinitions, locate: Locate, names?: NameResolver): FileValidation {
  const out: (FileValidation[number] & object)[] = [];
  const problem = (code: string, message: string, loc: SourceLocation) =>
    out.push({ kind: "error", error: new WfsyncError(code, message, { location: loc }) });
  for (const def of definitions) {
    let workflowId: number;
    if (isName(def.workflowId)) {
      if (!names) {
        out.push({ kind: "unresolved", name: { file, flow: def.workflowId } });
        for (const split of def.splits) if (isName(split.workflowStepId)) out.push({ kind: "unresolved", name: { file, flow: def.workflowId, split: split.workflowStepId } });
        continue;
      }
      const found = names.flow(def.workflowId);
      if ("problem" in found) {
        problem("E_FLOW_NAME", found.problem, locate(def.site, file));
        continue;
      }
      workflowId = found.id;
    } else if (!isPositiveInt(def.workflowId)) {
      problem("E_WORKFLOW_ID", `workflow id must be a positive integer or the flow's name, got ${show(def.workflowId)}`, locate(def.site, file));
      continue;
    } else workflowId = def.workflowId;
    if (def.async) {
      problem("E_ASYNC_BUILDER", asyncBuilder("workflow()"), locate(def.site, file));
      continue;
    }
    for (const split of def.splits) {
      const loc = locate(split.site, file);
      let workflowStepId: number;
      if (isName(split.workflowStepId)) {
        if (!names) {
          out.push({ kind: "unresolved", name: { file, flow: workflowId, split: split.workflowStepId } });
          continue;
        }
        const found = names.split(workflowId, split.workflowStepId);
        if ("problem" in found) {
          problem("E_SPLIT_NAME", found.problem, loc);
          continue;
        }
        workflowStepId = found.id;
      } else if (!isPositiveInt(split.workflowStepId)) {
        problem("E_SPLIT_ID", `split step id must be a positive integer or the split's name, got ${show(split.workflowStepId)}`, loc);
        continue;
      } else workflowStepId = split.workflowStepId;
      const errors: WfsyncError[] = [];
      const options: DesiredOption[] = [];
      let steps = 0;
      if (split.async) {
        // Declared (so a second declaration is still found), but none of its options is used.
        errors.push(new WfsyncError("E_ASYNC_BUILDER", asyncBuilder("wf.split()"), { location: loc }));
        out.push({ kind: "split", workflowId, workflowStepId, loc, options, moves: [], errors, steps });
        continue;
      }
      const contents = checkOptions(split, 0, file, locate, (code, message, at, related) =>
        errors.push(new WfsyncError(code, message, { location: at, related })),
      );
      for (const { raw, loc: optionLoc, valid, stepCount, sites } of contents) {
        steps += stepCount;
        if (!valid) continue;
        const option = placedOption(canonicalContent(raw), workflowId, workflowStepId);
        const address = optionAddress(option);
        options.push({ address, option, hash: hashOption(option), source: optionLoc, file, sites });
      }
      const declared = new Set(split.options.map((o) => o.key));
      const moves = checkMoves(split.moves ?? [], declared, (message, site) => errors.push(new WfsyncError("E_MOVED", message, { location: locate(site, file) }))).map(
        (m) => ({ from: `${workflowId}/${workflowStepId}/${m.from}`, to: `${workflowId}/${workflowStepId}/${m.to}` }),
      );
      out.push({ kind: "split", workflowId, workflowStepId, loc, options, moves, errors, steps });
    }
  }
  return out;
}

/**
 * Merges per-file validations: the checks across files (a split declared twice) happen here, and,
 * when the project names its API generation (`api` in the config), what that server cannot take.
 */
export function mergeValidations(files: readonly FileValidation[], target?: SupportTarget): ValidationResult {
  const errors: WfsyncError[] = [];
  const options = new Map<Address, DesiredOption>();
  const moves = new Map<Address, Address>();
  const splitsSeen = new Map<string, SourceLocation>();
  const workflows = new Set<number>();
  const unresolved: UnresolvedName[] = [];
  let steps = 0;
  for (const entries of files) {
    for (const entry of entries) {
      if (entry.kind === "error") {
        errors.push(entry.error);
        continue;
      }
      if (entry.kind === "unresolved") {
        unresolved.push(entry.name);
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
            { location: entry.loc, related: earlier },
          ),
        );
        continue;
      }
      splitsSeen.set(splitId, entry.loc);
      errors.push(...entry.errors);
      steps += entry.steps;
      for (const o of entry.options) {
        const unsupported = target ? unsupportedFeatures(o, target) : [];
        if (unsupported.length) errors.push(...unsupported);
        else options.set(o.address, o);
      }
      for (const m of entry.moves) moves.set(m.from, m.to);
    }
  }
  return { errors, options, unresolved, moves, stats: { workflows: workflows.size, splits: splitsSeen.size, options: options.size, steps } };
}

/**
 * `split.moved(from, to)` of one split: two keys, `to` declared in the split and `from` not (it
 * was renamed away), each key in one move at most. Returns the moves that pass.
 */
function checkMoves(moves: readonly MoveDecl[], declared: ReadonlySet<unknown>, problem: (message: string, site: MoveDecl["site"]) => void): { from: string; to: string }[] {
  const seen = new Set<string>();
  const out: { from: string; to: string }[] = [];
  for (const m of moves) {
    const { from, to } = m;
    if (typeof from !== "string" || typeof to !== "string" || from === "" || to === "") {
      problem(`split.moved(from, to) takes two option keys, got ${show(from)} and ${show(to)}`, m.site);
    } else if (from === to) problem(`split.moved("${from}", "${to}"): the keys are the same`, m.site);
    else if (!declared.has(to)) problem(`split.moved("${from}", "${to}"): this split declares no option "${to}"; declare it with split.option("${to}", …)`, m.site);
    else if (declared.has(from)) problem(`split.moved("${from}", "${to}"): option "${from}" is still declared in this split; a key that moved is no longer in code`, m.site);
    else if (seen.has(from) || seen.has(to)) problem(`split.moved("${from}", "${to}"): "${seen.has(from) ? from : to}" is already in another split.moved of this split`, m.site);
    else {
      seen.add(from).add(to);
      out.push({ from, to });
    }
  }
  return out;
}

type Problem = (code: string, message: string, loc: SourceLocation, related?: SourceLocation) => void;

interface CheckedOption {
  raw: RawOptionContent;
  loc: SourceLocation;
  valid: boolean;
  stepCount: number;
  sites: OptionSites;
}

/**
 * Checks the options of one split (top level or nested); duplicates of key and rank included.
 * `depth`: how many splits enclose these options (0 for a workflow's own split).
 */
function checkOptions(split: Pick<SplitDecl, "options">, depth: number, file: string, locate: Locate, problem: Problem): CheckedOption[] {
  const keys = new Map<string, SourceLocation>();
  const keyOf = (decl: OptionDecl) => (typeof decl.key === "string" ? decl.key : "");
  const locs = split.options.map((decl) => locate(decl.site, file));
  // An explicit rank that is no rank is reported; the option then ranks by its position.
  const ranks = split.options.map((decl) => (isDeclarableRank(decl.rank) ? decl.rank : decl.position));
  const shared = sharedRanks(ranks);
  // The first option of each kind: the options of one split split on one kind of data (inferred
  // from the server's SR_WORKFLOW_INVALID_SPLIT_OPTION_TYPE: options must match the split's type).
  let firstKind: { kind: string; key: string; loc: SourceLocation } | undefined;
  return split.options.map((decl, i) => {
    const loc = locs[i]!;
    let valid = true;
    const fail = (code: string, message: string, at: SourceLocation = loc, related?: SourceLocation) => {
      valid = false;
      problem(code, message, at, related);
    };
    const key = keyOf(decl);
    const keyProblem = typeof decl.key === "string" ? checkKey(key) : ({ code: "empty" } as const);
    if (keyProblem?.code === "empty") fail("E_EMPTY_KEY", "option key must be a non-empty string");
    else if (keyProblem?.code === "too-long")
      fail("E_KEY_LENGTH", `option key ${show(`${key.slice(0, 20)}…`)} is ${keyProblem.length} characters, at most ${keyProblem.max} are allowed`);
    else if (keys.has(key)) fail("E_DUPLICATE_KEY", `duplicate option key "${key}" in this split (first at ${formatLocation(keys.get(key)!)})`, loc, keys.get(key));
    else keys.set(key, loc);

    const name = typeof decl.name === "string" ? decl.name : "";
    const nameProblem = typeof decl.name === "string" ? checkName(name) : ({ code: "empty" } as const);
    if (nameProblem?.code === "empty") fail("E_NAME", `option "${key}" needs a name`);
    else if (nameProblem?.code === "too-long")
      fail("E_NAME_LENGTH", `option "${key}": name is ${nameProblem.length} characters, at most ${nameProblem.max} are allowed`);

    const rank = ranks[i]!;
    if (decl.rank !== undefined && !isDeclarableRank(decl.rank)) fail("E_RANK", `option "${key}": rank must be a positive integer, got ${show(decl.rank)}`);
    const first = shared[i]?.first;
    if (first !== undefined && first !== i) {
      fail("E_DUPLICATE_RANK", `option "${key}" has rank ${rank}, as has option "${keyOf(split.options[first]!)}" (${formatLocation(locs[first]!)})`, loc, locs[first]);
    }

    const read = whenFromCode(decl.when);
    for (const text of read.problems) fail("E_WHEN", `option "${key}": ${text}`);
    if (read.when) {
      if (!firstKind) firstKind = { kind: read.when.kind, key, loc };
      else if (firstKind.kind !== read.when.kind) {
        fail(
          "E_WHEN_KIND",
          `option "${key}" splits on ${read.when.kind}, but option "${firstKind.key}" (${formatLocation(firstKind.loc)}) on ${firstKind.kind}; the options of one split share one kind`,
          loc,
          firstKind.loc,
        );
      }
    }

    if (decl.async) fail("E_ASYNC_BUILDER", asyncBuilder(`option("${key}")`));

    let stepCount = 0;
    const steps: RawStep[] = [];
    const stepSites: StepSites[] = [];
    for (const step of decl.steps) {
      const stepLoc = locate(step.site, file);
      const checked = checkStep(step, stepLoc, depth, file, locate, fail);
      stepCount += 1 + checked.nestedSteps;
      steps.push(checked.raw);
      stepSites.push({ site: stepLoc, method: step.method, ...(checked.options ? { options: checked.options } : {}) });
    }
    return { raw: { key, name, rank, steps, when: read.when }, loc, valid, stepCount, sites: { site: loc, steps: stepSites } };
  });
}

function checkStep(
  step: StepDecl,
  loc: SourceLocation,
  depth: number,
  file: string,
  locate: Locate,
  fail: Problem,
): { raw: RawStep; nestedSteps: number; options?: ReadonlyMap<string, OptionSites> } {
  const what = `${step.method}()`;
  const kinds = allStepFields(step.stepType);
  // A copy the step's type (and a WaitForTime's algorithm) is added to. Object.assign, not a
  // spread: in Node 20's V8 each property added to a spread copy takes about a microsecond.
  const fields: Record<string, unknown> = Object.assign({}, step.fields);
  for (const [name, value] of Object.entries(fields)) {
    const kind = kinds[name]?.kind;
    const problem = kind && fieldProblem(kind, value);
    if (!kind) fail("E_STEP_FIELD", `${what} has no field "${name}"`, loc);
    else if (problem) fail("E_STEP_FIELD", `${what} field ${fieldProblemText(problem, name)}`, loc);
  }
  for (const name of missingRequiredFields(step.stepType, fields)) {
    fail("E_STEP_FIELD", `${what} needs "${name}"${kinds[name]?.kind.type === "int" ? " (a positive id)" : ""}`, loc);
  }
  if (step.stepType === "WaitForTime") {
    const { algorithm, problems } = checkWaitForTime(fields, (f) => fields[f] !== undefined);
    for (const p of problems) fail("E_WAIT_FOR_TIME", `waitForTime(): ${waitMessage(p)}`, loc);
    if (algorithm) fields.timeWaitAlgorithm = algorithm;
  }
  if (step.stepType === "Split") {
    const tooDeep = splitTooDeep(depth + 1);
    if (tooDeep) {
      // Reported once, at the first split too deep; what it holds is not looked at.
      fail("E_SPLIT_DEPTH", `this split is nested ${tooDeep.depth} deep; the server takes splits nested at most ${tooDeep.max} deep`, loc);
      return { raw: { stepType: "Split", options: [] }, nestedSteps: 0 };
    }
    if (step.async) fail("E_ASYNC_BUILDER", asyncBuilder("path.split()"), loc);
    const nested = checkOptions({ options: step.options ?? [] }, depth + 1, file, locate, fail);
    if (nested.length === 0 && !step.async) fail("E_EMPTY_SPLIT", "a nested split needs at least one option", loc);
    return {
      raw: Object.assign(fields, { stepType: "Split", options: nested.map((n) => n.raw) }),
      nestedSteps: nested.reduce((sum, n) => sum + n.stepCount, 0),
      options: new Map(nested.map((n) => [n.raw.key, n.sites])),
    };
  }
  return { raw: Object.assign(fields, { stepType: step.stepType }), nestedSteps: 0 };
}

/** Kept here too: import words its messages with it. */
export { fieldKindInWords } from "./words.js";

function waitMessage(p: WaitForTimeProblem): string {
  switch (p.code) {
    case "no-algorithm":
      return "say how long to wait: numIntervals + intervalType, or until";
    case "num-intervals":
      return `numIntervals must be a positive integer, got ${show(p.value)}`;
    case "interval-type":
      return 'intervalType is required (e.g. "Days")';
    case "until-format":
      return `until must look like "[DT:MM/DD/YYYY HH:mm:ss]", got ${show(p.value)}`;
    case "until-not-real":
      return `until is not a real date and time (MM/DD/YYYY HH:mm:ss), got ${show(p.value)}`;
    case "unused-fields":
      if (p.algorithm === "NumIntervals") return "until does not go with NumIntervals; use numIntervals or until, not both";
      if (p.algorithm === "UntilSpecified") return "numIntervals and intervalType do not go with a fixed until time";
      return "UntilDateField takes no numIntervals, intervalType or until";
    default: {
      const never: never = p;
      return never;
    }
  }
}

/** A flow or split given by name: a non-empty string. */
function isName(v: unknown): v is string {
  return typeof v === "string" && v.trim() !== "";
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
