/**
 * Binds EmailFlow bodies the way a 12.x server does (generation 12): names case-insensitively
 * (the last duplicate wins), steps polymorphic on `StepType` and options on `OptionType`, every
 * field of the carrier filled in; structures it does not interpret (triggers, goals, restriction
 * groups, …) are kept with PascalCase names. Beyond the server, names it knows nothing of are kept as sent
 * (on flows, steps and options): they stand in for fields of a newer server, so tests can check
 * that a client gives back what it does not understand. Names a 12.x server has no use for are
 * dropped as it drops them: an option's `Key`, a 10.2 step field 12.x renamed, `TableRight`.
 */
import { caseInsensitive, pascalCase } from "../model/carrier.js";
import { NAME_MAX_LENGTH, tooLong } from "../model/rules.js";
import { Binder, bindNestedOptions, describe, isObject, type BindProblem } from "./bind.js";
import {
  ALL_OPTION_KIND_FIELDS,
  FLOW_FIELDS,
  OPTION_KIND_FIELDS,
  SPLIT_OPTION_TYPES,
  currentStepFields,
  defaultCurrentValue,
  removedStepFields,
  resolveCurrentStepType,
  type CurrentFieldKind,
  type CurrentStepType,
  type SplitOptionType,
} from "./flow-schema.js";
import type { OptionInput, StepInput } from "./records.js";

export interface BoundFlow {
  readonly emailFlowId: number;
  readonly name: string;
  /** Every EmailFlow field the client may set, defaults filled in, then unknown names as sent. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly steps: readonly CurrentStep[];
}

export interface CurrentStep extends StepInput {
  readonly type: CurrentStepType;
  readonly options?: readonly CurrentOption[];
}

export interface CurrentOption extends OptionInput {
  readonly optionType: SplitOptionType;
  readonly steps: readonly CurrentStep[];
}

const CARRIER_ONLY = ["tableright", "fieldproperties"];
const STEP_BASE = ["workflowstepid", "workflowid", "steptype", "rank"];
const OPTION_BASE = ["optiontype", "workflowstepoptionid", "workflowstepid", "workflowid", "name", "rank", "steps"];
// EmailFlow has no WorkflowId (the archive maps one to the other); the 10.2 profile answers one.
const FLOW_KNOWN = new Set([...FLOW_FIELDS.map(([n]) => n.toLowerCase()), ...CARRIER_ONLY, "workflowid"]);
const OPTION_KNOWN = new Set([...OPTION_BASE, ...ALL_OPTION_KIND_FIELDS.map((f) => f.toLowerCase()), "key", ...CARRIER_ONLY]);
const stepKnown = new Map<CurrentStepType, ReadonlySet<string>>();

function knownStepNames(type: CurrentStepType): ReadonlySet<string> {
  let known = stepKnown.get(type);
  if (!known) {
    const own = [...Object.keys(currentStepFields(type)), ...removedStepFields(type), ...(type === "Split" ? ["Options"] : [])];
    stepKnown.set(type, (known = new Set([...STEP_BASE, ...own.map((f) => f.toLowerCase())])));
  }
  return known;
}

export class FlowBinder {
  private readonly base = new Binder();

  get problems(): readonly BindProblem[] {
    return this.base.problems;
  }

  problem(path: string, message: string): void {
    this.base.problem(path, message);
  }

  int(value: unknown, path: string): number {
    return this.base.int(value, path);
  }

  string(value: unknown, path: string): string {
    return this.base.string(value, path);
  }

  /** Binds an `EmailFlow`; undefined when the value is not an object at all. */
  flow(raw: unknown, path = ""): BoundFlow | undefined {
    if (!isObject(raw)) {
      this.problem(path || "(body)", `expected an EmailFlow object, got ${describe(raw)}`);
      return undefined;
    }
    const c = caseInsensitive(raw);
    const at = (name: string): string => (path ? `${path}.${name}` : name);
    const fields: Record<string, unknown> = {};
    for (const [name, kind] of FLOW_FIELDS) {
      if (kind.type === "bound" || kind.type === "server") continue;
      fields[name] = this.field(kind, c.get(name.toLowerCase()), at(name));
    }
    return {
      emailFlowId: this.int(c.get("emailflowid"), at("EmailFlowId")),
      name: this.name(c.get("name"), at("Name")),
      fields: { ...fields, ...unknownNames(raw, FLOW_KNOWN) },
      steps: this.steps(c.get("steps"), at("Steps"), 0),
    };
  }

