/** Small helpers every command uses to print; the library itself never prints. */
import { WfsyncError, formatError } from "../errors.js";
import { redactUrl } from "../redact.js";
import { tenantLabel, type TenantTarget } from "../client/routing.js";
import { describeLimits, type EffectiveLimits } from "../tenant/limits.js";
import { describeGeneration, type ApiGeneration } from "../tenant/tenant.js";
import { annotate } from "./ci.js";

export function printError(err: unknown): void {
  // On GitHub Actions the located problems are also annotations on their lines.
  annotate(err);
  // Coloured as `validate` colours its errors, on a terminal only.
  if (err instanceof WfsyncError) process.stderr.write(`${formatError(err, { color: useColor(process.stderr) })}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

/** Runs a command body; a WfsyncError becomes a printed message and exit code 1. */
export async function runCommand(setExit: (code: number) => void, body: () => Promise<number> | number): Promise<void> {
  try {
    setExit(await body());
  } catch (err) {
    printError(err);
    setExit(1);
  }
}

/** Colour on a terminal, unless NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

/**
 * The plan's header: which tenant (on Online its id, host and version: "Cust12345
 * (online2.superoffice.com), SuperOffice 12.4.1514"; on-site its URL), which API generation it
 * speaks, and (when given) the request limits apply runs with.
 */
export function targetLine(target: TenantTarget, api: ApiGeneration | undefined, limits?: EffectiveLimits): string {
  const limitsLine = limits ? `Limits: ${describeLimits(limits)}\n` : "";
  return `Tenant ${tenantLabel(target)} · ${api ? describeGeneration(api) : "API generation not asked (--no-refresh)"}\n${limitsLine}\n`;
}

/** The tenant in `plan --json` / `apply --json`: `{ url, label, id, environment, host, version }` (null where unknown or on-site). */
export function tenantJson(target: TenantTarget): Record<string, string | null> {
  const o = target.online;
  return {
    url: redactUrl(target.url),
    label: tenantLabel(target),
    id: o?.tenantId ?? null,
    environment: o?.environment ?? null,
    host: o ? (o.host ?? null) : new URL(target.url).host,
    version: o?.version ?? null,
  };
}

/** The heading of a Markdown plan: the tenant (redacted label) and its API generation in words. */
export function markdownHeading(target: TenantTarget, api: ApiGeneration | undefined, environment?: string): { tenant: string; api: string; environment?: string } {
  return { tenant: tenantLabel(target), api: api ? describeGeneration(api) : "API generation not asked (--no-refresh)", ...(environment ? { environment } : {}) };
}

/** A warning for stderr: yellow on a terminal (unless NO_COLOR), plain otherwise. */
export function paintWarning(text: string): string {
  return useColor(process.stderr) ? `\u001b[33m${text}\u001b[0m` : text;
}
