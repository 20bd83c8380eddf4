/**
 * The emulator as SuperOffice Online (docs/emulator.md, "Online mode"): the environment host
 * (the emulator's main port) answers the system user sign-in, the OpenID metadata and keys it
 * signs with, and the tenant state API; the tenant itself is served from one of its own
 * "numbered hosts" (further ports on 127.0.0.1) under `/<CustNNNN>/api/…`, and every other host
 * answers 421 Misdirected Request. Its own signing key is made at start; the app's public key
 * comes from the options or an admin route (tests generate the pair), never from a file here.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { caseInsensitive } from "../model/carrier.js";
import type { Answer } from "./agent.js";
import { adminError } from "./agent.js";
import { isObject } from "./bind.js";
import { parseJson } from "./json.js";
import type { ApiGeneration } from "./profile.js";

/** SuperOffice's claim names (URIs). */
const CLAIMS = {
  ticket: "http://schemes.superoffice.net/identity/ticket",
  context: "http://schemes.superoffice.net/identity/ctx",
  webapi: "http://schemes.superoffice.net/identity/webapi_url",
};
/** How far the signed time may be from the emulator's clock (inferred: the docs give no window). */
const SIGNED_TIME_WINDOW_MS = 10 * 60 * 1000;
const DEFAULT_TICKET_LIFETIME_MS = 6 * 60 * 60 * 1000;
export const DEFAULT_TENANT_ID = "Cust12345";

export interface OnlineApp {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly systemUserToken: string;
  /** PEM (SPKI) of the app's RSA public key. */
  readonly publicKey: string;
}

export interface OnlineOptions {
  /** Default Cust12345. */
  readonly tenantId?: string;
  /** The registered app; also `POST /__emulator/online/app`. */
  readonly app?: OnlineApp;
  /** The tenant's own hosts (ports besides the environment's); default 2. */
  readonly hosts?: number;
  /** The version the state API names; default by profile (12.4.1514, or 10.2.9 on --api 10.2). */
  readonly version?: string;
}

export interface OnlineSettings {
  /** `Running`, `Offline`, `Maintenance`, … as the state API says it. */
  readonly state: string;
  /** Which of the tenant hosts serves it now (1-based). */
  readonly host: number;
  /** The next this many state lookups still name the previous host (a move not yet announced). */
  readonly staleLookups: number;
  /** A ticket is refused (401) after this many agent calls; 0 = no limit. */
  readonly ticketCalls: number;
  /** Tickets (and the JWT's exp) last this long. */
  readonly ticketLifetimeMs: number;
  readonly version: string;
}

interface Ticket {
  calls: number;
  readonly expiresAt: number;
}

export class OnlineService {
  readonly tenantId: string;
  /** Filled in once the servers listen: index 0 is the environment, 1.. the tenant's hosts. */
  hostUrls: string[] = [];
  settings: OnlineSettings;
  app: OnlineApp | undefined;
  private appKey: KeyObject | undefined;
  private previousHost: number;
  private readonly tickets = new Map<string, Ticket>();
  private readonly signing = generateKeyPairSync("rsa", { modulusLength: 2048 });
  private readonly kid = randomBytes(8).toString("hex");
  readonly counts = { signIns: 0, refusedSignIns: 0, stateLookups: 0, misdirected: 0 };

  constructor(
    options: OnlineOptions,
    api: ApiGeneration,
    readonly hosts: number = Math.max(1, options.hosts ?? 2),
    private readonly now: () => number = Date.now,
  ) {
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.settings = { state: "Running", host: 1, staleLookups: 0, ticketCalls: 0, ticketLifetimeMs: DEFAULT_TICKET_LIFETIME_MS, version: options.version ?? (api === "12" ? "12.4.1514" : "10.2.9") };
    this.previousHost = 1;
    if (options.app) this.register(options.app);
  }

  get envUrl(): string {
    return this.hostUrls[0] ?? "";
  }

  tenantBase(host = this.settings.host): string {
    return `${this.hostUrls[host] ?? ""}/${this.tenantId}`;
  }

  register(app: OnlineApp): void {
    this.appKey = createPublicKey(app.publicKey);
    this.app = app;
  }