  steps(raw: unknown, path: string, depth: number): CurrentStep[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.problem(path, `expected an array of steps, got ${describe(raw)}`);
      return [];
    }
    return raw.flatMap((s, i) => this.step(s, `${path}[${i}]`, depth) ?? []);
  }

  /** Binds a `WorkflowStepBase`, polymorphic on its `StepType`. */
  step(raw: unknown, path: string, depth: number): CurrentStep | undefined {
    if (!isObject(raw)) {
      this.problem(path, `expected a step object, got ${describe(raw)}`);
      return undefined;
    }
    const c = caseInsensitive(raw);
    const sent = c.get("steptype");
    const type = resolveCurrentStepType(sent);
    if (!type) {
      const hint = typeof sent === "string" && sent.trim().toLowerCase() === "updatecontact" ? " (12.x servers call step type 6 UpdateParticipant)" : "";
      this.problem(`${path}.StepType`, `unknown StepType ${JSON.stringify(sent ?? null)}${hint}`);
      return undefined;
    }
    const fields: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(currentStepFields(type))) {
      fields[name] = this.field(kind, c.get(name.toLowerCase()), `${path}.${name}`);
    }
    if (type === "Split") {
      const long = tooLong(fields.SplitName as string, NAME_MAX_LENGTH);
      if (long) this.problem(`${path}.SplitName`, `is ${long.length} characters long; the maximum is ${long.max}`);
    }
    const step: CurrentStep = {
      id: this.int(c.get("workflowstepid"), `${path}.WorkflowStepId`),
      type,
      typeName: type,
      rank: this.int(c.get("rank"), `${path}.Rank`),
      fields: { ...fields, ...unknownNames(raw, knownStepNames(type)) },
    };
    return type === "Split" ? { ...step, options: this.options(c.get("options"), `${path}.Options`, depth + 1) } : step;
  }

  private options(raw: unknown, path: string, depth: number): CurrentOption[] {
    return bindNestedOptions(raw, path, depth, (p, m) => this.problem(p, m), (o, at) => this.option(o, at, depth));
  }

  /** Binds a `WorkflowStepOptionBase`, polymorphic on its `OptionType`; a sent Key is dropped. */
  option(raw: unknown, path: string, depth: number): CurrentOption | undefined {
    if (!isObject(raw)) {
      this.problem(path || "(body)", `expected a WorkflowStepOption object, got ${describe(raw)}`);
      return undefined;
    }
    const c = caseInsensitive(raw);
    const at = (name: string): string => (path ? `${path}.${name}` : name);
    const optionType = this.field({ type: "enum", values: SPLIT_OPTION_TYPES }, c.get("optiontype"), at("OptionType")) as SplitOptionType;
    const kindFields: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(OPTION_KIND_FIELDS[optionType])) {
      kindFields[name] = this.field(kind, c.get(name.toLowerCase()), at(name));
    }
    return {
      id: this.int(c.get("workflowstepoptionid"), at("WorkflowStepOptionId")),
      workflowStepId: this.int(c.get("workflowstepid"), at("WorkflowStepId")),
      workflowId: this.int(c.get("workflowid"), at("WorkflowId")),
      key: "",
      name: this.name(c.get("name"), at("Name")),
      rank: this.int(c.get("rank"), at("Rank")),
      steps: this.steps(c.get("steps"), at("Steps"), depth),
      optionType,
      fields: { OptionType: optionType, ...kindFields, ...unknownNames(raw, OPTION_KNOWN) },
    };
  }

  /** Flags as Json.NET writes them: set names by value, joined by ", "; none set is the 0 name. */
  private flags(values: readonly (readonly [string, number])[], value: unknown, path: string): string {
    let bits = typeof value === "number" && Number.isInteger(value) ? value : 0;
    if (typeof value === "string") {
      for (const part of value.split(",").map((p) => p.trim().toLowerCase())) {
        const found = values.find(([name]) => name.toLowerCase() === part);
        if (found) bits |= found[1];
        else this.problem(path, `unknown flag ${JSON.stringify(part)}; expected names of ${values.map(([n]) => n).join(", ")}`);
      }
    } else if (typeof value !== "number") this.problem(path, `expected flag names or a number, got ${describe(value)}`);
    const set = values.filter(([, bit]) => bit !== 0 && (bits & bit) === bit).map(([name]) => name);
    return set.length > 0 ? set.join(", ") : values[0]![0];
  }

  private name(value: unknown, path: string): string {
    const name = this.string(value, path);
    const long = tooLong(name, NAME_MAX_LENGTH);
    if (long) this.problem(path, `is ${long.length} characters long; the maximum is ${long.max}`);
    return name;
  }

  /** A field of the 12.x tables; missing or null becomes the default. */
  field(kind: CurrentFieldKind, value: unknown, path: string): unknown {
    if (value === undefined || value === null) return defaultCurrentValue(kind);
    switch (kind.type) {
      case "int":
      case "string":
      case "bool":
      case "int[]":
      case "enum":
        return this.base.field(kind, value, path);
      case "number":
        if (typeof value === "number" && Number.isFinite(value)) return value;
        this.problem(path, `expected a number, got ${describe(value)}`);
        return 0;
      case "string[]":
        if (Array.isArray(value)) return value.map((v, i) => this.string(v, `${path}[${i}]`));
        this.problem(path, `expected an array of strings, got ${describe(value)}`);
        return [];
      case "date":
        if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return value;
        this.problem(path, `expected a date-time like "2026-09-17T10:31:06", got ${describe(value)}`);
        return defaultCurrentValue(kind);
      case "flags":
        return this.flags(kind.values, value, path);
      case "structure":
        return pascalCased(value);
      default: {
        const never: never = kind;
        return never;
      }
    }
  }
}

/** Property names PascalCase at every level (of several spellings the last wins); values as sent. */
function pascalCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalCased);
  if (!isObject(value)) return value;
  const out = new Map<string, readonly [string, unknown]>();
  for (const [name, v] of Object.entries(value)) out.set(name.toLowerCase(), [pascalCase(name), pascalCased(v)]);
  return Object.fromEntries(out.values());
}

/** The names of `raw` not in `known` (lower case), as sent; of several spellings the last wins. */
function unknownNames(raw: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  const kept = new Map<string, readonly [string, unknown]>();
  for (const [name, value] of Object.entries(raw)) {
    const lower = name.toLowerCase();
    if (!known.has(lower)) kept.set(lower, [name, value]);
  }
  return Object.fromEntries(kept.values());
}
