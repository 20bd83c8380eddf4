/**
 * Field values in the model's canonical form, whatever they came from: code (camelCase), the state
 * file, or a carrier of either generation (PascalCase, enums as names or numbers). Structured
 * values (restriction groups, wait-for actions, field values) get every field, defaults filled
 * in, with sorted keys, so `JSON.stringify` stays a stable serialisation.
 */
import { caseInsensitive, pascalCase } from "./carrier.js";
import { RECORDS, defaultFieldValue, recordFieldDefault, type FlowFieldKind, type RecordName } from "./steps.js";

/** Reports a property the model has no place for, by its path (`actions[0].colour`). */
export type UnknownField = (path: string) => void;

/** Missing and null become `fallback` (the server's default); everything else is kept as given. */
export function coerceValue(kind: FlowFieldKind, value: unknown, path = "", unknown?: UnknownField, fallback?: unknown): unknown {
  if (value === undefined || value === null) return fallback !== undefined ? fallback : defaultFieldValue(kind);
  switch (kind.type) {
    case "int[]":
    case "string[]":
      return Array.isArray(value) ? [...value] : value;
    case "enum":
      if (typeof value === "string") return kind.values.find((v) => v.toLowerCase() === value.toLowerCase()) ?? value;
      // An enum by number (Json.NET's default without a string converter): the name, as the
      // emulator's binder reads it; otherwise a server answering numbers would differ for ever.
      if (typeof value === "number" && Number.isInteger(value) && kind.values[value] !== undefined) return kind.values[value];
      return value;
    case "records":
      return Array.isArray(value) ? canonicalRecords(kind.record, value, path, unknown) : value;
    default:
      return value;
  }
}

/** A list of records in canonical form; a ranked list in Rank order (array order where Rank is absent). */
export function canonicalRecords(name: RecordName, list: readonly unknown[], path = "", unknown?: UnknownField): Record<string, unknown>[] {
  const spec = RECORDS[name];
  const read = list.map((item, i) => ({ c: caseInsensitive(item), i, item }));
  if (spec.ranked) {
    const rank = (c: Map<string, unknown>) => (typeof c.get("rank") === "number" ? (c.get("rank") as number) : Number.POSITIVE_INFINITY);
    read.sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i);
  }
  const known = new Set([...Object.keys(spec.fields), ...spec.serverOnly].map((f) => f.toLowerCase()));
  if (spec.ranked) known.add("rank");
  return read.map(({ c, i, item }) => {
    const at = `${path}[${i}]`;
    if (unknown && item && typeof item === "object") {
      for (const k of Object.keys(item)) if (!known.has(k.toLowerCase())) unknown(`${at}.${k}`);
    }
    const out: Record<string, unknown> = {};
    for (const field of Object.keys(spec.fields).sort()) {
      const f = spec.fields[field]!;
      out[field] = coerceValue(f.kind, c.get(field.toLowerCase()), `${at}.${field}`, unknown, recordFieldDefault(f));
    }
    return out;
  });
}

/**
 * Records as a carrier holds them (PascalCase). Ranked records get Rank = position; a record with
 * its own id keeps the id of the record at the same position in `previous` (the server's last
 * answer), so an update does not replace what the server keeps under it.
 */
export function recordsToWire(name: RecordName, list: readonly unknown[], previous?: unknown): Record<string, unknown>[] {
  const spec = RECORDS[name];
  const prev = Array.isArray(previous) ? canonicalOrder(name, previous) : [];
  return list.map((record, i) => {
    const r = record as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (spec.id) out[spec.id] = toId(prev[i]?.get(spec.id.toLowerCase()));
    if (spec.ranked) out.Rank = i + 1;
    for (const [field, f] of Object.entries(spec.fields)) {
      const value = r[field] === undefined ? recordFieldDefault(f) : r[field];
      out[pascalCase(field)] = f.kind.type === "records" && Array.isArray(value) ? recordsToWire(f.kind.record, value) : value;
    }
    return out;
  });
}

/** The server's records in the order the model has them (Rank order for ranked records). */
function canonicalOrder(name: RecordName, list: readonly unknown[]): Map<string, unknown>[] {
  const read = list.map((item, i) => ({ c: caseInsensitive(item), i }));
  if (RECORDS[name].ranked) {
    const rank = (c: Map<string, unknown>) => (typeof c.get("rank") === "number" ? (c.get("rank") as number) : Number.POSITIVE_INFINITY);
    read.sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i);
  }
  return read.map(({ c }) => c);
}

function toId(v: unknown): number {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : 0;
}

/** Stable text of a canonical value (keys are sorted by construction): for identities and comparisons. */
export function stableText(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}
