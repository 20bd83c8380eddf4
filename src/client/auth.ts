/**
 * Where a request's credentials come from. Static credentials (Basic, Bearer, a ready SOTicket)
 * are one set of headers for good. A SuperOffice Online system user signs in for a ticket,
 * keeps it in memory only, signs in again shortly before it expires, and once more when the
 * tenant answers 401 — single-flight: however many requests are refused with one ticket, one
 * sign-in replaces it. See docs/online.md.
 */
import type { JsonWebKey } from "node:crypto";
import { ApiError } from "./errors.js";
import { authHeaders, type Credentials, type SystemUserCredentials } from "./credentials.js";
import { field, type EnvironmentCall } from "./environment.js";
import type { OnlineEnvironment } from "./online.js";
import { JwtError, signSystemToken, validateSystemUserJwt } from "./system-user.js";

export interface AuthGrant {
  readonly headers: Readonly<Record<string, string>>;
  /** Which sign-in the headers came from: a 401 is answered for that one only. */
  readonly stamp: number;
}

export interface Authorizer {
  /** Headers for the next request (a system user signs in first when it has no fresh ticket). */
  current(): Promise<AuthGrant>;
  /**
   * A request sent with `stamp`'s headers was refused (401). True: there are new headers to
   * send it once more with (a new sign-in, or one another request already made); false: these
   * credentials cannot be renewed, the refusal stands.
   */
  refused(stamp: number): Promise<boolean>;
  /** Secrets obtained at run time (the ticket) to scrub from server text, besides the configured ones. */
  secrets(): readonly string[];
}

export function staticAuthorizer(credentials: Exclude<Credentials, SystemUserCredentials>): Authorizer {
  const grant: AuthGrant = { headers: authHeaders(credentials), stamp: 0 };
  return { current: async () => grant, refused: async () => false, secrets: () => [] };
}

/** SuperOffice tickets live about 6 hours (sliding); a JWT's `exp` may say less. */
export const TICKET_LIFETIME_MS = 6 * 60 * 60 * 1000;
/** Renew this long before the ticket's end, at most a fifth of its life. */
const RENEW_MARGIN_MS = 5 * 60 * 1000;

export interface SystemUserAuthOptions {
  readonly credentials: SystemUserCredentials;
  readonly environment: OnlineEnvironment;
  /** `Cust12345`: the ContextIdentifier signed in to. */
  readonly tenantId: string;
  readonly call: EnvironmentCall;
  readonly now: () => number;
  /** Told of each sign-in (logged at debug, without secrets). */
  readonly onSignIn?: (info: { renewal: boolean; expiresAt: number }) => void;
}

interface Ticket {
  readonly ticket: string;
  readonly renewAt: number;
  readonly stamp: number;
}

