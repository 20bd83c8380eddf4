/**
 * Turns the server's option carriers into what the generated code will declare: the canonical
 * model, with a readable key for every option whose Key is empty or already taken in its split
 * (on the current generation, where the server stores no Key, for every option), and the list of
 * everything the DSL cannot express. Pure: no IO.
 */
import { fieldKindInWords } from "../compile/words.js";
import { FIELD_RIGHTS, caseInsensitive, caseInsensitiveGet } from "../model/carrier.js";
import { adoptKeys } from "../model/flow.js";
import { canonicalOption, type OptionContent, type OptionModel, type StepModel } from "../model/option.js";
import {
  KEY_MAX_LENGTH,
  checkName,
  checkWaitForTime,
  checkWhen,
  fieldProblem,
  isDeclarableRank,
  missingRequiredFields,
  sharedRanks,
  splitTooDeep,
  tooLong,
  type FieldProblem,
  type WaitForTimeProblem,
  type WhenProblem,
} from "../model/rules.js";
import { readFlowSplitOption, readSplitOption } from "../model/split.js";
import { allStepFields, defaultFieldValue, stepFields } from "../model/steps.js";
import type { ApiGeneration } from "../model/versions.js";
import type { OptionWhen } from "../model/when.js";
import type { ServerSplit, ServerWorkflow } from "./read.js";

export interface GeneratedKey {
  /** Position in the option: "" for the option itself, `/i.j` per level for nested options (step i, option j). */
  readonly path: string;
  /** The option in words, for messages: `option "vip"` or `step 3 (Split) › option 2 "Hot"`. */
  readonly where: string;
  readonly serverKey: string;
  readonly key: string;
  readonly reason: "empty" | "duplicate";
}

interface OptionBase {
  readonly id: number;
  /** As the server has them. */
  readonly key: string;
  readonly name: string;
  readonly rank: number;
  readonly carrier: unknown;
}

export interface SupportedOption extends OptionBase {
  readonly supported: true;
  /**
   * The option as the server has it (canonical). On the current generation, which stores no
   * keys, with the declared keys (so its hash is the declared option's).
   */
  readonly server: OptionModel;
  /** The option as the generated code declares it: the server's, with generated keys. */
  readonly declared: OptionModel;
  /** Keys that differ from the server's Key (none on the current generation, where there is no Key). */
  readonly generatedKeys: readonly GeneratedKey[];
  /** The server calls step type 6 UpdateParticipant (10.2.9 and the current generation): use that method name. */
  readonly updateParticipant: boolean;
}

export interface UnsupportedOption extends OptionBase {
  readonly supported: false;
  /** What the DSL cannot express, one line each. */
  readonly problems: readonly string[];
}

export type ImportedOption = SupportedOption | UnsupportedOption;

export interface ImportedSplit {
  readonly workflowStepId: number;
  /** In the order they run: by rank, then id. */
  readonly options: readonly ImportedOption[];
}

export interface ImportedWorkflow {
  /** The generation the options were read from (absent: 10.2). */
  readonly api?: ApiGeneration;
  readonly workflowId: number;
  readonly emailFlowId?: number | undefined;
  readonly flowName?: string | undefined;
  readonly splits: readonly ImportedSplit[];
}

export interface ConvertOptions {
  /** The generation the carriers come from; default "10.2" (`WorkflowStepOption`, with Key). */
  readonly api?: ApiGeneration;
}

export function convertWorkflow(server: ServerWorkflow, options: ConvertOptions = {}): ImportedWorkflow {
  const api = options.api ?? "10.2";
  return {
    ...(api === "12" ? { api } : {}),
    workflowId: server.workflowId,
    emailFlowId: server.emailFlowId,
    flowName: server.flowName,
    splits: server.splits.map((s) => convertSplit(server.workflowId, s, api)),
  };
}

interface ReadOption extends OptionBase {
  readonly model?: OptionModel;
  readonly problems: string[];
}

