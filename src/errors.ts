/**
 * One error base class for everything wfsync reports. `code` is stable (scripts and tests match
 * on it); `location` points into the user's code, `related` to another place the problem
 * involves; `userError` separates the user's mistakes (bad input, refused operations) from bugs
 * and server faults. Locations stay structured until printed: the code frame is made by
 * `formatError` from the file's text, not when the error is created.
 */
import { redactUrlsInText } from "./redact.js";

export interface SourceLocation {
  /** Path as shown to the user (relative to the project root where possible). */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** Reads back what formatLocation wrote; undefined for text of another shape. */
export function parseLocation(text: string): SourceLocation | undefined {
  // The last two `:`-separated parts, which must be digits (a file name may hold `:` itself).
  const second = text.lastIndexOf(":");
  const first = second > 0 ? text.lastIndexOf(":", second - 1) : -1;
  if (first <= 0) return undefined;
  const line = text.slice(first + 1, second);
  const column = text.slice(second + 1);
  return DIGITS.test(line) && DIGITS.test(column) ? { file: text.slice(0, first), line: Number(line), column: Number(column) } : undefined;
}

const DIGITS = /^\d+$/;

export interface WfsyncErrorOptions {
  location?: SourceLocation | undefined;
  /** Another place the problem involves, e.g. the earlier declaration of a split declared twice. */
  related?: SourceLocation | undefined;
  /** The text of the file `location` points into, as it was checked: the code frame's source. */
  sourceText?: string | undefined;
  cause?: unknown;
  /** Printed under the message (and its code frame): a hint, a list of problems. */
  detail?: string | undefined;
  userError?: boolean;
}

export class WfsyncError extends Error {
  readonly code: string;
  readonly location: SourceLocation | undefined;
  readonly related: SourceLocation | undefined;
  declare readonly sourceText: string | undefined;
  readonly detail: string | undefined;
  readonly userError: boolean;

  constructor(code: string, message: string, options: WfsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WfsyncError";
    this.code = code;
    this.location = options.location;
    this.related = options.related;
    // Kept out of JSON and inspection: it is a whole file, and only a few lines of it are shown.
    Object.defineProperty(this, "sourceText", { value: options.sourceText, enumerable: false });
    this.detail = options.detail;
    this.userError = options.userError ?? true;
  }
}

/** The same error, with the text of the file it points into (for its code frame). */
export function withSourceText(err: WfsyncError, text: string): WfsyncError {
  return new WfsyncError(err.code, err.message, {
    location: err.location,
    related: err.related,
    sourceText: text,
    detail: err.detail,
    cause: err.cause,
    userError: err.userError,
  });
}

/** Several problems found at once (validation reports all of them, not the first). */
export class WfsyncErrors extends WfsyncError {
  readonly errors: readonly WfsyncError[];

  constructor(code: string, message: string, errors: readonly WfsyncError[]) {
    super(code, message);
    this.name = "WfsyncErrors";
    this.errors = errors;
  }
}

export interface FormatErrorOptions {
  /** Paint the location (cyan) and `error CODE` (red), as on a terminal. */
  color?: boolean;
}

/**
 * Renders one error the way the CLI prints it: `file:line:col - error CODE: message`, then the
 * code frame (when the file's text is known), then detail.
 */
export function formatError(err: WfsyncError, options: FormatErrorOptions = {}): string {
  if (err instanceof WfsyncErrors) return [...err.errors.map((e) => formatError(e, options)), `${err.message}`].join("\n\n");
  const paint = (code: number, s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const where = err.location ? `${paint(36, formatLocation(err.location))} - ` : "";
  const head = `${where}${paint(31, `error ${err.code}`)}: ${err.message}`;
  const frame = err.location && err.sourceText ? codeFrame(err.sourceText, err.location.line, err.location.column) : undefined;
  return [head, frame, err.detail].filter((part) => part).join("\n");
}

/** A few lines of source around `line` (1-based) with a caret under `column` (1-based). */
export function codeFrame(text: string, line: number, column: number, context = 2): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? ">" : " ";
    // A URL written with its password in a config or workflow file is not shown with it.
    out.push(`${marker} ${String(n).padStart(width)} | ${redactUrlsInText(lines[n - 1] ?? "")}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

/** Errno codes of file-system faults a user can act on, in words. */
const FS_FAULTS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EISDIR: "it is a folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "a part of the path is a file, not a folder",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
};

/** The errno code of a file-system fault a user can act on (a full disk, a path that is a folder), else undefined. */
export function fsFaultCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && code in FS_FAULTS ? code : undefined;
}

/** "no space left on device" for ENOSPC; the error's own message otherwise. */
export function describeFsFault(err: unknown): string {
  const code = fsFaultCode(err);
  return code ? FS_FAULTS[code]! : err instanceof Error ? err.message : String(err);
}
