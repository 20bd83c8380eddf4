/**
 * The global options every command takes (`--config`, `--url`, `--log-level`, `--log-file`),
 * how a command reads them, and the logger they configure.
 */
import type { Command } from "commander";
import type { Logger } from "pino";
import { redactUrl } from "../redact.js";
import { WfsyncError } from "../errors.js";
import { createLogger, type LoggerOptions } from "../log.js";

export interface GlobalOptions {
  config?: string;
  url?: string;
  logLevel: string;
  logFile?: string;
  api?: string;
}

/** Adds the global options to the program (subcommands read them with `globalOptions`). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option("-c, --config <path>", "config file (default: sync.config.ts in the current folder)")
    .option("--url <base>", "installation base URL, e.g. https://online.superoffice.com/Cust12345, or an Online tenant id, Cust12345 (overrides WFSYNC_URL and config)", httpUrl)
    .option("--log-level <level>", "stderr log level: fatal, error, warn, info, debug, trace, silent", "warn")
    .option("--log-file <path>", "also write JSON logs to this file")
    .option("--api <generation>", "SuperOffice API generation: 10.2 (10.2.4–10.2.9) or 12 (10.2.10 → 12.x, Online); default: ask the server (emulator: the one to play, default 10.2)");
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** `stderr`: where readable log lines go instead of fd 2 (apply clears its progress line first). */
export function makeLogger(global: GlobalOptions, stderr?: LoggerOptions["stderr"]): Logger {
  return createLogger({ level: global.logLevel, ...(global.logFile ? { file: global.logFile } : {}), ...(stderr ? { stderr } : {}) });
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
