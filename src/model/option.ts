/**
 * The canonical option model: one normalised form for code, state file and server.
 * Server-assigned fields (ids, step ranks, TableRight, FieldProperties) are dropped when a
 * carrier is converted here, so the diff never sees them. Objects are built with sorted keys,
 * which makes `JSON.stringify` a stable serialisation without a stable-stringify library.
 */
import crypto from "node:crypto";
import { FIELD_RIGHTS, caseInsensitive, caseInsensitiveGet, lowerCase, pascalCase } from "./carrier.js";
import { coerceValue, type UnknownField } from "./records.js";
import { allStepFields, defaultFieldValue, omittedAtDefault, resolveStepType, stepFields, type StepField, type StepTypeName } from "./steps.js";
import { canonicalWhenOf, type OptionWhen } from "./when.js";

/**
 * A step: its type plus every field of that type, keys sorted. Fields of the 10.2 generation are
 * always there (defaults filled in); fields added after 10.2.9 only when they hold something else
 * than their default (see model/steps.ts).
 */
export interface StepModel {
  readonly stepType: StepTypeName;
  /** Only on Split steps: the nested options (paths), sorted by rank. */
  readonly options?: readonly OptionContent[];
  readonly [field: string]: unknown;
}

/** What an option is, wherever it lives (a nested option has only this). */
export interface OptionContent {
  readonly key: string;
  readonly name: string;
  readonly rank: number;
  readonly steps: readonly StepModel[];
  /** Which participants take the option (current generation); absent: OptionType None. */
  readonly when?: OptionWhen;
}

/** A top-level option of a Split step: its content plus where it lives. */
export interface OptionModel extends OptionContent {
  readonly workflowId: number;
  readonly workflowStepId: number;
}

export type Address = string;

export function optionAddress(o: { workflowId: number; workflowStepId: number; key: string }): Address {
  return `${o.workflowId}/${o.workflowStepId}/${o.key}`;
}

export function parseAddress(address: string): { workflowId: number; workflowStepId: number; key: string } | undefined {
  const m = /^(\d+)\/(\d+)\/(.*)$/s.exec(address);
  if (!m) return undefined;
  return { workflowId: Number(m[1]), workflowStepId: Number(m[2]), key: m[3]! };
}

/** Stable serialisation of an option (keys are already sorted by construction). */
export function serializeOption(option: OptionModel): string {
  return JSON.stringify(option);
}

export function hashOption(option: OptionModel): string {
  return sha1Hex(serializeOption(option));
}

/** SHA-1 in hex: one-shot `crypto.hash` where Node has it (20.12+), a Hash object otherwise. */
const sha1Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: "hex"): string }).hash("sha1", text, "hex")
    : (text) => crypto.createHash("sha1").update(text).digest("hex");

// ---------------------------------------------------------------------------------------------
// Canonicalisation from plain values (the DSL's output and the state file)

export interface RawStep {
  stepType: string;
  options?: readonly RawOptionContent[];
  [field: string]: unknown;
}
export interface RawOptionContent {
  key: string;
  name: string;
  rank: number;
  steps: readonly RawStep[];
  /** In the model's shape (`{ kind: "SelectionMembership", selectionId: 12 }`). */
  when?: { readonly kind: string; readonly [field: string]: unknown } | undefined;
}

/** Builds a canonical step; throws a plain Error naming the problem for a type it does not know. */
export function canonicalStep(raw: RawStep): StepModel {
  const stepType = resolveStepType(raw.stepType);
  if (!stepType) throw new Error(`unknown StepType ${JSON.stringify(raw.stepType)}`);
  return buildStep(stepType, (field) => raw[field], (nested) => nested.map(canonicalContent));
}

export function canonicalContent(raw: RawOptionContent): OptionContent {
  return sortedContent(raw.key, raw.name, raw.rank, raw.steps.map(canonicalStep), raw.when ? canonicalWhenOf(raw.when) : undefined);
}

export function canonicalOption(raw: RawOptionContent & { workflowId: number; workflowStepId: number }): OptionModel {
  return placedOption(canonicalContent(raw), raw.workflowId, raw.workflowStepId);
}

/** The content placed in its split; keys stay sorted (`when` sorts between `steps` and `workflowId`). */
export function placedOption(content: OptionContent, workflowId: number, workflowStepId: number): OptionModel {
  const { key, name, rank, steps, when } = content;
  return when ? { key, name, rank, steps, when, workflowId, workflowStepId } : { key, name, rank, steps, workflowId, workflowStepId };
}

/** An option's content with sorted keys; an option without `when` has exactly the keys it had before option kinds. */
export function sortedContent(key: string, name: string, rank: number, steps: StepModel[], when?: OptionWhen): OptionContent {
  return when ? { key, name, rank, steps, when } : { key, name, rank, steps };
}

