/**
 * Where a state lives: a file (a path) or a PostgreSQL database (a `postgres://` or
 * `postgresql://` URL). The URL names the database as libpq does and adds two parameters of
 * wfsync's own, which are taken off before the URL is handed to the client:
 *
 * - `name`: which state in the database (default: the tenant's normalised URL, so every tenant
 *   has its own without configuration); a name is bound to one tenant like a file is.
 * - `schema`: the schema wfsync keeps its tables in (default `wfsync`, created if missing).
 *
 * Credentials come from the environment only (PGPASSWORD, ~/.pgpass, or WFSYNC_STATE_URL), so
 * the URL is always shown with its userinfo redacted.
 */
import { redactUrl } from "../redact.js";
import { WfsyncError } from "../errors.js";

export { hasPassword, isDatabaseState } from "../state-url.js";

export const DEFAULT_SCHEMA = "wfsync";

export interface DatabaseLocation {
  /** What the client connects with (wfsync's own parameters removed); may hold a password. */
  readonly connectionString: string;
  readonly schema: string;
  /** `?name=`; else the state is named after the tenant. */
  readonly name: string | undefined;
  /** The URL as it may be shown: no userinfo. */
  readonly shown: string;
}

export function parseDatabaseLocation(state: string): DatabaseLocation {
  let url: URL;
  try {
    url = new URL(state.trim());
  } catch {
    throw new WfsyncError("E_STATE_URL", `The state URL ${redactUrl(state)} is not a URL.`, {
      detail: 'Write it as postgres://USER@HOST:PORT/DATABASE (optionally ?name=STATE&schema=SCHEMA); the password comes from PGPASSWORD.',
    });
  }
  const name = url.searchParams.get("name") ?? undefined;
  const schema = url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
  if (name !== undefined && name.trim() === "") throw badParameter(state, "name", "must not be empty");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw badParameter(state, "schema", "must be a lower-case SQL name (letters, digits, _)");
  url.searchParams.delete("name");
  url.searchParams.delete("schema");
  return { connectionString: url.toString(), schema, name, shown: redactUrl(withoutSearch(state)) + showParams(name, schema) };
}

function badParameter(state: string, param: string, what: string): WfsyncError {
  return new WfsyncError("E_STATE_URL", `The state URL ${redactUrl(state)}: "${param}" ${what}.`);
}

function withoutSearch(state: string): string {
  const q = state.indexOf("?");
  return q < 0 ? state : state.slice(0, q);
}

/** Only wfsync's own parameters are shown: others (sslmode, options) may be long or sensitive. */
function showParams(name: string | undefined, schema: string): string {
  const params = new URLSearchParams();
  if (name !== undefined) params.set("name", name);
  if (schema !== DEFAULT_SCHEMA) params.set("schema", schema);
  const text = params.toString();
  return text ? `?${text}` : "";
}
