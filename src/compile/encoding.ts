/**
 * Workflow files must be UTF-8. Read leniently (as TypeScript and `readFileSync(…, "utf8")`
 * do), a byte that is not UTF-8 — an "é" saved as Latin-1, say — becomes U+FFFD and an option
 * named "Café" would be sent to the tenant as "Caf�", with no warning. So a file whose text
 * holds U+FFFD is read again as bytes and checked strictly.
 */
import { readFileSync } from "node:fs";
import { WfsyncError } from "../errors.js";
import { displayPath } from "../paths.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file's text if it is readable UTF-8, otherwise undefined. */
export function readUtf8(file: string): string | undefined {
  try {
    return strict.decode(readFileSync(file));
  } catch {
    return undefined;
  }
}

/**
 * An error located at the first byte that is not UTF-8, if `text` (the file as it was read)
 * came from such a file; undefined when the file is UTF-8 (U+FFFD may be in it on purpose).
 */
export function utf8Problem(file: string, text: string, root: string): WfsyncError | undefined {
  if (!text.includes("\uFFFD")) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
    strict.decode(bytes);
    return undefined;
  } catch {
    // Unreadable now (then the type check says so) or not UTF-8: find the byte.
  }
  const at = firstInvalidByte(bytes!);
  if (at === undefined) return undefined;
  const lineStart = bytes!.lastIndexOf(0x0a, at - 1) + 1;
  const line = bytes!.subarray(0, lineStart).filter((b) => b === 0x0a).length + 1;
  const column = strict.decode(bytes!.subarray(lineStart, at)).length + 1;
  const hex = bytes![at]!.toString(16).toUpperCase().padStart(2, "0");
  return new WfsyncError("E_ENCODING", `${displayPath(file, root)} is not UTF-8 (byte 0x${hex} at line ${line} col ${column}); save it as UTF-8`, {
    location: { file: displayPath(file, root), line, column },
  });
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes) return undefined;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points above U+10FFFF.
    const second = bytes[i + 1]!;
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return undefined;
}