  /** Why an agent call on `host` with `path` must be answered 421, or undefined when this host serves it. */
  misdirected(host: number, path: string): string | undefined {
    const prefix = `/${this.tenantId.toLowerCase()}/`;
    if (host === this.settings.host && path.toLowerCase().startsWith(prefix)) return undefined;
    this.counts.misdirected++;
    return host === 0
      ? `This is the environment host; ${this.tenantId} is served from its own host (ask GET /api/state/${this.tenantId}).`
      : `This host does not serve ${path.split("/")[1] ?? "that tenant"}.`;
  }

  get running(): boolean {
    return /^running$/i.test(this.settings.state);
  }

  /** SOTicket with a ticket this emulator issued (and not used up), plus SO-AppToken = the client secret. */
  checkTicket(headers: IncomingHttpHeaders): { ok: true } | { ok: false; reason: string } {
    const m = /^\s*soticket\s+(.+?)\s*$/is.exec(headers.authorization ?? "");
    if (!m) return { ok: false, reason: "SuperOffice Online takes SOTicket authorization (sign in as the system user)." };
    const ticket = this.tickets.get(m[1]!);
    if (!ticket || ticket.expiresAt <= this.now() || (this.settings.ticketCalls > 0 && ticket.calls >= this.settings.ticketCalls)) {
      return { ok: false, reason: "Invalid or expired ticket." };
    }
    if (!this.app || headers["so-apptoken"] !== this.app.clientSecret) return { ok: false, reason: "Unknown application token (SO-AppToken)." };
    ticket.calls++;
    return { ok: true };
  }

  /** Every ticket issued so far stops working (as after the ticket's time ran out). */
  expireTickets(): number {
    const n = this.tickets.size;
    this.tickets.clear();
    return n;
  }

  /** `POST /Login/api/PartnerSystemUser/Authenticate`: `{IsSuccessful, ErrorMessage, Token}`. */
  authenticate(text: string | undefined): Answer {
    const fail = (why: string): Answer => {
      this.counts.refusedSignIns++;
      return { status: 200, body: { IsSuccessful: false, ErrorMessage: why, Token: null } };
    };
    const parsed = parseJson(text ?? "");
    if (!parsed.ok || !isObject(parsed.value)) return { status: 400, body: { Message: "The request is invalid.", MessageDetail: "The body must be a JSON object." } };
    const c = caseInsensitive(parsed.value);
    const app = this.app;
    if (!app || !this.appKey) return fail("No application is registered with this environment.");
    if (c.get("applicationtoken") !== app.clientSecret) return fail("Unknown application token.");
    if (String(c.get("contextidentifier") ?? "").toLowerCase() !== this.tenantId.toLowerCase()) return fail(`The application has no access to ${String(c.get("contextidentifier"))}.`);
    if (String(c.get("returntokentype") ?? "").toUpperCase() !== "JWT") return fail("Only ReturnTokenType JWT is supported by this emulator.");
    const signed = String(c.get("signedsystemtoken") ?? "");
    const sigAt = signed.lastIndexOf(".");
    const data = signed.slice(0, sigAt);
    const timeAt = data.lastIndexOf(".");
    if (sigAt < 0 || timeAt < 0) return fail("SignedSystemToken is not <token>.<yyyyMMddHHmm>.<signature>.");
    if (data.slice(0, timeAt) !== app.systemUserToken) return fail("Unknown system user token.");
    const at = parseSigningTime(data.slice(timeAt + 1));
    if (at === undefined || Math.abs(at - this.now()) > SIGNED_TIME_WINDOW_MS) return fail("The signed time is missing or too far from now.");
    if (!verify("RSA-SHA256", Buffer.from(data, "utf8"), this.appKey, Buffer.from(signed.slice(sigAt + 1), "base64"))) return fail("The signature does not verify with the application's public key.");
    this.counts.signIns++;
    const ticket = `7T:${randomBytes(24).toString("base64")}`;
    const issuedAt = this.now();
    this.tickets.set(ticket, { calls: 0, expiresAt: issuedAt + this.settings.ticketLifetimeMs });
    const iat = Math.floor(issuedAt / 1000);
    const claims = {
      iss: this.envUrl,
      aud: `spn:${app.clientId}`,
      iat,
      nbf: iat,
      exp: iat + Math.floor(this.settings.ticketLifetimeMs / 1000),
      [CLAIMS.ticket]: ticket,
      [CLAIMS.context]: this.tenantId,
      [CLAIMS.webapi]: `${this.tenantBase()}/api`,
    };
    return { status: 200, body: { IsSuccessful: true, ErrorMessage: "", Token: this.jwt(claims) } };
  }