function convertSplit(workflowId: number, split: ServerSplit, api: ApiGeneration): ImportedSplit {
  const read = split.options.map((carrier) => readOption(carrier, workflowId, split.workflowStepId, api));
  read.sort((a, b) => a.rank - b.rank || a.id - b.id);
  checkRanks(read, (o, problem) => o.problems.push(problem));
  checkKinds(read, (o, problem) => o.problems.push(problem));
  const keys = assignKeys(read);
  const options = read.map((o, i): ImportedOption => {
    const assigned = keys[i]!;
    if (!o.model) return { ...base(o), supported: false, problems: o.problems };
    const generatedKeys: GeneratedKey[] = [];
    if (assigned.reason && api === "10.2") {
      generatedKeys.push({ path: "", where: `option ${JSON.stringify(o.name)}`, serverKey: o.key, key: assigned.key, reason: assigned.reason });
    }
    const content = declareContent(o.model, assigned.key, { depth: 0, where: "", path: "", api }, generatedKeys, o.problems);
    if (o.problems.length) return { ...base(o), supported: false, problems: o.problems };
    const declared = canonicalOption({ ...content, workflowId, workflowStepId: split.workflowStepId });
    const server = api === "12" ? adoptKeys(o.model, declared.key, declared) : o.model;
    const updateParticipant = api === "12" || usesUpdateParticipant(o.carrier);
    return { ...base(o), supported: true, server, declared, generatedKeys, updateParticipant };
  });
  return { workflowStepId: split.workflowStepId, options };
}

function base(o: ReadOption): OptionBase {
  return { id: o.id, key: o.key, name: o.name, rank: o.rank, carrier: o.carrier };
}

function readOption(carrier: unknown, workflowId: number, workflowStepId: number, api: ApiGeneration): ReadOption {
  const c = caseInsensitive(carrier);
  const problems: string[] = [];
  const read = api === "12" ? readFlowSplitOption(carrier, workflowId, workflowStepId) : readSplitOption(carrier, workflowId, workflowStepId);
  if (read.unreadable !== undefined) problems.push(`${read.unreadable}: ${/OptionType/.test(read.unreadable) ? "an option kind" : "a step type"} the DSL does not know`);
  for (const field of read.unknownFields) problems.push(`${field}: a field the DSL cannot express`);
  if (api === "10.2") extraOptionProperties(carrier, "", problems);
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : 0);
  const { option: model, id } = read;
  if (!(id > 0)) problems.push("the option has no WorkflowStepOptionId");
  return {
    id,
    key: model?.key ?? text(c.get("key")),
    name: model?.name ?? text(c.get("name")),
    rank: model?.rank ?? int(c.get("rank")),
    carrier,
    ...(model ? { model } : {}),
    problems,
  };
}

/** The options of one split share one kind in code (validation's rule): each differing option is reported. */
function checkKinds<T extends { model?: OptionContent | undefined; when?: OptionWhen | undefined; name: string }>(
  options: readonly T[],
  problem: (o: T, text: string) => void,
): void {
  const kindOf = (o: T) => (o.model ? o.model.when : o.when)?.kind;
  const first = options.find((o) => kindOf(o) !== undefined);
  if (!first) return;
  for (const o of options) {
    const kind = kindOf(o);
    if (kind !== undefined && kind !== kindOf(first)) {
      problem(o, `its kind ${kind} differs from ${kindOf(first)} of option ${JSON.stringify(first.name)}; the DSL takes one kind per split`);
    }
  }
}

/** Ranks the DSL can declare: positive and unique in their split. */
function checkRanks<T extends { rank: number }>(options: readonly T[], problem: (o: T, text: string) => void): void {
  const shared = sharedRanks(options.map((o) => o.rank));
  options.forEach((o, i) => {
    const holders = shared[i];
    if (!isDeclarableRank(o.rank)) problem(o, `Rank is ${o.rank}; the DSL needs a positive rank`);
    else if (holders) problem(o, `Rank ${o.rank} is shared by ${holders.count} options of the split; the DSL needs distinct ranks`);
  });
}

/**
 * Keys as code declares them: the first option (in rank order) with a Key keeps it; an empty
 * Key or a repeat gets a slug of the option's name, made unique among every Key of the split.
 */
