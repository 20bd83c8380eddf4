/**
 * Whether config "state" names a database rather than a file, and whether such a URL carries a
 * password. Here, not in state/, because the config checks both before any state is opened.
 */

/** A `postgres://` or `postgresql://` URL: a state in PostgreSQL (see state/location.ts). */
export function isDatabaseState(state: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(state.trim());
}

/** Whether the URL carries a password (`user:secret@host`), which belongs in the environment. */
export function hasPassword(state: string): boolean {
  const at = state.lastIndexOf("@");
  if (at < 0) return false;
  return state.slice(state.indexOf("//") + 2, at).includes(":");
}
