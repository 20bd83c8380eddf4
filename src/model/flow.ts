/**
 * Options as the current generation carries them (servers 10.2.10 → 12.x): a Split's
 * `WorkflowStepOptionBase` inside a whole `EmailFlow`. No Key (the key is code's and the state's),
 * the option's kind in `OptionType` and its fields, steps with the current wire names (CreateFollowUp
 * `Owner`, `ActionTime`…, CreateRequest `TicketStatus`, step type `UpdateParticipant`). Pure: the
 * engine's flow adapter reads and writes options through here.
 */
import { FIELD_RIGHTS, caseInsensitive, caseInsensitiveGet, pascalCase } from "./carrier.js";
import {
  buildStep,
  placedOption,
  sortedContent,
  toInt,
  toStr,
  type OptionContent,
  type OptionModel,
  type StepCarrier,
  type StepModel,
} from "./option.js";
import { recordsToWire } from "./records.js";
import { allStepFields, defaultFieldValue, omittedAtDefault, resolveStepType, stepTypeSpec, type StepField, type StepTypeName } from "./steps.js";
import {
  KIND_FIELDS,
  OPTION_KINDS,
  canonicalWhen,
  optionIdentity,
  resolveOptionType,
  whenToCarrier,
  type OptionType,
  type OptionWhen,
} from "./when.js";

/** A `WorkflowStepOptionBase` as wfsync sends it (PascalCase; the kind's fields beside OptionType). */
export interface FlowOptionCarrier {
  OptionType: OptionType;
  WorkflowStepOptionId: number;
  WorkflowStepId: number;
  WorkflowId: number;
  Name: string;
  Rank: number;
  Steps: StepCarrier[];
  [kindField: string]: unknown;
}

export interface FromFlowCarrierResult {
  readonly id: number;
  /** Key "" on every level: the server stores none (see adoptKeys). */
  readonly option: OptionModel;
  /** Properties the model cannot express, as `Steps[2].Foo` (`Foo` for the option's own). */
  readonly unknown: string[];
}

/** Option properties that are the server's own or are read into the model. */
const OPTION_PROPERTIES = new Set([...FIELD_RIGHTS, "optiontype", "workflowstepoptionid", "workflowstepid", "workflowid", "name", "rank", "steps", "key"]);
/** Step properties that are the server's own (ids, ranks, rights). */
const STEP_SERVER_ONLY = new Set([...FIELD_RIGHTS, "workflowstepid", "workflowid", "rank"]);

/**
 * Converts an option of the current generation to the model. Throws a plain Error naming where
 * for a step type or option kind the model does not know. A `Key` property (no current server
 * sends one) is ignored.
 */
export function optionFromFlowCarrier(carrier: unknown): FromFlowCarrierResult {
  const unknown: string[] = [];
  const c = caseInsensitive(carrier);
  const content = contentFromFlow(carrier, "", unknown);
  return {
    id: toInt(c.get("workflowstepoptionid")),
    option: placedOption(content, toInt(c.get("workflowid")), toInt(c.get("workflowstepid"))),
    unknown,
  };
}

function contentFromFlow(carrier: unknown, path: string, unknown: string[]): OptionContent {
  const c = caseInsensitive(carrier);
  const where = path ? `${path.slice(0, -1)}: ` : "";
  const type = c.get("optiontype") === undefined || c.get("optiontype") === null ? "None" : resolveOptionType(c.get("optiontype"));
  if (!type) throw new Error(`${where}unknown OptionType ${JSON.stringify(c.get("optiontype"))}`);
  const own = type === "None" ? new Set<string>() : kindFieldsOf(type);
  for (const k of rawKeys(carrier)) {
    const lower = k.toLowerCase();
    if (OPTION_PROPERTIES.has(lower) || own.has(lower)) continue;
    // Another kind's field at its default says nothing; with a value it is something the model would lose.
    if ((KIND_FIELDS as readonly string[]).includes(lower) && isEmpty(c.get(lower))) continue;
    unknown.push(`${path}${k}`);
  }
  const when = type === "None" ? undefined : canonicalWhen(type, (field) => c.get(field.toLowerCase()), (p) => unknown.push(`${path}${p}`));
  const steps = runOrder(c.get("steps")).map(({ raw }, i) => stepFromFlow(raw, `${path}Steps[${i}]`, unknown));
  return sortedContent("", toStr(c.get("name")), toInt(c.get("rank")), steps, when);
}

function kindFieldsOf(kind: Exclude<OptionType, "None">): Set<string> {
  const spec = OPTION_KINDS[kind];
  return new Set([...(spec.target ? [spec.target.toLowerCase()] : []), ...(spec.groups ? ["restrictiongroups"] : [])]);
}

