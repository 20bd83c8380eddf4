/**
 * Binds request bodies the way the SuperOffice WebAPI does: property names case-insensitively
 * (the last of several names differing only in case wins), enums by name, missing values as the
 * type's default. Every problem is collected with its path, so a 400 names all of them at once.
 * Binding assigns no ids and checks no references; the store does that.
 */
import { caseInsensitive, pascalCase } from "../model/carrier.js";
import type { OptionInput, StepInput } from "./records.js";
import { NAME_MAX_LENGTH, splitTooDeep, tooLong } from "../model/rules.js";
import {
  STEP_TYPE_ALIASES,
  defaultFieldValue,
  resolveStepType,
  stepFields,
  type FieldKind,
  type StepTypeName,
} from "../model/steps.js";

export interface BindProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * A step as bound from a request: what the store takes (every field of its type present,
 * PascalCase names; the StepType name as sent, so UpdateParticipant stays UpdateParticipant),
 * plus the type it resolved to.
 */
export interface BoundStep extends StepInput {
  readonly type: StepTypeName;
  /** Only on Split steps. */
  readonly options?: readonly BoundOption[];
}

export interface BoundOption extends Omit<OptionInput, "steps" | "fields"> {
  readonly steps: readonly BoundStep[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export class Binder {
  readonly problems: BindProblem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Binds a `WorkflowStepOption`; undefined when the value is not an object at all. */
  option(raw: unknown, path: string, depth = 0): BoundOption | undefined {
    if (!isObject(raw)) {
      this.problem(path || "(body)", `expected a WorkflowStepOption object, got ${describe(raw)}`);
      return undefined;
    }
    const c = caseInsensitive(raw);
    const at = (name: string): string => (path ? `${path}.${name}` : name);
    const name = this.string(c.get("name"), at("Name"));
    const long = tooLong(name, NAME_MAX_LENGTH);
    if (long) this.problem(at("Name"), `is ${long.length} characters long; the maximum is ${long.max}`);
    return {
      id: this.int(c.get("workflowstepoptionid"), at("WorkflowStepOptionId")),
      workflowStepId: this.int(c.get("workflowstepid"), at("WorkflowStepId")),
      workflowId: this.int(c.get("workflowid"), at("WorkflowId")),
      key: this.string(c.get("key"), at("Key")),
      name,
      rank: this.int(c.get("rank"), at("Rank")),
      steps: this.steps(c.get("steps"), at("Steps"), depth),
    };
  }

  steps(raw: unknown, path: string, depth: number): BoundStep[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      this.problem(path, `expected an array of steps, got ${describe(raw)}`);
      return [];
    }
    const out: BoundStep[] = [];
    raw.forEach((s, i) => {
      const step = this.step(s, `${path}[${i}]`, depth);
      if (step) out.push(step);
    });
    return out;
  }

  /** Binds a `WorkflowStepBase`, polymorphic on its `StepType` string. */
  step(raw: unknown, path: string, depth: number): BoundStep | undefined {
    if (!isObject(raw)) {
      this.problem(path, `expected a step object, got ${describe(raw)}`);
      return undefined;
    }
    const c = caseInsensitive(raw);
    const typeName = stepTypeName(c.get("steptype"));
    if (!typeName) {
      this.problem(`${path}.StepType`, `unknown StepType ${JSON.stringify(c.get("steptype") ?? null)}`);
      return undefined;
    }
    const type = resolveStepType(typeName) as StepTypeName;
    const fields: Record<string, unknown> = {};
    for (const [field, kind] of Object.entries(stepFields(type))) {
      const wire = pascalCase(field);
      fields[wire] = this.field(kind, c.get(field.toLowerCase()), `${path}.${wire}`);
    }
    const step: BoundStep = {
      id: this.int(c.get("workflowstepid"), `${path}.WorkflowStepId`),
      type,
      typeName,
      rank: this.int(c.get("rank"), `${path}.Rank`),
      fields,
    };
    if (type !== "Split") return step;
    return { ...step, options: this.nestedOptions(c.get("options"), `${path}.Options`, depth + 1) };
  }

  private nestedOptions(raw: unknown, path: string, depth: number): BoundOption[] {
    return bindNestedOptions(raw, path, depth, (p, m) => this.problem(p, m), (o, at) => this.option(o, at, depth));
  }

  /** A step field of the table in model/steps.ts; missing or null becomes the default. */
  field(kind: FieldKind, value: unknown, path: string): unknown {
    if (value === undefined || value === null) return defaultFieldValue(kind);
    switch (kind.type) {
      case "int":
        return this.int(value, path);
      case "string":
        return this.string(value, path);
      case "bool":
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        this.problem(path, `expected a boolean, got ${describe(value)}`);
        return false;
      case "int[]":
        if (!Array.isArray(value)) {
          this.problem(path, `expected an array of integers, got ${describe(value)}`);
          return [];
        }
        return value.map((v, i) => this.int(v, `${path}[${i}]`));
      case "enum":
        return this.enumName(kind.values, value, path);
      default: {
        const never: never = kind;
        return never;
      }
    }
  }

  /** Integers bind from JSON numbers and from integer strings, as Json.NET does. */
  int(value: unknown, path: string): number {
    if (value === undefined || value === null) return 0;
    const n = typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) return n;
    this.problem(path, `expected an integer, got ${describe(value)}`);
    return 0;
  }

  /**
   * Strings bind from JSON strings only. Json.NET would also turn a number into a string; the
   * emulator refuses it so a client that sends the wrong type learns it here, not on a tenant.
   */
  string(value: unknown, path: string): string {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    this.problem(path, `expected a string, got ${describe(value)}`);
    return "";
  }

  /** Enums travel as names (any case); Json.NET also accepts the number. */
  private enumName(values: readonly string[], value: unknown, path: string): string {
    if (typeof value === "string") {
      const lower = value.trim().toLowerCase();
      const found = values.find((v) => v.toLowerCase() === lower);
      if (found !== undefined) return found;
    } else if (typeof value === "number" && Number.isInteger(value) && values[value] !== undefined) {
      return values[value]!;
    }
    this.problem(path, `expected one of ${values.join(", ")}, got ${describe(value)}`);
    return values[0]!;
  }
}

/**
 * The StepType to store for a sent value: the table's spelling of the name (or of its alias,
 * so UpdateParticipant is answered as it was sent); a number becomes the table's name.
 */
export function stepTypeName(value: unknown): string | undefined {
  const type = resolveStepType(value);
  if (!type) return undefined;
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    const alias = Object.keys(STEP_TYPE_ALIASES).find((a) => a.toLowerCase() === lower);
    if (alias !== undefined) return alias;
  }
  return type;
}

/**
 * A nested split's `Options` (on either generation), each bound by `bind`; a split nested too
 * deep or a list that is no array is a problem at `path`. Too deep is refused rather than
 * risking the stack; validation refuses the same depth in code.
 */
export function bindNestedOptions<T>(
  raw: unknown,
  path: string,
  depth: number,
  problem: (path: string, message: string) => void,
  bind: (option: unknown, path: string) => T | undefined,
): T[] {
  if (raw === undefined || raw === null) return [];
  const tooDeep = splitTooDeep(depth);
  if (tooDeep) {
    problem(path, `splits are nested more than ${tooDeep.max} levels deep`);
    return [];
  }
  if (!Array.isArray(raw)) {
    problem(path, `expected an array of options, got ${describe(raw)}`);
    return [];
  }
  return raw.flatMap((o, i) => bind(o, `${path}[${i}]`) ?? []);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A sent value in a few words, for problem messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

export function formatProblems(problems: readonly BindProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}
