/**
 * The request limits a tenant gets, in one place: which kind of server the URL names, and what
 * concurrency and rate follow from it and the config. SuperOffice Online documents a limit for
 * custom apps (10 API calls per second); an on-site server documents none, so there only the
 * concurrency bounds the load unless the config sets a rate. Either way the queue adapts below
 * these while the server throttles (tenant/adapt).
 */
import type { ResolvedConfig } from "../config/load.js";
import type { Limits } from "./adapt.js";

export type ServerKind = "online" | "onsite";

/** "No more than 10 API calls per second" (SuperOffice's checklist for custom apps on Online). */
export const ONLINE_DEFAULT_RATE = 10;

/** Where the rate came from: the plan header says it. */
export type LimitSource = "flag" | "config" | "online default" | "on-site default";

export interface EffectiveLimits {
  readonly kind: ServerKind;
  /** Attempts in flight at most. */
  readonly concurrency: number;
  /** Attempt starts per second at most; undefined: no cap. Adaptation never goes above it. */
  readonly rate: number | undefined;
  readonly source: LimitSource;
  /** Lowered while the server throttles, raised again when it stops. */
  readonly adaptive: boolean;
}

/** SuperOffice Online's hosts are `*.superoffice.com` (online., sod., qaonline., and tenants' own). */
export function serverKind(url: string): ServerKind {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return "onsite";
  }
  return host === "superoffice.com" || host.endsWith(".superoffice.com") ? "online" : "onsite";
}

export function effectiveLimits(config: Pick<ResolvedConfig, "concurrency" | "rate" | "limitsFrom" | "adaptive">, kind: ServerKind): EffectiveLimits {
  const given = config.limitsFrom.rate;
  if (config.rate !== undefined && given !== "default") {
    return { kind, concurrency: config.concurrency, rate: config.rate, source: given, adaptive: config.adaptive };
  }
  return kind === "online"
    ? { kind, concurrency: config.concurrency, rate: ONLINE_DEFAULT_RATE, source: "online default", adaptive: config.adaptive }
    : { kind, concurrency: config.concurrency, rate: undefined, source: "on-site default", adaptive: config.adaptive };
}

/**
 * The limits a connection to the tenant gets: what connectTenant uses and the plan header shows.
 * A tenant known to be an Online one (a `Cust12345` address, whatever host stands in for its
 * environment) is Online; otherwise the URL's host says.
 */
export function limitsFor(config: Pick<ResolvedConfig, "concurrency" | "rate" | "limitsFrom" | "adaptive">, tenant: { readonly url: string; readonly online?: object | undefined }): EffectiveLimits {
  return effectiveLimits(config, tenant.online ? "online" : serverKind(tenant.url));
}

/** `8 in flight, no rate cap (on-site default), adapts to throttling` */
export function describeLimits(l: EffectiveLimits): string {
  const rate = l.rate === undefined ? "no rate cap" : `at most ${formatRate(l.rate)} requests/s`;
  return `${l.concurrency} in flight, ${rate} (${l.source}), ${l.adaptive ? "adapts to throttling" : "does not adapt to throttling"}`;
}

/** `4.5`, `10`, `0.25`: enough digits to tell rates apart, no trailing noise. */
export function formatRate(rate: number): string {
  return rate >= 10 ? String(Math.round(rate)) : String(Math.round(rate * 100) / 100);
}

/** The limits in force now, for progress and log lines: `4.5 requests/s, 3 in flight` (`no rate cap` once lifted). */
export function limitsNow(l: Limits): string {
  return `${l.rate === undefined ? "no rate cap" : `${formatRate(l.rate)} requests/s`}, ${l.concurrency} in flight`;
}

/** `plan --json`'s `limits`. */
export function limitsToJson(l: EffectiveLimits): { concurrency: number; rate: number | null; source: LimitSource; adaptive: boolean; server: ServerKind } {
  return { concurrency: l.concurrency, rate: l.rate ?? null, source: l.source, adaptive: l.adaptive, server: l.kind };
}