export function systemUserAuthorizer(opts: SystemUserAuthOptions): Authorizer {
  const { credentials: c, environment, tenantId, call, now } = opts;
  let ticket: Ticket | undefined;
  let signingIn: Promise<Ticket> | undefined;
  let stamps = 0;
  const issued: string[] = [];
  let metadata: Promise<{ keys: readonly JsonWebKey[]; issuer: string | undefined }> | undefined;

  const readKeys = (): Promise<{ keys: readonly JsonWebKey[]; issuer: string | undefined }> =>
    (metadata ??= loadMetadata(call, environment).catch((err: unknown) => {
      metadata = undefined;
      throw err;
    }));

  async function signIn(): Promise<Ticket> {
    const renewal = ticket !== undefined;
    const body = {
      SignedSystemToken: signSystemToken(c.systemUserToken, c.privateKey, new Date(now())),
      ApplicationToken: c.clientSecret,
      ContextIdentifier: tenantId,
      ReturnTokenType: "JWT",
    };
    const answer = await call("POST", `${environment.base}/Login/api/PartnerSystemUser/Authenticate`, body, "system user sign-in");
    const token = field(answer.json, "Token");
    if (answer.status < 200 || answer.status >= 300 || field(answer.json, "IsSuccessful") !== true || typeof token !== "string") {
      const said = field(answer.json, "ErrorMessage") ?? field(answer.json, "Message");
      throw new ApiError({
        kind: "auth",
        code: "E_SIGN_IN",
        method: "system user sign-in",
        status: answer.status,
        outcomeUnknown: false,
        message:
          `SuperOffice Online (${environment.name}) refused the system user sign-in to ${tenantId} (${answer.status})` +
          `${typeof said === "string" && said !== "" ? `: ${scrub(said)}` : ""}. Check ${c.source ?? "WFSYNC_SYSTEM_USER_TOKEN/WFSYNC_PRIVATE_KEY/WFSYNC_CLIENT_SECRET"}, ` +
          "and that the app is approved for this tenant.",
      });
    }
    const validated = await validate(token);
    const t = now();
    const expiresAt = Math.min(validated.expiresAt ?? Number.POSITIVE_INFINITY, t + TICKET_LIFETIME_MS);
    const margin = Math.min(RENEW_MARGIN_MS, (expiresAt - t) / 5);
    issued.push(validated.ticket);
    opts.onSignIn?.({ renewal, expiresAt });
    return { ticket: validated.ticket, renewAt: expiresAt - margin, stamp: ++stamps };
  }

  /** Validates against the cached keys; a key id they lack re-reads them once (rotation). */
  async function validate(jwt: string): Promise<{ ticket: string; expiresAt: number | undefined }> {
    const expect = { audience: `spn:${c.clientId}`, now: now() };
    try {
      return validateSystemUserJwt(jwt, { ...expect, ...(await readKeys()) });
    } catch (err) {
      if (!(err instanceof JwtError)) throw err;
      if (!err.keyUnknown) throw jwtRefused(err);
      metadata = undefined;
      try {
        return validateSystemUserJwt(jwt, { ...expect, ...(await readKeys()) });
      } catch (again) {
        throw again instanceof JwtError ? jwtRefused(again) : again;
      }
    }
  }

  function renew(): Promise<Ticket> {
    return (signingIn ??= signIn().then(
      (t) => {
        ticket = t;
        signingIn = undefined;
        return t;
      },
      (err: unknown) => {
        signingIn = undefined;
        throw err;
      },
    ));
  }

  const grant = (t: Ticket): AuthGrant => ({ headers: { Authorization: `SOTicket ${t.ticket}`, "SO-AppToken": c.clientSecret }, stamp: t.stamp });
  const scrub = (text: string): string => [c.clientSecret, c.systemUserToken].reduce((acc, s) => acc.split(s).join("[redacted]"), text);

  return {
    async current() {
      if (signingIn) return grant(await signingIn);
      if (ticket === undefined || now() >= ticket.renewAt) return grant(await renew());
      return grant(ticket);
    },
    async refused(stamp) {
      if (signingIn) await signingIn;
      else if (ticket === undefined || ticket.stamp <= stamp) await renew();
      return true;
    },
    secrets: () => issued,
  };
}

function jwtRefused(err: JwtError): ApiError {
  return new ApiError({ kind: "auth", code: err.code, method: "system user sign-in", outcomeUnknown: false, message: err.message });
}

/** `<env>/login/.well-known/openid-configuration` → its `jwks_uri` → the keys. */
async function loadMetadata(call: EnvironmentCall, environment: OnlineEnvironment): Promise<{ keys: readonly JsonWebKey[]; issuer: string | undefined }> {
  const where = `${environment.base}/login/.well-known/openid-configuration`;
  const config = await call("GET", where, undefined, "OpenID metadata");
  const jwksUri = field(config.json, "jwks_uri");
  if (config.status !== 200 || typeof jwksUri !== "string") throw metadataError(`${where} answered ${config.status} without a jwks_uri`);
  const jwks = await call("GET", new URL(jwksUri, where).toString(), undefined, "OpenID signing keys");
  const keys = field(jwks.json, "keys");
  if (jwks.status !== 200 || !Array.isArray(keys)) throw metadataError(`${jwksUri} answered ${jwks.status} without a key set`);
  const issuer = field(config.json, "issuer");
  return { keys: keys as JsonWebKey[], issuer: typeof issuer === "string" ? issuer : undefined };
}

function metadataError(why: string): ApiError {
  return new ApiError({
    kind: "rejected",
    code: "E_SIGN_IN_KEYS",
    method: "OpenID metadata",
    outcomeUnknown: false,
    message: `Cannot read SuperOffice Online's published signing keys, so its sign-in cannot be checked: ${why}. Check onlineEnvironment (WFSYNC_ONLINE_ENV).`,
  });
}
