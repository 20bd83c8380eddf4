/**
 * The global options every command takes (`--config`, `--env`, `--url`, `--log-level`, `--log-file`, `--api`),
 * how a command reads them, and the logger they configure.
 */
import type { Command } from "commander";
import type { Logger } from "pino";
import { redactUrl } from "../redact.js";
import { WfsyncError } from "../errors.js";
import { createLogger, type LoggerOptions } from "../log.js";

export interface GlobalOptions {
  config?: string;
  /** The one environment chosen (`--env NAME`); see `environments` for several. */
  env?: string;
  /** Every `--env` given, in order (plan and apply take several). */
  environments?: readonly string[];
  /** `--all-envs`: every environment of the config (plan and apply). */
  allEnvs?: boolean;
  url?: string;
  logLevel: string;
  logFile?: string;
  api?: string;
  /** `--lock-timeout`, in milliseconds. */
  lockTimeout?: number;
}

/** Adds the global options to the program (subcommands read them with `globalOptions`). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option("-c, --config <path>", "config file (default: sync.config.ts in the current folder)")
    .option("-e, --env <name>", "the environment of sync.config.ts to use (default: WFSYNC_ENV); plan and apply take several (repeat it); validate checks every one unless given", collect, [] as string[])
    .option("--all-envs", "plan or apply every environment of sync.config.ts, each on its own tenant")
    .option("--url <base>", "installation base URL, e.g. https://online.superoffice.com/Cust12345, or an Online tenant id, Cust12345 (overrides WFSYNC_URL and config)", httpUrl)
    .option("--log-level <level>", "stderr log level: fatal, error, warn, info, debug, trace, silent", "warn")
    .option("--log-file <path>", "also write JSON logs to this file")
    .option("--lock-timeout <duration>", "wait this long for a state another wfsync holds (e.g. 30s, 5m; default 0: refuse at once, naming the holder)", lockDuration)
    .option("--api <generation>", "SuperOffice API generation: 10.2 (10.2.4–10.2.9) or 12 (10.2.10 → 12.x, Online); default: ask the server (emulator: the one to play, default 10.2)");
}

/**
 * The global options as a command reads them. Only plan and apply (`fleet`) take several
 * environments; every other command follows one and says so when given more.
 */
export function globalOptions(cmd: Command, options: { fleet?: boolean } = {}): GlobalOptions {
  const raw = cmd.optsWithGlobals<Omit<GlobalOptions, "env" | "environments" | "allEnvs"> & { env?: string[]; allEnvs?: boolean }>();
  const environments = [...new Set(raw.env ?? [])];
  const allEnvs = raw.allEnvs === true;
  if (!options.fleet && (environments.length > 1 || allEnvs)) {
    throw new WfsyncError("E_USAGE", `${cmd.name()} works on one environment: pass one --env NAME (only plan and apply take several, or --all-envs)`);
  }
  if (allEnvs && environments.length) throw new WfsyncError("E_USAGE", "--all-envs already means every environment: leave out --env");
  const { env: _env, allEnvs: _all, ...rest } = raw;
  return { ...rest, environments, allEnvs, ...(environments.length === 1 ? { env: environments[0]! } : {}) };
}

/** A repeatable option's values, in order (commander's accumulator). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `stderr`: where readable log lines go instead of fd 2 (apply clears its progress line first). */
export function makeLogger(global: GlobalOptions, stderr?: LoggerOptions["stderr"]): Logger {
  return createLogger({ level: global.logLevel, ...(global.logFile ? { file: global.logFile } : {}), ...(stderr ? { stderr } : {}) });
}

/** `--lock-timeout`: `500ms`, `30s`, `5m`, `1h`, or a number of seconds. */
export function lockDuration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(value);
  if (!m) throw new WfsyncError("E_USAGE", `--lock-timeout: expected a duration such as 30s, 5m or 500ms, got ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Math.round(Number(m[1]) * unit);
}

/** `--url` is checked as it is read: left to the config, its problem would be shown in sync.config.ts. */
function httpUrl(value: string): string {
  let protocol = "";
  try {
    protocol = new URL(value).protocol;
  } catch {
    // not a URL at all
  }
  if (protocol === "http:" || protocol === "https:" || /^cust\d+$/i.test(value.trim())) return value;
  throw new WfsyncError("E_USAGE", `--url: expected an http(s) URL such as https://online.superoffice.com/Cust12345 or an Online tenant id (Cust12345), got ${JSON.stringify(redactUrl(value))}`);
}