export interface BuildStepOptions {
  /** Read fields added after 10.2.9 too (the 10.2 carrier has none: there they are unknown). Default true. */
  readonly later?: boolean;
  /** Where unknown properties inside structured values are reported. */
  readonly unknown?: UnknownField;
  /** The path of the step, for those reports. */
  readonly path?: string;
}

/**
 * A canonical step of `stepType`, its fields read by model name through `read`. Shared by every
 * source: code and state (plain values), and the carriers of both generations.
 */
export function buildStep(
  stepType: StepTypeName,
  read: (field: string) => unknown,
  nested: (options: readonly never[]) => OptionContent[],
  options: BuildStepOptions = {},
): StepModel {
  const step: Record<string, unknown> = {};
  for (const field of stepPlan(stepType, options.later !== false)) {
    if (field === "stepType") step.stepType = stepType;
    else if (field === "options") {
      const value = read("options");
      const list = Array.isArray(value) ? nested(value as never[]) : [];
      step.options = list.sort(byRankThenKey);
    } else {
      const { name, kind } = field;
      // Only records report unknown properties at a path: the others need none.
      const value = coerceValue(kind, read(name), kind.type === "records" ? `${options.path ?? ""}.${name}` : "", options.unknown);
      if (field.defaultJson !== undefined && JSON.stringify(value) === field.defaultJson) continue;
      step[name] = value;
    }
  }
  return step as StepModel;
}

/** One field of a step in the order buildStep writes them: the model's sorted keys. */
type PlannedField =
  | "stepType"
  | "options"
  | { readonly name: string; readonly kind: StepField["kind"]; readonly defaultJson: string | undefined };

/** The fields buildStep writes for a step type, sorted, worked out once per type: with later fields, and without. */
const stepPlans = { later: new Map<StepTypeName, readonly PlannedField[]>(), only102: new Map<StepTypeName, readonly PlannedField[]>() };

function stepPlan(stepType: StepTypeName, later: boolean): readonly PlannedField[] {
  const plans = later ? stepPlans.later : stepPlans.only102;
  let plan = plans.get(stepType);
  if (plan) return plan;
  const all = allStepFields(stepType);
  const names = Object.keys(later ? all : stepFields(stepType));
  if (stepType === "Split") names.push("options");
  names.push("stepType");
  plan = names.sort().map((name): PlannedField => {
    if (name === "stepType" || name === "options") return name;
    const spec = all[name]!;
    // A field left out while it holds its default (it came after 10.2.9): its default as JSON.
    return { name, kind: spec.kind, defaultJson: omittedAtDefault(spec) ? JSON.stringify(defaultFieldValue(spec.kind)) : undefined };
  });
  plans.set(stepType, plan);
  return plan;
}

/** What a 10.2 carrier's step of a type may hold besides its server fields (lower case). */
const carrierFields = new Map<StepTypeName, ReadonlySet<string>>();

function knownCarrierFields(stepType: StepTypeName): ReadonlySet<string> {
  let known = carrierFields.get(stepType);
  if (!known) {
    const set = new Set(Object.keys(stepFields(stepType)).map((f) => f.toLowerCase()));
    set.add("steptype");
    if (stepType === "Split") set.add("options");
    carrierFields.set(stepType, (known = set));
  }
  return known;
}

