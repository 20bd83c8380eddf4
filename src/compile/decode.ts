/**
 * Turns the sandbox's JSON answers back into values: a user's values (encoded by
 * sandbox-runtime.ts) and the definitions the builders recorded. The JSON was made by code that
 * ran next to the user's, which could have tampered with it, so its shape is checked here, and
 * anything that does not fit is a MalformedData error rather than a crash further on. What
 * JSON.parse made is fresh plain data, so it is decoded in place.
 */
import type { CallSite } from "../dsl/callsite.js";
import { WORKFLOW_MARK, type OptionDecl, type SplitDecl, type StepDecl, type WorkflowDefinition } from "../dsl/workflow.js";
import { STEP_TYPE_NAMES } from "../model/steps.js";
import type { Encoded, SiteData } from "./sandbox-runtime.js";

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
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Sets a property of parsed data; defineProperty, so a key "__proto__" stays a key. */
function put(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function decodeValue(value: Encoded | undefined): unknown {
  if (value === null || value === undefined || typeof value !== "object") {
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") throw new MalformedData("not a value");
    return value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const decoded = decodeValue(value[i]);
      if (decoded !== value[i]) value[i] = decoded as Encoded;
    }
    return value;
  }
  if (!hasOwn(value, "$")) {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, Encoded>)[key];
      const decoded = decodeValue(item);
      if (decoded !== item) put(value, key, decoded);
    }
    return value;
  }
  return decodeTagged(value as { $: unknown; v?: unknown });
}

function decodeTagged(value: { $: unknown; v?: unknown }): unknown {
  switch (value.$) {
    case "undefined":
      return undefined;
    case "number":
      return Number(value.v);
    case "bigint":
      try {
        return BigInt(String(value.v));
      } catch {
        throw new MalformedData("not a bigint");
      }
    case "symbol":
      return Symbol(String(value.v));
    case "function":
      return new OpaqueValue(`[function ${String(value.v) || "(anonymous)"}]`);
    case "cut":
      return new OpaqueValue(String(value.v));
    case "object": {
      if (!Array.isArray(value.v)) throw new MalformedData("not an object");
      const out: Record<string, unknown> = {};
      for (const entry of value.v as unknown[]) {
        if (!Array.isArray(entry) || typeof entry[0] !== "string") throw new MalformedData("not an entry");
        put(out, entry[0], decodeValue(entry[1] as Encoded));
      }
      return out;
    }
    default:
      throw new MalformedData("unknown tag");
  }
}

/** The definitions of one entry; `files` is the table its sites index. */
export function decodeDefinitions(data: unknown, files: unknown): WorkflowDefinition[] {
  const names = Array.isArray(files) && files.every((f) => typeof f === "string") ? (files as string[]) : [];
  const site = (value: SiteData | undefined): CallSite | undefined => {
    if (!Array.isArray(value)) return undefined;
    const [i, line, column] = value;
    const file = names[i as number];
    if (file === undefined || !Number.isInteger(line) || !Number.isInteger(column)) return undefined;
    return { file, line, column };
  };
  const option = (o: Record<string, unknown>): OptionDecl => {
    if (!Number.isInteger(o.position)) throw new MalformedData("no position");
    return {
      key: decodeValue(o.key as Encoded),
      name: decodeValue(o.name as Encoded),
      rank: decodeValue(o.rank as Encoded),
      when: o.when === undefined ? undefined : decodeValue(o.when as Encoded),
      position: o.position as number,
      steps: records(o.steps).map(step),
      ...flag(o),
      site: site(o.site as SiteData),
    };
  };
  const step = (s: Record<string, unknown>): StepDecl => {
    if (typeof s.stepType !== "string" || !STEP_TYPES.has(s.stepType) || typeof s.method !== "string") throw new MalformedData("not a step");
    const fields = decodeValue(s.fields as Encoded);
    if (fields === null || typeof fields !== "object" || Array.isArray(fields) || fields instanceof OpaqueValue) throw new MalformedData("no fields");
    return {
      stepType: s.stepType as StepDecl["stepType"],
      method: s.method,
      fields: fields as Record<string, unknown>,
      ...(s.options === undefined ? {} : { options: records(s.options).map(option) }),
      ...flag(s),
      site: site(s.site as SiteData),
    };
  };
  const split = (s: Record<string, unknown>): SplitDecl => ({
    workflowStepId: decodeValue(s.workflowStepId as Encoded),
    options: records(s.options).map(option),
    ...(s.moves === undefined ? {} : { moves: records(s.moves).map((m) => ({ from: decodeValue(m.from as Encoded), to: decodeValue(m.to as Encoded), site: site(m.site as SiteData) })) }),
    ...flag(s),
    site: site(s.site as SiteData),
  });
  return records(data).map((d) => {
    const def = { [WORKFLOW]: true, workflowId: decodeValue(d.workflowId as Encoded), splits: records(d.splits).map(split), ...flag(d), site: site(d.site as SiteData) };
    return def as unknown as WorkflowDefinition;
  });
}

function records(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new MalformedData("not a list");
  for (const item of value) if (item === null || typeof item !== "object" || Array.isArray(item)) throw new MalformedData("not a record");
  return value as Record<string, unknown>[];
}

function flag(decl: Record<string, unknown>): { async?: true } {
  return decl.async === true ? { async: true } : {};
}
