/**
 * How the server spells property names: it answers in PascalCase and binds what it is sent
 * case-insensitively (the last of several names differing only in case wins). The model, the
 * engine and the emulator all read and write carriers through these two helpers.
 */

/** Reads property names the way the server binds them: case-insensitively, last duplicate wins. */
export function caseInsensitive(obj: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (obj && typeof obj === "object" && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) map.set(k.toLowerCase(), v);
  }
  return map;
}

/** The wire name of a model field: `timeWaitAlgorithm` → `TimeWaitAlgorithm`. */
export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
