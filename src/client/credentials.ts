/**
 * Credentials come from the environment only, never from the config file or flags. They are kept out of every log, error
 * and `JSON.stringify`/`util.inspect` of the object: only `describe()`-style text naming the
 * variables is ever shown.
 */
import type { KeyObject } from "node:crypto";
import { inspect } from "node:util";
import { WfsyncError } from "../errors.js";
import { readPrivateKey } from "./system-user.js";

/** Credentials that are sent as they are: a header made from them, no sign-in. */
export type StaticCredentials =
  | { readonly scheme: "basic"; readonly username: string; readonly password: string; readonly appToken?: string; readonly source?: string }
  | { readonly scheme: "bearer"; readonly token: string; readonly appToken?: string; readonly source?: string }
  | { readonly scheme: "soticket"; readonly ticket: string; readonly appToken?: string; readonly source?: string };

/**
 * A SuperOffice Online system user (server-to-server app): signs in for a ticket (auth.ts),
 * the client secret is both the sign-in's ApplicationToken and the calls' SO-AppToken.
 */
export interface SystemUserCredentials {
  readonly scheme: "systemuser";
  readonly systemUserToken: string;
  readonly privateKey: KeyObject;
  /** The key as given (PEM or XML), only so it can be scrubbed should it ever be echoed. */
  readonly privateKeyText: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly source?: string;
}

export type Credentials = StaticCredentials | SystemUserCredentials;

export const SYSTEM_USER_VARIABLES = ["WFSYNC_SYSTEM_USER_TOKEN", "WFSYNC_PRIVATE_KEY", "WFSYNC_CLIENT_ID", "WFSYNC_CLIENT_SECRET"] as const;

export const CREDENTIAL_VARIABLES = [
  "WFSYNC_USERNAME",
  "WFSYNC_PASSWORD",
  "WFSYNC_TOKEN",
  "WFSYNC_TICKET",
  "WFSYNC_APP_TOKEN",
  ...SYSTEM_USER_VARIABLES,
] as const;

const HOW_TO =
  "Set WFSYNC_USERNAME and WFSYNC_PASSWORD (Basic, on-site), WFSYNC_TOKEN (Bearer access token) or " +
  "WFSYNC_TICKET (SOTicket); on SuperOffice Online also WFSYNC_APP_TOKEN (sent as SO-AppToken). " +
  "A SuperOffice Online server-to-server app signs in as the system user with WFSYNC_SYSTEM_USER_TOKEN, " +
  "WFSYNC_PRIVATE_KEY (PEM or XML text, or a file path), WFSYNC_CLIENT_ID and WFSYNC_CLIENT_SECRET.";

/** `WFSYNC_PRODUCTION_`: where an environment's own credential variables start. */
export function environmentPrefix(environment: string): string {
  return `WFSYNC_${environment.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_`;
}

/**
 * The credentials of one environment of the config: its own variables (`WFSYNC_PRODUCTION_USERNAME`,
 * `WFSYNC_PRODUCTION_PASSWORD`, `WFSYNC_PRODUCTION_TOKEN`, … — each credential variable with the
 * environment's name after `WFSYNC_`) when any of them is set, else the shared ones. Never a mix
 * of the two, so an environment set up halfway is an error naming its own variables, not a
 * silent fall-back to another tenant's credentials. Without an environment: the shared ones.
 */
export function credentialsFor(env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>, environment: string | undefined): Credentials {
  if (environment === undefined) return credentialsFromEnv(env);
  const prefix = environmentPrefix(environment);
  const own = CREDENTIAL_VARIABLES.some((v) => {
    const value = env[`${prefix}${v.slice("WFSYNC_".length)}`];
    return value !== undefined && value !== "";
  });
  return credentialsFromEnv(env, own ? prefix : undefined);
}

