/**
 * Which credentials the emulator accepts. Each may come from the options (the CLI's flags) or
 * else from the same environment variables the wfsync client reads, so a client and an
 * emulator started from one shell agree. With none at all, the documented local default is
 * Basic `wfsync` / `wfsync`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const DEFAULT_USERNAME = "wfsync";
export const DEFAULT_PASSWORD = "wfsync";

export interface CredentialOptions {
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  ticket?: string | undefined;
  /** When set, SOTicket requests must also send it as `SO-AppToken`. */
  appToken?: string | undefined;
}

export interface AcceptedCredentials {
  readonly basic?: { readonly username: string; readonly password: string };
  readonly token?: string;
  readonly ticket?: string;
  readonly appToken?: string;
  /** True when nothing was configured and the default Basic user is in force. */
  readonly isDefault: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveCredentials(options: CredentialOptions, env: Env): AcceptedCredentials {
  // Empty values count as unset, as in the client.
  const pick = (flag: string | undefined, variable: string): string | undefined =>
    flag !== undefined && flag !== "" ? flag : env[variable] !== undefined && env[variable] !== "" ? env[variable] : undefined;
  const username = pick(options.username, "WFSYNC_USERNAME");
  const password = pick(options.password, "WFSYNC_PASSWORD");
  const token = pick(options.token, "WFSYNC_TOKEN");
  const ticket = pick(options.ticket, "WFSYNC_TICKET");
  const appToken = pick(options.appToken, "WFSYNC_APP_TOKEN");
  const isDefault = username === undefined && password === undefined && token === undefined && ticket === undefined;
  const basic = isDefault
    ? { username: DEFAULT_USERNAME, password: DEFAULT_PASSWORD }
    : username !== undefined || password !== undefined
      ? { username: username ?? "", password: password ?? "" }
      : undefined;
  return {
    ...(basic ? { basic } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(ticket !== undefined ? { ticket } : {}),
    ...(appToken !== undefined ? { appToken } : {}),
    isDefault,
  };
}

/** One line for people, naming schemes and users but no secret (except the public default). */
export function describeCredentials(c: AcceptedCredentials): string {
  const parts: string[] = [];
  if (c.basic) parts.push(c.isDefault ? `Basic ${DEFAULT_USERNAME}:${DEFAULT_PASSWORD} (default)` : `Basic user ${JSON.stringify(c.basic.username)}`);
  if (c.token !== undefined) parts.push("Bearer token");
  if (c.ticket !== undefined) parts.push(c.appToken !== undefined ? "SOTicket with SO-AppToken" : "SOTicket");
  return parts.join(", ");
}

export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks the Authorization header; scheme names are case-insensitive, as SuperOffice's are. */
export function checkAuthorization(c: AcceptedCredentials, headers: IncomingHttpHeaders): AuthResult {
  const header = headers.authorization;
  if (header === undefined || header.trim() === "") return deny("No Authorization header.");
  const m = /^\s*(\S+)\s+(.+?)\s*$/s.exec(header);
  if (!m) return deny("Malformed Authorization header.");
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  switch (scheme) {
    case "basic": {
      if (!c.basic) return deny("Basic authentication is not enabled on this emulator.");
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return deny("Malformed Basic credentials.");
      const userOk = same(decoded.slice(0, colon), c.basic.username);
      const passOk = same(decoded.slice(colon + 1), c.basic.password);
      return userOk && passOk ? { ok: true } : deny("Unknown user name or wrong password.");
    }
    case "bearer":
      if (c.token === undefined) return deny("Bearer tokens are not enabled on this emulator.");
      return same(value, c.token) ? { ok: true } : deny("Invalid or expired token.");
    case "soticket": {
      if (c.ticket === undefined) return deny("SOTicket is not enabled on this emulator.");
      if (!same(value, c.ticket)) return deny("Invalid or expired ticket.");
      if (c.appToken === undefined) return { ok: true };
      const sent = headers["so-apptoken"];
      if (typeof sent !== "string" || sent === "") return deny("SOTicket requests need an SO-AppToken header.");
      return same(sent, c.appToken) ? { ok: true } : deny("Unknown application token (SO-AppToken).");
    }
    default:
      return deny(`Unsupported authorization scheme ${JSON.stringify(m[1])}.`);
  }
}

function deny(reason: string): AuthResult {
  return { ok: false, reason };
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function same(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
