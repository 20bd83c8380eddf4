/**
 * Which host serves the tenant. On-site it is the URL given. An Online tenant is served from its
 * own numbered host (`online2.superoffice.com/Cust12345`), which the environment's state API
 * names (with the tenant's running state and version) and which can move: a request to the wrong
 * host is answered 421 Misdirected Request, and the state API is asked again, once. A tenant that
 * is not running is reported as such (E_TENANT_OFFLINE), not as a network fault.
 * See docs/online.md.
 */
import { WfsyncError } from "../errors.js";
import { redactUrl } from "../redact.js";
import { field, type EnvironmentCall } from "./environment.js";
import type { OnlineTenantRef } from "./online.js";
import { normaliseBaseUrl } from "./url.js";

/** What is known of the tenant a client talks to, for labels ("Cust12345 (online2.superoffice.com)"). */
export interface TenantTarget {
  /** The identity the state is bound to (on Online the environment's URL, not the routed host). */
  readonly url: string;
  readonly online?: {
    readonly tenantId: string;
    readonly environment: string;
    /** Known once the state API was asked. */
    readonly host?: string;
    readonly version?: string;
  };
}

export interface TenantRouter {
  /** The tenant's base URL now (the state API is asked on first use). */
  base(): Promise<string>;
  /** `used` answered 421: ask again where the tenant is (single-flight; a newer answer is kept). */
  misdirected(used: string): Promise<void>;
  target(): TenantTarget;
}

export function staticRouter(url: string): TenantRouter {
  const base = normaliseBaseUrl(url);
  return { base: async () => base, misdirected: async () => undefined, target: () => ({ url: base }) };
}

export interface TenantState {
  readonly base: string;
  readonly version: string | undefined;
}

export function onlineRouter(ref: OnlineTenantRef, call: EnvironmentCall): TenantRouter {
  let known: TenantState | undefined;
  let asking: Promise<TenantState> | undefined;
  const ask = (): Promise<TenantState> =>
    (asking ??= lookupTenant(ref, call).then(
      (s) => {
        known = s;
        asking = undefined;
        return s;
      },
      (err: unknown) => {
        asking = undefined;
        throw err;
      },
    ));
  return {
    async base() {
      return (known ?? (await ask())).base;
    },
    async misdirected(used) {
      if (asking) await asking;
      else if (known === undefined || known.base === used) await ask();
    },
    target() {
      const host = known ? new URL(known.base).host : undefined;
      return {
        url: ref.identity,
        online: {
          tenantId: ref.tenantId,
          environment: ref.environment.name,
          ...(host ? { host } : {}),
          ...(known?.version ? { version: known.version } : {}),
        },
      };
    },
  };
}

/**
 * `GET <env>/api/state/<CustNNNN>`. SuperOffice documents the answer as `{ContextIdentifier,
 * Endpoint, State, IsRunning, ValidUntil, Api, Version, Created}` with State e.g. Running,
 * Offline, Maintenance (inferred for the others: Backup, Upgrade, …). Where the docs are silent we
 * take: any State other than Running, or IsRunning false, means "not available now"; an unknown
 * tenant is a 404 or a State of NotFound/Unknown; the host is `Endpoint`, else `Api` minus `/api`.
 */
export async function lookupTenant(ref: OnlineTenantRef, call: EnvironmentCall): Promise<TenantState> {
  const where = `${ref.environment.base}/api/state/${ref.tenantId}`;
  const answer = await call("GET", where, undefined, `tenant state of ${ref.tenantId}`);
  const state = field(answer.json, "State");
  const stateText = typeof state === "string" ? state : undefined;
  if (answer.status === 404 || /^(notfound|unknown)$/i.test(stateText ?? "")) {
    throw new WfsyncError(
      "E_TENANT_UNKNOWN",
      `SuperOffice Online (${ref.environment.name}) knows no tenant ${ref.tenantId}. Check the tenant id in the url and the environment (onlineEnvironment / WFSYNC_ONLINE_ENV: online, sod, qaonline).`,
    );
  }
  if (answer.status !== 200 || answer.json === undefined) {
    throw new WfsyncError("E_TENANT_STATE", `The state API ${redactUrl(where)} answered ${answer.status}${answer.json === undefined ? " with no JSON" : ""}; cannot tell where ${ref.tenantId} is served.`, { userError: false });
  }
  const running = field(answer.json, "IsRunning");
  if ((stateText !== undefined && !/^running$/i.test(stateText)) || running === false) {
    const what = stateText ?? "not running";
    const words = /maint/i.test(what) ? "is in maintenance" : /offline/i.test(what) ? "is offline" : `is not running (${what})`;
    throw new WfsyncError(
      "E_TENANT_OFFLINE",
      `${ref.tenantId} ${words}: SuperOffice Online reports its state as ${JSON.stringify(what)}. Nothing was sent; try again once it is running.`,
    );
  }
  const endpoint = field(answer.json, "Endpoint");
  const api = field(answer.json, "Api");
  const raw = typeof endpoint === "string" && endpoint !== "" ? endpoint : typeof api === "string" ? api.replace(/\/api\/?$/i, "") : undefined;
  if (raw === undefined) throw new WfsyncError("E_TENANT_STATE", `The state API named no host for ${ref.tenantId} (no Endpoint or Api in its answer).`, { userError: false });
  let base: string;
  try {
    base = normaliseBaseUrl(raw);
  } catch {
    throw new WfsyncError("E_TENANT_STATE", `The state API named ${JSON.stringify(redactUrl(raw))} as the host of ${ref.tenantId}, which is no URL.`, { userError: false });
  }
  const version = field(answer.json, "Version");
  return { base, version: typeof version === "string" && version !== "" ? version : undefined };
}

/**
 * The tenant in a few words: "Cust12345 (online2.superoffice.com), SuperOffice 12.4.1514" on
 * Online (the host once known, the version when asked), the URL on-site.
 */
export function tenantLabel(target: TenantTarget, opts: { version?: boolean } = {}): string {
  const o = target.online;
  if (!o) return redactUrl(target.url);
  const where = o.host ?? new URL(target.url).host;
  return `${o.tenantId} (${where})${opts.version !== false && o.version ? `, SuperOffice ${o.version}` : ""}`;
}
