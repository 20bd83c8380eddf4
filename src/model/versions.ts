/**
 * SuperOffice API generations and server versions: what the step table and the option kinds are
 * dated with, and how a tenant's version is compared with them.
 */

/** `10.2`: servers 10.2.4–10.2.9 (one option at a time); `12`: 10.2.10 → 12.x (whole flows). */
export type ApiGeneration = "10.2" | "12";

export const API_GENERATIONS: readonly ApiGeneration[] = ["10.2", "12"];

/** A server version as the release notes name it: `10.2.11`, `11.2`, `10.3.1.759`. */
export type ServerVersion = string;

/** The last server of the 10.2 generation: fields added after it are left out of the model at their default. */
export const LAST_PER_OPTION_VERSION = "10.2.9";
/** The first server of the current generation (the flow API). */
export const FIRST_FLOW_VERSION = "10.2.10";

/** `10.3.1.759` → [10, 3, 1, 759]; undefined for anything else. */
export function parseVersion(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+){0,3}$/.test(trimmed)) return undefined;
  return trimmed.split(".").map(Number);
}

/** Compares by component, a missing component counting as 0 (`11.2` = `11.2.0`). Throws for a malformed version. */
export function compareVersions(a: ServerVersion, b: ServerVersion): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) throw new Error(`not a server version: ${JSON.stringify(x ? b : a)}`);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether something added in `since` came after the 10.2 generation (so the model leaves it out at its default). */
export function isAfterPerOptionApi(since: ServerVersion | undefined): boolean {
  return since !== undefined && compareVersions(since, LAST_PER_OPTION_VERSION) > 0;
}
