/**
 * Entry point of the `wfsync` command. argv -> commander -> one command module each, which
 * returns an exit code. Commands never call process.exit themselves.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { redactUrl } from "../client/url.js";
import { WfsyncError, formatError } from "../errors.js";
import { commandsFor, type RegisterCommand } from "./commands.js";

export interface GlobalOptions {
  config?: string;
  url?: string;
  logLevel: string;
  logFile?: string;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(setExit: (code: number) => void, commands: readonly RegisterCommand[]): Command {
  const program = new Command("wfsync")
    .description("Workflow-as-code for SuperOffice CRM Flows: typed split options, planned and pushed to a tenant.")
    .version(packageVersion(), "-V, --version")
    .option("-c, --config <path>", "config file (default: sync.config.ts in the current folder)")
    .option("--url <base>", "installation base URL, e.g. https://online.superoffice.com/Cust12345 (overrides WFSYNC_URL and config)", httpUrl)
    .option("--log-level <level>", "stderr log level: fatal, error, warn, info, debug, trace, silent", "warn")
    .option("--log-file <path>", "also write JSON logs to this file")
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program, setExit);
  return program;
}

/** `--url` is checked as it is read: left to the config, its problem would be shown in sync.config.ts. */
function httpUrl(value: string): string {
  let protocol = "";
  try {
    protocol = new URL(value).protocol;
  } catch {
    // not a URL at all
  }
  if (protocol === "http:" || protocol === "https:") return value;
  throw new WfsyncError("E_USAGE", `--url: expected an http(s) URL such as https://online.superoffice.com/Cust12345, got ${JSON.stringify(redactUrl(value))}`);
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  }, await commandsFor(argv.slice(2)));
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof WfsyncError) {
      process.stderr.write(`${formatError(err)}\n`);
      return 1;
    }
    throw err;
  }
}
