/**
 * File-system faults of the state in words: a full disk, a read-only or unwritable folder, a
 * path that is a folder or runs through a file. They become one WfsyncError naming the path
 * and what to do; any other error is a bug and stays as it is (with its stack).
 */
import { WfsyncError, describeFsFault, fsFaultCode } from "../errors.js";

/** A write of the state (journal line, state file, lock) failed: E_STATE_WRITE. */
export function stateWriteError(file: string, err: unknown): WfsyncError {
  if (err instanceof WfsyncError) return err;
  return new WfsyncError("E_STATE_WRITE", `cannot write the state ${file}: ${describeFsFault(err)}`, {
    cause: err,
    detail: "Free space on that disk (or make the state folder writable), then run again: nothing recorded so far is lost.",
  });
}

/**
 * Opening the state failed on the file system: E_STATE_PATH (a path that is a folder, runs
 * through a file, or may not be written), E_STATE_WRITE (a full disk). Undefined for other errors.
 */
export function statePathError(statePath: string, err: unknown): WfsyncError | undefined {
  const code = fsFaultCode(err);
  if (code === undefined) return undefined;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG" || code === "EIO") return stateWriteError(statePath, err);
  const at = (err as NodeJS.ErrnoException).path;
  if (code === "EISDIR" && (at === undefined || at === statePath)) {
    return new WfsyncError("E_STATE_PATH", `The state path ${statePath} is a folder.`, {
      cause: err,
      detail: 'Set config "state" to a file, e.g. ".wfsync/state.json" (the default).',
    });
  }
  const where = at && at !== statePath ? ` (${at})` : "";
  const permission = code === "EACCES" || code === "EPERM" || code === "EROFS";
  return new WfsyncError("E_STATE_PATH", `Cannot use the state path ${statePath}: ${describeFsFault(err)}${where}.`, {
    cause: err,
    detail: permission
      ? 'Make that folder writable for this user, or set config "state" to a path that is.'
      : 'Set config "state" to a file in a folder wfsync may create, e.g. ".wfsync/state.json" (the default).',
  });
}
