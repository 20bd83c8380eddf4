/**
 * Entry point of the `wfsync` command. argv -> commander -> one command module each, which
 * returns an exit code. Commands never call process.exit themselves.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { WfsyncError, formatError } from "../errors.js";
import { commandsFor, type RegisterCommand } from "./commands.js";
import { addGlobalOptions } from "./global.js";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(setExit: (code: number) => void, commands: readonly RegisterCommand[]): Command {
  const program = new Command("wfsync")
    .description("Workflow-as-code for SuperOffice CRM Flows: typed split options, planned and pushed to a tenant.")
    .version(packageVersion(), "-V, --version");
  addGlobalOptions(program)
    // Every command's --help lists the global options too (--config, --url, --api, …).
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program, setExit);
  return program;
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
