/**
 * Turns the sandbox's JSON answers back into values: a user's values (encoded by
 * sandbox-runtime.ts) and the definitions the builders recorded. The JSON was made by code that
 * ran next to the user's, which could have tampered with it, so its shape is checked here, and
 * anything that does not fit is a MalformedData error rather than a crash further on.
 */
import type { CallSite } from "../dsl/callsite.js";
import { WORKFLOW_MARK, type OptionDecl, type SplitDecl, type StepDecl, type WorkflowDefinition } from "../dsl/workflow.js";
import { STEP_TYPE_NAMES, type StepTypeName } from "../model/steps.js";
import type { DefinitionData, Encoded, OptionData, SiteData, SplitData, StepData } from "./sandbox-runtime.js";

export class MalformedData extends Error {}

/** A user's value with no data form (a function, a cut-off cycle), shown as validation shows values. */
export class OpaqueValue {
  constructor(private readonly text: string) {}

  toJSON(): undefined {
    return undefined;
  }

  toString(): string {
    return this.text;
  }
}

const STEP_TYPES = new Set<string>(STEP_TYPE_NAMES);
const WORKFLOW = Symbol.for(WORKFLOW_MARK);

export function decodeValue(value: Encoded): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  if (typeof value !== "object") throw new MalformedData("not a value");
  switch (value.$) {
    case "undefined":
      return undefined;
    case "number":
      return Number(value.v);
    case "bigint":
      return BigInt(value.v);
    case "symbol":
      return Symbol(value.v);
    case "function":
      return new OpaqueValue(`[function ${value.v || "(anonymous)"}]`);
    case "cut":
      return new OpaqueValue(String(value.v));
    case "object": {
      if (!Array.isArray(value.v)) throw new MalformedData("not an object");
      const out: Record<string, unknown> = {};
      for (const entry of value.v) {
        if (!Array.isArray(entry) || typeof entry[0] !== "string") throw new MalformedData("not an entry");
        // defineProperty: a key named "__proto__" stays a key.
        Object.defineProperty(out, entry[0], { value: decodeValue(entry[1]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new MalformedData("unknown tag");
  }
}

export function decodeDefinitions(data: unknown): WorkflowDefinition[] {
  return list<DefinitionData>(data).map((d) => {
    const def = { [WORKFLOW]: true, workflowId: decodeValue(d.workflowId), splits: list<SplitData>(d.splits).map(decodeSplit), ...flag(d), site: site(d.site) };
    return def as unknown as WorkflowDefinition;
  });
}

function decodeSplit(s: SplitData): SplitDecl {
  return { workflowStepId: decodeValue(s.workflowStepId), options: list<OptionData>(s.options).map(decodeOption), ...flag(s), site: site(s.site) };
}

function decodeOption(o: OptionData): OptionDecl {
  if (!Number.isInteger(o.position)) throw new MalformedData("no position");
  return {
    key: decodeValue(o.key),
    name: decodeValue(o.name),
    rank: decodeValue(o.rank),
    position: o.position,
    steps: list<StepData>(o.steps).map(decodeStep),
    ...flag(o),
    site: site(o.site),
  };
}

function decodeStep(s: StepData): StepDecl {
  if (typeof s.stepType !== "string" || !STEP_TYPES.has(s.stepType) || typeof s.method !== "string") throw new MalformedData("not a step");
  const fields = decodeValue(s.fields);
  if (fields === null || typeof fields !== "object" || Array.isArray(fields) || fields instanceof OpaqueValue) throw new MalformedData("no fields");
  return {
    stepType: s.stepType as StepTypeName,
    method: s.method,
    fields: fields as Record<string, unknown>,
    ...(s.options === undefined ? {} : { options: list<OptionData>(s.options).map(decodeOption) }),
    ...flag(s),
    site: site(s.site),
  };
}

function list<T>(value: unknown): T[] {
  // The records are checked field by field where they are read.
  if (!Array.isArray(value)) throw new MalformedData("not a list");
  return value.map((item) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new MalformedData("not a record");
    return item as T;
  });
}

function flag(decl: { async?: unknown }): { async?: true } {
  return decl.async === true ? { async: true } : {};
}

function site(value: SiteData | undefined): CallSite | undefined {
  if (!Array.isArray(value)) return undefined;
  const [file, line, column] = value;
  if (typeof file !== "string" || !Number.isInteger(line) || !Number.isInteger(column)) return undefined;
  return { file, line, column };
}