export function assignKeys(options: readonly { key: string; name: string }[]): { key: string; reason?: "empty" | "duplicate" }[] {
  const taken = new Set(options.map((o) => o.key));
  const kept = new Set<string>();
  return options.map((o) => {
    const empty = o.key.trim() === "";
    if (!empty && !kept.has(o.key)) {
      kept.add(o.key);
      return { key: o.key };
    }
    const base = slugify(o.name) || "option";
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base}-${n}`;
    taken.add(key);
    return { key, reason: empty ? "empty" : "duplicate" };
  });
}

export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 48)
    .replace(/-+$/, "");
}

/** Where an option's content sits: how many splits enclose it, and how messages and generated keys name it. */
interface Place {
  readonly depth: number;
  readonly where: string;
  readonly path: string;
  readonly api: ApiGeneration;
}

/**
 * Checks what the DSL can express of an option's content (name, key, steps, nested options) and
 * returns it as declared: with `key`, and generated keys for nested options. Problems and keys
 * are collected.
 */
function declareContent(content: OptionContent, key: string, place: Place, keys: GeneratedKey[], problems: string[]): OptionContent {
  const { depth, where, path } = place;
  const at = (text: string) => problems.push(where ? `${where}: ${text}` : text);
  const name = checkName(content.name);
  if (name?.code === "empty") at("the Name is empty; the DSL needs a name");
  else if (name?.code === "too-long") at(`the Name is ${name.length} characters; at most ${name.max} can be declared`);
  const longKey = tooLong(key, KEY_MAX_LENGTH);
  if (longKey) at(`the Key is ${longKey.length} characters; at most ${longKey.max} can be declared`);
  if (content.when) for (const p of checkWhen(content.when)) at(whenText(p, content.when));
  const steps = content.steps.map((step, i) => {
    const stepWhere = `${where ? `${where} › ` : ""}step ${i + 1} (${step.stepType})`;
    for (const text of stepProblems(step)) problems.push(`${stepWhere}: ${text}`);
    if (step.stepType !== "Split") return step;
    const tooDeep = splitTooDeep(depth + 1);
    if (tooDeep) {
      problems.push(`${stepWhere}: a split nested ${tooDeep.depth} deep; the DSL takes splits nested at most ${tooDeep.max} deep`);
      return step;
    }
    const nested = step.options ?? [];
    if (nested.length === 0) problems.push(`${stepWhere}: a nested split without options; the DSL needs at least one`);
    checkRanks(nested, (o, text) => problems.push(`${stepWhere} › option ${JSON.stringify(o.name)}: ${text}`));
    checkKinds(nested, (o, text) => problems.push(`${stepWhere} › option ${JSON.stringify(o.name)}: ${text}`));
    const assigned = assignKeys(nested);
    const options = nested.map((o, j) => {
      const a = assigned[j]!;
      const optionWhere = `${stepWhere} › option ${j + 1} ${JSON.stringify(o.name)}`;
      const optionPath = `${path}/${i}.${j}`;
      if (a.reason && place.api === "10.2") keys.push({ path: optionPath, where: optionWhere, serverKey: o.key, key: a.key, reason: a.reason });
      return declareContent(o, a.key, { ...place, depth: depth + 1, where: optionWhere, path: optionPath }, keys, problems);
    });
    return { ...step, options };
  });
  return { ...content, key, steps };
}

/** What of one step (its own fields, not nested options) the DSL cannot declare. */
function stepProblems(step: StepModel): string[] {
  const problems: string[] = [];
  for (const [name, field] of Object.entries(allStepFields(step.stepType))) {
    const problem = fieldProblem(field.kind, step[name]);
    if (problem) problems.push(fieldText(name, problem));
  }
  if (problems.length) return problems;
  for (const name of missingRequiredFields(step.stepType, step)) problems.push(`${name} is ${show(step[name])}; the DSL requires it (the step would do nothing)`);
  if (step.stepType === "WaitForTime") problems.push(...waitProblems(step));
  return problems;
}

/**
 * waitForTime() takes one shape per algorithm. A field counts as given when it differs from the
 * server's default; values left over from another algorithm are listed first.
 */
function waitProblems(step: StepModel): string[] {
  const defaults = stepFields("WaitForTime");
  const given = (n: string) => JSON.stringify(step[n]) !== JSON.stringify(defaultFieldValue(defaults[n]!));
  const { problems } = checkWaitForTime(step, given);
  const leftovers = problems.filter((p) => p.code === "unused-fields");
  return [...leftovers, ...problems.filter((p) => p.code !== "unused-fields")].flatMap((p) => waitText(p, step));
}

function waitText(p: WaitForTimeProblem, step: StepModel): string[] {
  switch (p.code) {
    case "unused-fields":
      return p.fields.map((n) => `${n} is ${show(step[n])}, which ${p.algorithm} does not use; the DSL cannot declare it (clear it in the flow editor)`);
    case "num-intervals":
      return [`numIntervals is ${show(p.value)}; the DSL needs a positive number`];
    case "interval-type":
      return [`intervalType is ${show(p.value)}; the DSL needs a unit such as "Days"`];
    case "until-format":
      return [`until is ${show(p.value)}; the DSL needs "[DT:MM/DD/YYYY HH:mm:ss]"`];
    case "until-not-real":
      return [`until is ${show(p.value)}; the DSL needs a real date and time ("[DT:MM/DD/YYYY HH:mm:ss]")`];
    case "no-algorithm":
      return [`timeWaitAlgorithm is ${show(p.algorithm)}; the DSL needs NumIntervals, UntilSpecified or UntilDateField`];
    default: {
      const never: never = p;
      return never;
    }
  }
}

function fieldText(name: string, p: FieldProblem): string {
  if (p.code === "no-such-field") return `${name}${p.path}: a ${p.what} the DSL cannot express`;
  return `${name}${p.path} is ${show(p.value)}; the DSL takes ${fieldKindInWords(p.kind, false)}`;
}

/** A kind's value the DSL cannot declare, in words (the server's names: SelectionId, RestrictionGroups). */
function whenText(p: WhenProblem, when: OptionWhen): string {
  switch (p.code) {
    case "target-id":
      return `the ${when.kind} option's ${p.field.charAt(0).toUpperCase()}${p.field.slice(1)} is ${show(p.value)}; the DSL needs a positive id`;
    case "no-groups":
      return `the ${when.kind} option has no RestrictionGroups; the DSL needs at least one`;
    case "empty-group":
      return `RestrictionGroups[${p.group}] has no restrictions; the DSL needs at least one`;
    case "restriction":
      return `RestrictionGroups${p.path.replace(/restrictions/g, "Restrictions").replace(/subRestrictions/g, "SubRestrictions")} has no ${p.missing === "name" ? "Name (column)" : "Operator"}; the DSL needs one`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

const OPTION_PROPERTIES = new Set([...FIELD_RIGHTS, "workflowstepoptionid", "workflowstepid", "workflowid", "key", "name", "rank", "steps"]);

/** Option properties the model has no place for (optionFromCarrier reports those of steps). */
function extraOptionProperties(carrier: unknown, path: string, problems: string[]): void {
  const c = caseInsensitive(carrier);
  if (carrier && typeof carrier === "object") {
    for (const k of Object.keys(carrier)) {
      if (!OPTION_PROPERTIES.has(k.toLowerCase())) problems.push(`${path}${k}: an option property the DSL cannot express`);
    }
  }
  const steps = c.get("steps");
  if (!Array.isArray(steps)) return;
  steps.forEach((step, i) => {
    const options = caseInsensitiveGet(step, "options");
    if (Array.isArray(options)) options.forEach((o, j) => extraOptionProperties(o, `${path}Steps[${i}].Options[${j}].`, problems));
  });
}

function usesUpdateParticipant(carrier: unknown): boolean {
  const c = caseInsensitive(carrier);
  const steps = c.get("steps");
  if (!Array.isArray(steps)) return false;
  return steps.some((step) => {
    const s = caseInsensitive(step);
    const type = s.get("steptype");
    if (typeof type === "string" && type.trim().toLowerCase() === "updateparticipant") return true;
    const options = s.get("options");
    return Array.isArray(options) && options.some(usesUpdateParticipant);
  });
}

function show(value: unknown): string {
  if (value === undefined) return "missing";
  return JSON.stringify(value) ?? String(value);
}
