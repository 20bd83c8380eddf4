/**
 * Times as a SuperOffice server writes them. Carriers carry DateTimes the way Json.NET writes
 * one without a time zone (`2026-09-17T10:31:06.12`: the 12.4 client's converter reads only
 * strings with a `-`, so not the `[DT:…]` form); archive rows carry them culture-encoded
 * (`[DT:09/17/2026 10:31:06.1200000]`). The emulator's clock is UTC.
 */

/** Json.NET's round-trip format without a kind: fraction digits only when there are some. */
export function isoDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, -1).replace(/\.?0+$/, "");
}

/** Reads what `isoDateTime` wrote (or any ISO string); undefined when it is none. */
export function parseIsoDateTime(text: unknown): number | undefined {
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes("T") ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The `UpdatedDate` a save stamps: now, but always later than the one it replaces, so every save
 * is visible to a client comparing them even when two land within a clock tick.
 */
export function nextUpdatedDate(previous: unknown, now: number = Date.now()): string {
  const before = parseIsoDateTime(previous);
  return isoDateTime(before === undefined ? now : Math.max(now, before + 1));
}

/** The culture-encoded form archive values take: `[DT:MM/dd/yyyy HH:mm:ss.fffffff]`. */
export function encodeDateTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  const date = `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}0000`;
  return `[DT:${date} ${time}]`;
}