function stepFromFlow(raw: unknown, path: string, unknown: string[]): StepModel {
  const s = caseInsensitive(raw);
  const stepType = resolveStepType(s.get("steptype"));
  if (!stepType) throw new Error(`${path}: unknown StepType ${JSON.stringify(s.get("steptype"))}`);
  const fields = allStepFields(stepType);
  const known = new Set([...STEP_SERVER_ONLY, "steptype", ...(stepTypeSpec(stepType).serverKept ?? []).map((f) => f.toLowerCase())]);
  if (stepType === "Split") known.add("options");
  for (const [name, field] of Object.entries(fields)) for (const wire of wireNames(name, field)) known.add(wire.toLowerCase());
  for (const k of rawKeys(raw)) if (!known.has(k.toLowerCase())) unknown.push(`${path}.${k}`);
  return buildStep(
    stepType,
    (name) => readFlowField(s, name, fields[name]),
    (nested) => nested.map((o, j) => contentFromFlow(o, `${path}.Options[${j}].`, unknown)),
    { unknown: (p) => unknown.push(`${path}${p}`), path: "" },
  );
}

/** Every name the field has had on the wire: the PascalCase model name, and the one it was renamed to. */
function wireNames(name: string, field: StepField | undefined): string[] {
  return field?.renamed ? [field.renamed.to, pascalCase(name)] : [pascalCase(name)];
}

function readFlowField(s: Map<string, unknown>, name: string, field: StepField | undefined): unknown {
  if (name === "options") return s.get("options");
  const wire = wireNames(name, field).find((w) => s.has(w.toLowerCase()));
  const value = wire === undefined ? undefined : s.get(wire.toLowerCase());
  if (field?.flowEnum) return fromFlowEnum(field.flowEnum, value);
  // A date never set: DateTime.MinValue, or nothing (inferred from the server's .NET carriers).
  if (field?.kind.type === "date" && typeof value === "string" && value.startsWith("0001-01-01")) return "";
  return value;
}

/** A value of a field that is an enum on the current generation, as the model has it: its `none` as "". */
function fromFlowEnum(spec: NonNullable<StepField["flowEnum"]>, value: unknown): unknown {
  const name = typeof value === "number" && Number.isInteger(value) ? spec.values[value] : value;
  if (typeof name !== "string") return value;
  const known = spec.values.find((v) => v.toLowerCase() === name.toLowerCase());
  return known === spec.none ? "" : (known ?? name);
}

// ---------------------------------------------------------------------------------------------
// To the server

/**
 * The carrier to put into the Split's `Options` for `option`; `id` 0 creates. `previous`, the
 * server's last answer for this option, lends its step ids to steps of the same type at the same
 * position (as on 10.2), its nested options' ids to nested options of the same identity, and
 * what the server keeps for itself (DistributeToOwner's queue) to the step it belongs to.
 */
export function optionToFlowCarrier(option: OptionModel, id: number, previous?: unknown): FlowOptionCarrier {
  return contentToFlow(option, id, option.workflowStepId, option.workflowId, previous);
}

function contentToFlow(content: OptionContent, id: number, workflowStepId: number, workflowId: number, previous: unknown): FlowOptionCarrier {
  const prev = runOrder(caseInsensitiveGet(previous, "steps"));
  return {
    ...whenToCarrier(content.when),
    WorkflowStepOptionId: id,
    WorkflowStepId: workflowStepId,
    WorkflowId: workflowId,
    Name: content.name,
    Rank: content.rank,
    Steps: content.steps.map((step, i) => stepToFlow(step, i, workflowId, prev[i]?.raw)),
  } as FlowOptionCarrier;
}

function stepToFlow(step: StepModel, index: number, workflowId: number, previous: unknown): StepCarrier {
  const prev = caseInsensitive(previous);
  const sameType = previous !== undefined && resolveStepType(prev.get("steptype")) === step.stepType;
  const p = sameType ? prev : new Map<string, unknown>();
  const stepId = toInt(p.get("workflowstepid"));
  const out: StepCarrier = { WorkflowStepId: stepId, WorkflowId: workflowId, StepType: flowStepType(step.stepType), Rank: index + 1 };
  for (const [name, field] of Object.entries(allStepFields(step.stepType))) {
    const value = step[name] === undefined ? defaultFieldValue(field.kind) : step[name];
    // A later field at its default is left to the server (a server older than the field would not bind it).
    if (omittedAtDefault(field) && step[name] === undefined) continue;
    out[flowWireName(name, field, p)] = writeFlowValue(field, value, p.get(flowWireName(name, field, p).toLowerCase()));
  }
  for (const kept of stepTypeSpec(step.stepType).serverKept ?? []) {
    if (p.has(kept.toLowerCase())) out[pascalCase(kept)] = p.get(kept.toLowerCase());
  }
  if (step.stepType === "Split") {
    const options = step.options ?? [];
    out.SplitOptionType = splitOptionTypeOf(options);
    const lent = lendOptionIds(options, p.get("options"));
    out.Options = options.map((o, j) => contentToFlow(o, lent[j]!.id, stepId, workflowId, lent[j]!.previous));
  }
  return out;
}

