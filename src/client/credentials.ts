/**
 * Credentials come from the environment only, never from the config file or flags. They are kept out of every log, error
 * and `JSON.stringify`/`util.inspect` of the object: only `describe()`-style text naming the
 * variables is ever shown.
 */
import { inspect } from "node:util";
import { WfsyncError } from "../errors.js";

export type Credentials =
  | { readonly scheme: "basic"; readonly username: string; readonly password: string; readonly appToken?: string; readonly source?: string }
  | { readonly scheme: "bearer"; readonly token: string; readonly appToken?: string; readonly source?: string }
  | { readonly scheme: "soticket"; readonly ticket: string; readonly appToken?: string; readonly source?: string };

export const CREDENTIAL_VARIABLES = [
  "WFSYNC_USERNAME",
  "WFSYNC_PASSWORD",
  "WFSYNC_TOKEN",
  "WFSYNC_TICKET",
  "WFSYNC_APP_TOKEN",
] as const;

const HOW_TO =
  "Set WFSYNC_USERNAME and WFSYNC_PASSWORD (Basic, on-site), WFSYNC_TOKEN (Bearer access token) or " +
  "WFSYNC_TICKET (SOTicket); on SuperOffice Online also WFSYNC_APP_TOKEN (sent as SO-AppToken).";

/**
 * Reads credentials from `env`. Exactly one scheme must be set: two would make it unclear which
 * one the server refused. Errors name variables, never values.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>): Credentials {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const username = get("WFSYNC_USERNAME");
  const password = get("WFSYNC_PASSWORD");
  const token = get("WFSYNC_TOKEN");
  const ticket = get("WFSYNC_TICKET");
  const appToken = get("WFSYNC_APP_TOKEN");

  const schemes: string[] = [];
  if (username !== undefined || password !== undefined) schemes.push("WFSYNC_USERNAME/WFSYNC_PASSWORD");
  if (token !== undefined) schemes.push("WFSYNC_TOKEN");
  if (ticket !== undefined) schemes.push("WFSYNC_TICKET");

  if (schemes.length === 0) {
    const extra = appToken !== undefined ? " WFSYNC_APP_TOKEN alone is not enough: it only identifies the app." : "";
    throw new WfsyncError("E_NO_CREDENTIALS", `No credentials in the environment.${extra}`, { detail: HOW_TO });
  }
  if (schemes.length > 1) {
    throw new WfsyncError(
      "E_CREDENTIALS_AMBIGUOUS",
      `Several credentials are set (${schemes.join(", ")}); set only one so it is clear which one is used.`,
      { detail: HOW_TO },
    );
  }
  const app = appToken === undefined ? {} : { appToken };
  if (token !== undefined) return hideSecrets({ scheme: "bearer", token, ...app, source: "WFSYNC_TOKEN" });
  if (ticket !== undefined) return hideSecrets({ scheme: "soticket", ticket, ...app, source: "WFSYNC_TICKET" });
  if (username === undefined || password === undefined) {
    const missing = username === undefined ? "WFSYNC_USERNAME" : "WFSYNC_PASSWORD";
    throw new WfsyncError("E_NO_CREDENTIALS", `${missing} is not set; Basic authentication needs both WFSYNC_USERNAME and WFSYNC_PASSWORD.`, {
      detail: HOW_TO,
    });
  }
  return hideSecrets({ scheme: "basic", username, password, ...app, source: "WFSYNC_USERNAME/WFSYNC_PASSWORD" });
}

/** Which variables (or other origin) the credentials came from, for messages. */
export function describeCredentials(c: Credentials): string {
  const scheme = c.scheme === "basic" ? "Basic" : c.scheme === "bearer" ? "Bearer" : "SOTicket";
  const source = c.source ?? "the given credentials";
  const app = c.appToken !== undefined ? " with SO-AppToken" : "";
  return `${source} (${scheme}${app})`;
}

/** The request headers that carry the credentials. */
export function authHeaders(c: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  switch (c.scheme) {
    case "basic":
      headers.Authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64")}`;
      break;
    case "bearer":
      headers.Authorization = `Bearer ${c.token}`;
      break;
    case "soticket":
      headers.Authorization = `SOTicket ${c.ticket}`;
      break;
    default: {
      const never: never = c;
      throw new Error(`unknown credential scheme ${String(never)}`);
    }
  }
  if (c.appToken !== undefined) headers["SO-AppToken"] = c.appToken;
  return headers;
}

/**
 * The secret strings the credentials contain (and the encoded header values) that are scrubbed
 * wherever they turn up in server text, should a server echo a header or a token back.
 *
 * Credentials are redacted where they stand — the Authorization and SO-AppToken headers are
 * never shown, URL userinfo goes (url.ts redactUrl), known fields of logged objects go
 * (log.ts REDACT_PATHS) — and blind search-and-replace is kept to values that cannot be a word
 * of the message: at least 12 characters, or at least 8 mixing letters and digits (tokens,
 * tickets, encoded headers). A short password like `wrong` is left alone: replacing every
 * occurrence turned "Unknown user name or wrong password" into "… or [redacted] password",
 * which says nothing true; and a server that repeats a password verbatim is not one we know of.
 */
export function secretValues(c: Credentials): string[] {
  const values = Object.values(authHeaders(c)).flatMap((h) => [h, h.replace(/^\S+\s+/, "")]);
  if (c.scheme === "basic") values.push(c.password);
  if (c.appToken !== undefined) values.push(c.appToken);
  // Longest first, so a header is replaced whole before its parts.
  return [...new Set(values.filter(isScrubbable))].sort((a, b) => b.length - a.length);
}

function isScrubbable(value: string): boolean {
  return value.length >= 12 || (value.length >= 8 && /[a-z]/i.test(value) && /\d/.test(value));
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  return out;
}

/** Makes `JSON.stringify` and `util.inspect` of credentials show no secret. */
function hideSecrets<T extends Credentials>(c: T): T {
  const shown = { scheme: c.scheme, source: c.source, secrets: "[redacted]" };
  Object.defineProperty(c, "toJSON", { value: () => shown, enumerable: false });
  Object.defineProperty(c, inspect.custom, { value: () => `Credentials ${inspect(shown)}`, enumerable: false });
  return c;
}
