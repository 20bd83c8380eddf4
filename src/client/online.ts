/**
 * SuperOffice Online tenants: which URLs name one, which environment serves it, and the one
 * base URL ("identity") wfsync binds the state to, whichever way the user wrote the tenant.
 * See docs/online.md.
 */
import { WfsyncError } from "../errors.js";
import { redactUrl } from "../redact.js";

/** `Cust12345`: the ContextIdentifier of an Online tenant. */
const TENANT_ID = /^cust(\d+)$/i;
/** Environments by name; `stage` is the name SuperOffice's developer portal gives qaonline. */
const ENVIRONMENTS: Readonly<Record<string, string>> = {
  online: "https://online.superoffice.com",
  sod: "https://sod.superoffice.com",
  qaonline: "https://qaonline.superoffice.com",
  stage: "https://qaonline.superoffice.com",
};
export const ONLINE_ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS);
export const DEFAULT_ONLINE_ENVIRONMENT = "online";

export interface OnlineEnvironment {
  /** `online`, `sod`, `qaonline`, or the base URL given. */
  readonly name: string;
  /** Where Login, the state API and the OpenID metadata are: `https://online.superoffice.com`. */
  readonly base: string;
}

export interface OnlineTenantRef {
  /** `Cust12345`. */
  readonly tenantId: string;
  readonly environment: OnlineEnvironment;
  /** The base the state is bound to: `${environment.base}/${tenantId}` (not the routed host, which can move). */
  readonly identity: string;
}

/**
 * The environment a setting names: one of the names above, or a base URL (stage under another
 * name, the emulator on 127.0.0.1). `what` names the setting in errors.
 */
export function onlineEnvironment(setting: string | undefined, what = "onlineEnvironment"): OnlineEnvironment {
  const value = (setting ?? DEFAULT_ONLINE_ENVIRONMENT).trim();
  const named = ENVIRONMENTS[value.toLowerCase()];
  if (named) return { name: value.toLowerCase() === "stage" ? "qaonline" : value.toLowerCase(), base: named };
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "") {
    throw new WfsyncError(
      "E_CONFIG",
      `${what} must be ${ONLINE_ENVIRONMENT_NAMES.join(", ")} or an http(s) base URL such as https://qaonline.superoffice.com, got ${JSON.stringify(redactUrl(value))}`,
    );
  }
  return { name: url.origin, base: url.origin };
}

/** Whether `url` (as a user wrote it) is an Online tenant id alone, `Cust12345`. */
export function isTenantId(url: string): boolean {
  return TENANT_ID.test(url.trim());
}

/**
 * The Online tenant `url` names, or undefined for an on-site installation. Online is: a bare
 * `Cust12345`; `https://<env or its numbered host>.superoffice.com/Cust12345`; or a URL on the
 * configured environment's own origin (`http://127.0.0.1:PORT/Cust12345` with the emulator).
 * A full superoffice.com URL names its environment itself; a different one set as well is a
 * contradiction, said rather than guessed.
 */
export function onlineTenant(url: string, environmentSetting: string | undefined, what = "onlineEnvironment"): OnlineTenantRef | undefined {
  const text = url.trim();
  const bare = TENANT_ID.exec(text);
  if (bare) return ref(`Cust${bare[1]}`, onlineEnvironment(environmentSetting, what));
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  const segment = TENANT_ID.exec(parsed.pathname.replace(/^\/+|\/+$/g, "").split("/")[0] ?? "");
  if (!segment) return undefined;
  const tenantId = `Cust${segment[1]}`;
  const host = /^([a-z]+?)\d*\.superoffice\.com$/.exec(parsed.hostname);
  if (host && parsed.protocol === "https:") {
    const name = host[1]!;
    const base = ENVIRONMENTS[name];
    if (!base) return undefined;
    if (environmentSetting !== undefined) {
      const set = onlineEnvironment(environmentSetting, what);
      if (set.base !== base) {
        throw new WfsyncError("E_CONFIG", `the url names the ${name} environment (${parsed.hostname}) but ${what} says ${set.name}; set only one of them`);
      }
    }
    return ref(tenantId, { name, base });
  }
  if (environmentSetting === undefined) return undefined;
  const env = onlineEnvironment(environmentSetting, what);
  return parsed.origin === env.base ? ref(tenantId, env) : undefined;
}

function ref(tenantId: string, environment: OnlineEnvironment): OnlineTenantRef {
  return { tenantId, environment, identity: `${environment.base}/${tenantId}` };
}
