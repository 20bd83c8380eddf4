/**
 * SuperOffice Online's server-to-server sign-in, the pure parts: reading the app's private key,
 * signing the system user token, and validating the JWT the Login service answers with
 * (RS256 against the environment's published keys, exp/nbf, audience, issuer) to take its
 * ticket. The HTTP around it is in auth.ts. See docs/online.md.
 */
import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { WfsyncError } from "../errors.js";

/** The JWT claim that carries the ticket (SuperOffice's claim names are URIs). */
export const TICKET_CLAIM = "http://schemes.superoffice.net/identity/ticket";
/** Clocks of client and Login service may differ this much when exp and nbf are checked. */
const CLOCK_SKEW_MS = 60_000;

/**
 * WFSYNC_PRIVATE_KEY: PEM text, SuperOffice's XML `<RSAKeyValue>` text (what the developer
 * portal hands out), or the path of a file holding either. Errors name the variable and never
 * repeat its value: a value that is neither readable file nor key text may be a mangled key.
 */
export function readPrivateKey(value: string, variable = "WFSYNC_PRIVATE_KEY"): { key: KeyObject; text: string } {
  const trimmed = value.trim();
  let text = trimmed;
  if (!looksLikeKeyText(trimmed)) {
    try {
      text = readFileSync(trimmed, "utf8").trim();
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new WfsyncError(
        "E_PRIVATE_KEY",
        `${variable} is neither key text (PEM "-----BEGIN … PRIVATE KEY-----" or <RSAKeyValue> XML) nor the path of a readable file (${why}).`,
      );
    }
    if (!looksLikeKeyText(text)) {
      throw new WfsyncError("E_PRIVATE_KEY", `The file ${variable} names holds no private key (PEM "-----BEGIN … PRIVATE KEY-----" or <RSAKeyValue> XML).`);
    }
  }
  let key: KeyObject;
  try {
    key = text.startsWith("<") ? createPrivateKey({ key: xmlKeyToJwk(text), format: "jwk" }) : createPrivateKey(text);
  } catch {
    throw new WfsyncError("E_PRIVATE_KEY", `${variable} is not a readable RSA private key (an encrypted PEM needs its passphrase removed).`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new WfsyncError("E_PRIVATE_KEY", `${variable} is a ${key.asymmetricKeyType ?? "unknown"} key; SuperOffice signs with RSA.`);
  }
  return { key, text };
}

function looksLikeKeyText(text: string): boolean {
  return text.startsWith("-----BEGIN") || /^<RSAKeyValue>/i.test(text);
}

/** .NET's `RSA.ToXmlString(true)` form: base64 fields, which JWK wants as base64url. */
function xmlKeyToJwk(xml: string): JsonWebKey {
  const field = (name: string): string => {
    const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`, "i").exec(xml);
    if (!m) throw new Error(`no ${name}`);
    return Buffer.from(m[1]!, "base64").toString("base64url");
  };
  return { kty: "RSA", n: field("Modulus"), e: field("Exponent"), d: field("D"), p: field("P"), q: field("Q"), dp: field("DP"), dq: field("DQ"), qi: field("InverseQ") };
}

/** `yyyyMMddHHmm` in UTC, the time SuperOffice expects after the system user token. */
export function signingTime(at: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}`;
}

/** `<token>.<yyyyMMddHHmm>.<base64 RSA-SHA256 signature of the two>`: the SignedSystemToken. */
export function signSystemToken(systemUserToken: string, key: KeyObject, at: Date): string {
  const data = `${systemUserToken}.${signingTime(at)}`;
  return `${data}.${sign("RSA-SHA256", Buffer.from(data, "utf8"), key).toString("base64")}`;
}

export interface ValidatedTicket {
  readonly ticket: string;
  /** Milliseconds since the epoch; undefined when the JWT has no `exp`. */
  readonly expiresAt: number | undefined;
}

export interface JwtExpectations {
  /** The environment's published keys (`jwks_uri`). */
  readonly keys: readonly JsonWebKey[];
  /** `spn:<client id>`. */
  readonly audience: string;
  /** The OpenID metadata's `issuer`, when it names one. */
  readonly issuer?: string | undefined;
  readonly now: number;
}

/**
 * Validates the Login service's JWT and takes its ticket claim. Every failure is E_SIGN_IN_JWT
 * with what is wrong (never the token): a token that does not verify is not used at all.
 */
export function validateSystemUserJwt(jwt: string, expect: JwtExpectations): ValidatedTicket {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw jwtError("it is not a signed JWT (header.payload.signature)");
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h, "header");
  const claims = decodePart(p, "payload");
  if (header.alg !== "RS256") throw jwtError(`it is signed with ${JSON.stringify(header.alg)}; only RS256 is accepted`);
  const candidates = expect.keys.filter((k) => k.kty === "RSA" && (header.kid === undefined || k.kid === header.kid) && (k.use === undefined || k.use === "sig"));
  if (candidates.length === 0) throw jwtError(`none of the environment's published keys${header.kid === undefined ? "" : ` has key id ${JSON.stringify(header.kid)}`}`, "KEY_UNKNOWN");
  const data = Buffer.from(`${h}.${p}`, "utf8");
  const signature = Buffer.from(s, "base64url");
  const verified = candidates.some((jwk) => {
    try {
      return verify("RSA-SHA256", data, createPublicKey({ key: jwk, format: "jwk" }), signature);
    } catch {
      return false;
    }
  });
  if (!verified) throw jwtError("its signature does not verify with the environment's published keys");
  const exp = numericDate(claims.exp, "exp");
  const nbf = numericDate(claims.nbf, "nbf");
  if (exp !== undefined && expect.now > exp + CLOCK_SKEW_MS) throw jwtError(`it expired at ${new Date(exp).toISOString()}`);
  if (nbf !== undefined && expect.now + CLOCK_SKEW_MS < nbf) throw jwtError(`it is not valid before ${new Date(nbf).toISOString()}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expect.audience)) throw jwtError(`its audience is not ${expect.audience} (the client id in WFSYNC_CLIENT_ID)`);
  if (expect.issuer !== undefined && trimSlash(String(claims.iss)) !== trimSlash(expect.issuer)) {
    throw jwtError(`its issuer ${JSON.stringify(claims.iss)} is not the environment's (${expect.issuer})`);
  }
  const ticket = claims[TICKET_CLAIM];
  if (typeof ticket !== "string" || ticket === "") throw jwtError(`it carries no ticket claim (${TICKET_CLAIM})`);
  return { ticket, expiresAt: exp };
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw jwtError(`its ${what} is not a JSON object`);
}

function numericDate(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw jwtError(`its ${name} is not a time`);
  return value * 1000;
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, "");
}

export class JwtError extends WfsyncError {
  constructor(
    message: string,
    /** The token names a key the cached key set lacks: the keys may have rotated. */
    readonly keyUnknown: boolean,
  ) {
    super("E_SIGN_IN_JWT", message);
  }
}

function jwtError(why: string, kind?: "KEY_UNKNOWN"): JwtError {
  return new JwtError(`The SuperOffice Online sign-in answered a token wfsync does not accept: ${why}.`, kind === "KEY_UNKNOWN");
}
