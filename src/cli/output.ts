/** Small helpers every command uses to print; the library itself never prints. */
import { WfsyncError, formatError } from "../errors.js";
import { redactUrl } from "../redact.js";
import { describeLimits, type EffectiveLimits } from "../tenant/limits.js";
import { describeGeneration, type ApiGeneration } from "../tenant/tenant.js";

export function printError(err: unknown): void {
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
 * The plan's header: which tenant, which SuperOffice API generation it speaks, and (when given)
 * the request limits apply runs with.
 */
export function targetLine(url: string, api: ApiGeneration | undefined, limits?: EffectiveLimits): string {
  const limitsLine = limits ? `Limits: ${describeLimits(limits)}\n` : "";
  return `Tenant ${redactUrl(url)} · ${api ? describeGeneration(api) : "API generation not asked (--no-refresh)"}\n${limitsLine}\n`;
}