  private jwt(claims: object): string {
    const part = (o: object): string => Buffer.from(JSON.stringify(o), "utf8").toString("base64url");
    const input = `${part({ alg: "RS256", typ: "JWT", kid: this.kid })}.${part(claims)}`;
    return `${input}.${sign("RSA-SHA256", Buffer.from(input, "utf8"), this.signing.privateKey).toString("base64url")}`;
  }

  openidConfiguration(): Answer {
    return { status: 200, body: { issuer: this.envUrl, jwks_uri: `${this.envUrl}/login/.well-known/jwks`, id_token_signing_alg_values_supported: ["RS256"] } };
  }

  jwks(): Answer {
    const jwk = this.signing.publicKey.export({ format: "jwk" });
    return { status: 200, body: { keys: [{ ...jwk, kid: this.kid, use: "sig", alg: "RS256" }] } };
  }

  /** `GET /api/state/<CustNNNN>`: modelled on SuperOffice's documented tenant status answer. */
  tenantState(id: string): Answer {
    this.counts.stateLookups++;
    if (id.toLowerCase() !== this.tenantId.toLowerCase()) return { status: 404, body: { Message: `No tenant ${id}.` } };
    let host = this.settings.host;
    if (this.settings.staleLookups > 0) {
      this.settings = { ...this.settings, staleLookups: this.settings.staleLookups - 1 };
      host = this.previousHost;
    }
    const endpoint = this.tenantBase(host);
    return {
      status: 200,
      body: {
        ContextIdentifier: this.tenantId,
        Endpoint: endpoint,
        State: this.settings.state,
        IsRunning: this.running,
        ValidUntil: new Date(this.now() + 60_000).toISOString(),
        Api: `${endpoint}/api`,
        Version: this.settings.version,
      },
    };
  }

  status(): object {
    return { tenantId: this.tenantId, ...this.settings, hosts: this.hostUrls.slice(1), tenantUrl: this.tenantBase(), environment: this.envUrl, app: this.app ? { clientId: this.app.clientId } : null, ...this.counts };
  }

  /** `POST /__emulator/online`: `{state, host, staleLookups, ticketCalls, ticketLifetimeMs, version}`, any of them. */
  update(text: string): Answer {
    const parsed = parseJson(text);
    if (!parsed.ok || !isObject(parsed.value)) return adminError(400, 'body must be a JSON object like {"state": "Offline"}');
    const c = caseInsensitive(parsed.value);
    const next: Record<string, unknown> = { ...this.settings };
    for (const name of ["state", "version"] as const) {
      const v = c.get(name.toLowerCase());
      if (v === undefined) continue;
      if (typeof v !== "string" || v === "") return adminError(400, `${name} must be a non-empty string`);
      next[name] = v;
    }
    for (const name of ["host", "staleLookups", "ticketCalls", "ticketLifetimeMs"] as const) {
      const v = c.get(name.toLowerCase());
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return adminError(400, `${name} must be an integer ≥ 0`);
      if (name === "host" && (v < 1 || v > this.hosts)) return adminError(400, `host must be 1..${this.hosts}`);
      next[name] = v;
    }
    if (next.host !== this.settings.host) this.previousHost = this.settings.host;
    this.settings = next as unknown as OnlineSettings;
    return { status: 200, body: this.status() };
  }

  /** `POST /__emulator/online/app`: `{clientId, clientSecret, systemUserToken, publicKey}`. */
  registerFromAdmin(text: string): Answer {
    const parsed = parseJson(text);
    if (!parsed.ok || !isObject(parsed.value)) return adminError(400, "body must be a JSON object {clientId, clientSecret, systemUserToken, publicKey}");
    const c = caseInsensitive(parsed.value);
    const app: Record<string, string> = {};
    for (const name of ["clientId", "clientSecret", "systemUserToken", "publicKey"]) {
      const v = c.get(name.toLowerCase());
      if (typeof v !== "string" || v === "") return adminError(400, `${name} must be a non-empty string`);
      app[name] = v;
    }
    try {
      this.register(app as unknown as OnlineApp);
    } catch {
      return adminError(400, "publicKey must be an RSA public key in PEM");
    }
    return { status: 200, body: { registered: app.clientId } };
  }
}

function parseSigningTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}
