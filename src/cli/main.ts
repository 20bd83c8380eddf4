/**
 * Entry point of the `wfsync` command. argv -> commander -> one command module each, which
 * returns an exit code. Commands never call process.exit themselves.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { WfsyncError, formatError } from "../errors.js";
import { commandsFor, type RegisterCommand } from "./commands.js";
import { addGlobalOptions } from "./global.js";
import { useColor } from "./output.js";

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

/**
 * Output to a pipe whose reader has gone (`wfsync plan | head -3`) ends the process at once and
 * quietly with exit 141, what a shell tool killed by SIGPIPE reports (128 + 13): no one reads
 * any more, so nothing is printed, and `set -o pipefail` still learns the output was cut short.
 * Node ignores SIGPIPE, so the closed pipe shows up as an EPIPE error on the stream instead.
 * An apply cut short like this is an interruption its state journal already survives (kill -9).
 * Installed by bin/wfsync.js only: it is about the process's own stdout and stderr.
 */
export const CLOSED_PIPE_EXIT_CODE = 141;

export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(CLOSED_PIPE_EXIT_CODE);
      throw err;
    });
  }
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
      process.stderr.write(`${formatError(err, { color: useColor(process.stderr) })}\n`);
      return 1;
    }
    throw err;
  }
}
