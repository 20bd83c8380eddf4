/**
 * How the server spells property names: it answers in PascalCase and binds what it is sent
 * case-insensitively (the last of several names differing only in case wins). The model, the
 * engine and the emulator all read and write carriers through these two helpers.
 */

/** Reads property names the way the server binds them: case-insensitively, last duplicate wins. */
export function caseInsensitive(obj: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (obj && typeof obj === "object" && !Array.isArray(obj)) {
    const record = obj as Record<string, unknown>;
    for (const k of Object.keys(record)) map.set(lowerCase(k), record[k]);
  }
  return map;
}

/** One property, read as `caseInsensitive(obj).get(lower)` reads it, without building the map. */
export function caseInsensitiveGet(obj: unknown, lower: string): unknown {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  let found: unknown;
  for (const k of Object.keys(record)) if (lowerCase(k) === lower) found = record[k];
  return found;
}

/**
 * Property names repeat in every carrier (`WorkflowStepId`, `StepType`, …): each is lowered once.
 * Bounded, so that a server sending ever new names cannot grow it without end.
 */
const lowered = new Map<string, string>();
const MAX_LOWERED = 4096;

/** `name.toLowerCase()`, remembered for the names carriers use. */
export function lowerCase(name: string): string {
  let lower = lowered.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowered.size < MAX_LOWERED) lowered.set(name, lower);
  }
  return lower;
}

/** What a carrier says of the user's rights on it and its fields (lower case): the server's own, never part of the model. */
export const FIELD_RIGHTS: readonly string[] = ["tableright", "fieldproperties"];
const FIELD_RIGHT_SET = new Set(FIELD_RIGHTS);

/**
 * A server's option carrier without what it says of the user's rights (`TableRight`,
 * `FieldProperties`, on the option, its steps and their nested options): wfsync never reads
 * them and never sends them back.
 */
export function withoutFieldRights(carrier: unknown): unknown {
  if (!carrier || typeof carrier !== "object" || Array.isArray(carrier)) return carrier;
  const record = carrier as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const lower = lowerCase(key);
    if (FIELD_RIGHT_SET.has(lower)) continue;
    const value = record[key];
    out[key] = (lower === "steps" || lower === "options") && Array.isArray(value) ? value.map(withoutFieldRights) : value;
  }
  return out;
}

/** The wire name of a model field: `timeWaitAlgorithm` → `TimeWaitAlgorithm`. */
export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