function byRankThenKey(a: OptionContent, b: OptionContent): number {
  return a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Carriers: the server's PascalCase JSON

/** A SuperOffice `WorkflowStepOption` as it travels (PascalCase, server fields included). */
export interface OptionCarrier {
  WorkflowStepOptionId?: number;
  WorkflowStepId?: number;
  WorkflowId?: number;
  Key?: string;
  Name?: string;
  Rank?: number;
  Steps?: StepCarrier[];
  [extra: string]: unknown;
}

export interface StepCarrier {
  WorkflowStepId?: number;
  WorkflowId?: number;
  StepType?: string;
  Rank?: number;
  Options?: OptionCarrier[];
  [field: string]: unknown;
}

/** Properties of a carrier that are the server's own and never part of the model. */
const SERVER_ONLY = new Set([...FIELD_RIGHTS, "workflowstepoptionid", "workflowstepid", "workflowid", "rank"]);

export interface FromCarrierResult {
  option: OptionModel;
  id: number;
  /** Fields the model cannot express, as `Steps[2].Foo`; reported by import, never silently lost. */
  unknown: string[];
}

/** Converts a server option to the model. Throws a plain Error for an unknown step type. */
export function optionFromCarrier(carrier: unknown): FromCarrierResult {
  const unknown: string[] = [];
  const c = caseInsensitive(carrier);
  const content = contentFromCarrier(c, "", unknown);
  return {
    option: placedOption(content, toInt(c.get("workflowid")), toInt(c.get("workflowstepid"))),
    id: toInt(c.get("workflowstepoptionid")),
    unknown,
  };
}

/** A carrier's steps in the order they run: by Rank; a server that omits Rank keeps array order. */
export function stepsInRunOrder(c: Map<string, unknown>): Map<string, unknown>[] {
  const rawSteps = c.get("steps");
  const steps = Array.isArray(rawSteps) ? rawSteps.map((s) => caseInsensitive(s)) : [];
  if (ascendingRanks(steps)) return steps;
  return steps
    .map((s, i) => ({ s, i, rank: typeof s.get("rank") === "number" ? (s.get("rank") as number) : i }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map(({ s }) => s);
}

/** Whether every step has a Rank, each above the one before: as a server sends them, nothing to sort. */
function ascendingRanks(steps: readonly Map<string, unknown>[]): boolean {
  let previous = -Infinity;
  for (const s of steps) {
    const rank = s.get("rank");
    if (typeof rank !== "number" || !(rank > previous)) return false;
    previous = rank;
  }
  return true;
}

function contentFromCarrier(c: Map<string, unknown>, path: string, unknown: string[]): OptionContent {
  return {
    key: toStr(c.get("key")),
    name: toStr(c.get("name")),
    rank: toInt(c.get("rank")),
    steps: stepsInRunOrder(c).map((s, i) => stepFromCarrier(s, `${path}Steps[${i}]`, unknown)),
  };
}

function stepFromCarrier(s: Map<string, unknown>, path: string, unknown: string[]): StepModel {
  const stepType = resolveStepType(s.get("steptype"));
  if (!stepType) throw new Error(`${path}: unknown StepType ${JSON.stringify(s.get("steptype"))}`);
  const known = knownCarrierFields(stepType);
  for (const k of s.keys()) {
    if (!known.has(k) && !SERVER_ONLY.has(k)) unknown.push(`${path}.${k}`);
  }
  return buildStep(
    stepType,
    (field) => s.get(lowerCase(field)),
    (nested) =>
      nested.map((o, i) => contentFromCarrier(caseInsensitive(o), `${path}.Options[${i}].`, unknown)),
    { later: false },
  );
}

/**
 * Converts the model to the carrier sent to SaveWorkflowStepOption. `id` 0 creates.
 * `previous`, the server's last answer for this option, lends its step ids to steps of the same
 * type at the same position, so an update keeps the server's steps (and the participants
 * waiting in them) instead of replacing every step.
 */
export function optionToCarrier(option: OptionModel, id: number, previous?: unknown): OptionCarrier {
  const carrier = contentToCarrier(option, option.workflowId, previous);
  return {
    WorkflowStepOptionId: id,
    WorkflowStepId: option.workflowStepId,
    WorkflowId: option.workflowId,
    ...carrier,
  };
}

function contentToCarrier(content: OptionContent, workflowId: number, previous: unknown): OptionCarrier {
  // Positions are compared in run order, the order the model's steps are in.
  const prev = stepsInRunOrder(caseInsensitive(previous));
  return {
    Key: content.key,
    Name: content.name,
    Rank: content.rank,
    Steps: content.steps.map((step, i) => stepToCarrier(step, i, workflowId, prev[i])),
  };
}

function stepToCarrier(
  step: StepModel,
  index: number,
  workflowId: number,
  prev: Map<string, unknown> | undefined,
): StepCarrier {
  const sameType = prev !== undefined && resolveStepType(prev.get("steptype")) === step.stepType;
  const stepId = sameType ? toInt(prev.get("workflowstepid")) : 0;
  // Send the step type as this server spelled it (10.2.9 says UpdateParticipant for UpdateContact).
  const spelled = sameType ? prev.get("steptype") : undefined;
  const stepType = typeof spelled === "string" && !/^\d+$/.test(spelled) ? spelled : step.stepType;
  const out: StepCarrier = { WorkflowStepId: stepId, WorkflowId: workflowId, StepType: stepType, Rank: index + 1 };
  for (const field of Object.keys(stepFields(step.stepType))) out[pascalCase(field)] = step[field];
  if (step.stepType === "Split") {
    const prevOptions = sameType ? prev.get("options") : undefined;
    const prevByKey = new Map<string, unknown>();
    if (Array.isArray(prevOptions)) {
      for (const o of prevOptions) prevByKey.set(toStr(caseInsensitiveGet(o, "key")), o);
    }
    out.Options = (step.options ?? []).map((o) => {
      const prevOption = prevByKey.get(o.key);
      const nestedId = prevOption === undefined ? 0 : toInt(caseInsensitiveGet(prevOption, "workflowstepoptionid"));
      return {
        WorkflowStepOptionId: nestedId,
        WorkflowStepId: stepId,
        WorkflowId: workflowId,
        ...contentToCarrier(o, workflowId, prevOption),
      };
    });
  }
  return out;
}

export function toInt(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : 0;
}

export function toStr(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

