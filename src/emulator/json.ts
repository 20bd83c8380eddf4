/** JSON request bodies, parsed as leniently as the server's binder (Json.NET) parses them. */

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Parses a request body; empty means `null`. Json.NET, which the server binds with, accepts
 * trailing commas (a captured SuperOffice call sends one), so a second attempt drops them.
 */
export function parseJson(text: string): JsonResult {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch (err) {
    try {
      return { ok: true, value: JSON.parse(withoutTrailingCommas(trimmed)) };
    } catch {
      return { ok: false, message: (err as Error).message };
    }
  }
}

/** Removes commas followed only by whitespace and `}` or `]`, outside strings. */
function withoutTrailingCommas(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|,(\s*[}\]])/g, (_match, str: string | undefined, close: string | undefined) =>
    str !== undefined ? str : close!,
  );
}