/** The current generation's name of a step type: step type 6 is only UpdateParticipant there. */
export function flowStepType(type: StepTypeName): string {
  return type === "UpdateContact" ? "UpdateParticipant" : type;
}

/**
 * The field's wire name on the current generation: the newest, unless the server's last answer
 * spelled it the old way only (a server from before the rename, e.g. CreateRequest `Status`
 * before 10.3.3).
 */
function flowWireName(name: string, field: StepField, previous: Map<string, unknown>): string {
  if (!field.renamed) return pascalCase(name);
  const old = pascalCase(name);
  return previous.has(old.toLowerCase()) && !previous.has(field.renamed.to.toLowerCase()) ? old : field.renamed.to;
}

function writeFlowValue(field: StepField, value: unknown, previous: unknown): unknown {
  if (field.flowEnum && value === "") return field.flowEnum.none;
  if (field.kind.type === "records" && Array.isArray(value)) return recordsToWire(field.kind.record, value, previous);
  return value;
}

/** The Split's `SplitOptionType` for these options: the kind their `when` shares, None when they have none. */
export function splitOptionTypeOf(options: readonly { readonly when?: OptionWhen | undefined }[]): OptionType {
  return options.find((o) => o.when)?.when?.kind ?? "None";
}

/** Each nested option's id and server carrier: the previous option of the same identity, each used once. */
function lendOptionIds(options: readonly OptionContent[], previous: unknown): { id: number; previous: unknown }[] {
  const pool = (Array.isArray(previous) ? previous : []).map((carrier) => {
    let identity: string | undefined;
    try {
      identity = optionIdentity(contentFromFlow(carrier, "", []));
    } catch {
      identity = undefined;
    }
    return { carrier, identity, used: false };
  });
  return options.map((o) => {
    const match = pool.find((p) => !p.used && p.identity === optionIdentity(o));
    if (!match) return { id: 0, previous: undefined };
    match.used = true;
    return { id: toInt(caseInsensitiveGet(match.carrier, "workflowstepoptionid")), previous: match.carrier };
  });
}

// ---------------------------------------------------------------------------------------------
// Keys

/**
 * The server's option with the keys code and state know it by: `key` for the option itself, and
 * for nested options the key of the `reference` option (desired or last applied) of the same
 * identity (kind + target + name) at the same place; a nested option without one keeps "" (and so
 * differs from any declared option). Nested options are re-sorted as the model sorts them.
 *
 * Values the current generation cannot tell apart take the reference's spelling too: a follow-up's
 * `availability` read as "" (the wire's Busy, its default) is "Busy" where the reference says so.
 */
export function adoptKeys(live: OptionModel, key: string, reference?: OptionContent): OptionModel {
  const content = adoptContentKeys(live, key, reference);
  return placedOption(content, live.workflowId, live.workflowStepId);
}

function adoptContentKeys(live: OptionContent, key: string, reference: OptionContent | undefined): OptionContent {
  const steps = live.steps.map((step, i) => {
    if (step.stepType !== "Split") return adoptSpelling(step, reference?.steps[i]);
    const ref = reference?.steps[i]?.stepType === "Split" ? (reference.steps[i]!.options ?? []) : [];
    const used = new Set<number>();
    const options = (step.options ?? []).map((o) => {
      const j = ref.findIndex((r, n) => !used.has(n) && optionIdentity(r) === optionIdentity(o));
      if (j >= 0) used.add(j);
      return adoptContentKeys(o, j >= 0 ? ref[j]!.key : "", j >= 0 ? ref[j] : undefined);
    });
    options.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { ...step, options };
  });
  return sortedContent(key, live.name, live.rank, steps, live.when);
}

/** The step with the reference step's value where the wire cannot tell it from the live one. */
function adoptSpelling(step: StepModel, reference: StepModel | undefined): StepModel {
  if (!reference || reference.stepType !== step.stepType) return step;
  let out: Record<string, unknown> | undefined;
  for (const [name, field] of Object.entries(allStepFields(step.stepType))) {
    if (field.flowEnum && step[name] === "" && reference[name] === field.flowEnum.none) (out ??= { ...step })[name] = reference[name];
  }
  return (out as StepModel | undefined) ?? step;
}

// ---------------------------------------------------------------------------------------------

/** Carrier steps in run order (by Rank; array order without one), with the raw carriers. */
function runOrder(value: unknown): { raw: unknown; index: number }[] {
  const list = Array.isArray(value) ? value : [];
  return list
    .map((raw, index) => {
      const rank = caseInsensitiveGet(raw, "rank");
      return { raw, index, rank: typeof rank === "number" ? rank : index };
    })
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ raw, index }) => ({ raw, index }));
}

function rawKeys(value: unknown): string[] {
  return value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || (Array.isArray(v) && v.length === 0);
}