/**
 * Reads credentials from `env`: the variables `WFSYNC_USERNAME`, `WFSYNC_PASSWORD`, …, or with
 * `prefix` (`WFSYNC_PRODUCTION_`) an environment's own ones, named so in every message. Exactly
 * one scheme must be set: two would make it unclear which one the server refused. Errors name
 * variables, never values.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>, prefix = "WFSYNC_"): Credentials {
  /** A credential variable's name as this read uses it. */
  const n = (variable: string): string => prefix + variable.slice("WFSYNC_".length);
  const get = (variable: string): string | undefined => {
    const v = env[n(variable)];
    return v === undefined || v === "" ? undefined : v;
  };
  const howTo =
    prefix === "WFSYNC_"
      ? HOW_TO
      : `${HOW_TO.replace(/WFSYNC_/g, prefix)} (These are this environment's own variables; without any of them, the shared WFSYNC_… ones are used.)`;
  const username = get("WFSYNC_USERNAME");
  const password = get("WFSYNC_PASSWORD");
  const token = get("WFSYNC_TOKEN");
  const ticket = get("WFSYNC_TICKET");
  const appToken = get("WFSYNC_APP_TOKEN");
  const systemUser = SYSTEM_USER_VARIABLES.some((v) => get(v) !== undefined);

  const schemes: string[] = [];
  if (username !== undefined || password !== undefined) schemes.push(`${n("WFSYNC_USERNAME")}/${n("WFSYNC_PASSWORD")}`);
  if (token !== undefined) schemes.push(n("WFSYNC_TOKEN"));
  if (ticket !== undefined) schemes.push(n("WFSYNC_TICKET"));
  if (systemUser) schemes.push(SYSTEM_USER_VARIABLES.map(n).join("/"));

  if (schemes.length === 0) {
    const extra = appToken !== undefined ? ` ${n("WFSYNC_APP_TOKEN")} alone is not enough: it only identifies the app.` : "";
    throw new WfsyncError("E_NO_CREDENTIALS", `No credentials in the environment.${extra}`, { detail: howTo });
  }
  if (schemes.length > 1) {
    throw new WfsyncError(
      "E_CREDENTIALS_AMBIGUOUS",
      `Several credentials are set (${schemes.join(", ")}); set only one so it is clear which one is used.`,
      { detail: howTo },
    );
  }
  if (systemUser) return systemUserFromEnv(get, n, appToken !== undefined, howTo);
  const app = appToken === undefined ? {} : { appToken };
  if (token !== undefined) return hideSecrets({ scheme: "bearer", token, ...app, source: n("WFSYNC_TOKEN") });
  if (ticket !== undefined) return hideSecrets({ scheme: "soticket", ticket, ...app, source: n("WFSYNC_TICKET") });
  if (username === undefined || password === undefined) {
    const missing = n(username === undefined ? "WFSYNC_USERNAME" : "WFSYNC_PASSWORD");
    throw new WfsyncError("E_NO_CREDENTIALS", `${missing} is not set; Basic authentication needs both ${n("WFSYNC_USERNAME")} and ${n("WFSYNC_PASSWORD")}.`, {
      detail: howTo,
    });
  }
  return hideSecrets({ scheme: "basic", username, password, ...app, source: `${n("WFSYNC_USERNAME")}/${n("WFSYNC_PASSWORD")}` });
}

function systemUserFromEnv(get: (name: string) => string | undefined, n: (variable: string) => string, appTokenSet: boolean, howTo: string): SystemUserCredentials {
  const missing = SYSTEM_USER_VARIABLES.filter((v) => get(v) === undefined).map(n);
  if (missing.length) {
    throw new WfsyncError("E_NO_CREDENTIALS", `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set; the system user sign-in needs all of ${SYSTEM_USER_VARIABLES.map(n).join(", ")}.`, {
      detail: howTo,
    });
  }
  if (appTokenSet) {
    throw new WfsyncError(
      "E_CREDENTIALS_AMBIGUOUS",
      `${n("WFSYNC_APP_TOKEN")} is set as well as the system user's variables; the system user sends ${n("WFSYNC_CLIENT_SECRET")} as SO-AppToken, so unset ${n("WFSYNC_APP_TOKEN")}.`,
      { detail: howTo },
    );
  }
  const { key, text } = readPrivateKey(get("WFSYNC_PRIVATE_KEY")!, n("WFSYNC_PRIVATE_KEY"));
  return hideSecrets({
    scheme: "systemuser",
    systemUserToken: get("WFSYNC_SYSTEM_USER_TOKEN")!,
    privateKey: key,
    privateKeyText: text,
    clientId: get("WFSYNC_CLIENT_ID")!,
    clientSecret: get("WFSYNC_CLIENT_SECRET")!,
    source: ["WFSYNC_SYSTEM_USER_TOKEN", "WFSYNC_PRIVATE_KEY", "WFSYNC_CLIENT_SECRET"].map(n).join("/"),
  });
}

/** Which variables (or other origin) the credentials came from, for messages. */
export function describeCredentials(c: Credentials): string {
  const source = c.source ?? "the given credentials";
  if (c.scheme === "systemuser") return `${source} (SuperOffice Online system user, client id ${c.clientId})`;
  const scheme = c.scheme === "basic" ? "Basic" : c.scheme === "bearer" ? "Bearer" : "SOTicket";
  const app = c.appToken !== undefined ? " with SO-AppToken" : "";
  return `${source} (${scheme}${app})`;
}

/** The request headers that carry credentials sent as they are (a system user's come from its sign-in). */
export function authHeaders(c: StaticCredentials): Record<string, string> {
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
  if (c.scheme === "systemuser") {
    // The key's text whole and line by line (PEM lines are 64 characters of base64).
    const keyLines = c.privateKeyText.split(/\r?\n/).map((l) => l.trim());
    return sortForScrubbing([c.systemUserToken, c.clientSecret, c.privateKeyText, c.privateKeyText.replace(/\s+/g, ""), ...keyLines.filter((l) => !l.startsWith("-----"))]);
  }
  const values = Object.values(authHeaders(c)).flatMap((h) => [h, h.replace(/^\S+\s+/, "")]);
  if (c.scheme === "basic") values.push(c.password);
  if (c.appToken !== undefined) values.push(c.appToken);
  return sortForScrubbing(values);
}

/** Scrubbable values, longest first, so a header is replaced whole before its parts. */
export function sortForScrubbing(values: readonly string[]): string[] {
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
  const shown = { scheme: c.scheme, source: c.source, ...(c.scheme === "systemuser" ? { clientId: c.clientId } : {}), secrets: "[redacted]" };
  Object.defineProperty(c, "toJSON", { value: () => shown, enumerable: false });
  Object.defineProperty(c, inspect.custom, { value: () => `Credentials ${inspect(shown)}`, enumerable: false });
  return c;
}
