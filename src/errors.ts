/**
 * One error base class for everything wfsync reports. `code` is stable (scripts and tests match
 * on it); `location` points into the user's code; `userError` separates the user's mistakes
 * (bad input, refused operations) from bugs and server faults.
 */
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

export interface WfsyncErrorOptions {
  location?: SourceLocation | undefined;
  cause?: unknown;
  /** A code frame or other detail printed under the message. */
  detail?: string | undefined;
  userError?: boolean;
}

export class WfsyncError extends Error {
  readonly code: string;
  readonly location: SourceLocation | undefined;
  readonly detail: string | undefined;
  readonly userError: boolean;

  constructor(code: string, message: string, options: WfsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WfsyncError";
    this.code = code;
    this.location = options.location;
    this.detail = options.detail;
    this.userError = options.userError ?? true;
  }
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

/** Renders one error the way the CLI prints it: `file:line:col - code: message`, then detail. */
export function formatError(err: WfsyncError): string {
  if (err instanceof WfsyncErrors) return [...err.errors.map(formatError), `${err.message}`].join("\n\n");
  const where = err.location ? `${formatLocation(err.location)} - ` : "";
  const head = `${where}error ${err.code}: ${err.message}`;
  return err.detail ? `${head}\n${err.detail}` : head;
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
