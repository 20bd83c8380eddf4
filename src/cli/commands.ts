/**
 * Every command of the CLI, loaded on demand: a run imports only the module of the command it
 * runs (validate never loads the HTTP client, pino or chokidar; a cached validate never loads
 * TypeScript). `--help` and unknown words load them all, so help lists every command.
 */
import type { Command } from "commander";

export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const commandLoaders: Readonly<Record<string, () => Promise<RegisterCommand>>> = {
  init: async () => (await import("./init.js")).registerInitCommand,
  validate: async () => (await import("./validate.js")).registerValidateCommand,
  plan: async () => (await import("./plan.js")).registerPlanCommand,
  apply: async () => (await import("./apply.js")).registerApplyCommand,
  destroy: async () => (await import("./destroy.js")).registerDestroyCommand,
  state: async () => (await import("./state.js")).registerStateCommand,
  watch: async () => (await import("./watch.js")).registerWatchCommand,
  import: async () => (await import("./import.js")).registerImportCommand,
  flows: async () => (await import("./flows.js")).registerFlowsCommand,
  emulator: async () => (await import("./emulator.js")).registerEmulatorCommand,
};

/** Global options that take a value, so the command word can be found after them. */
const VALUE_OPTIONS = new Set(["-c", "--config", "-e", "--env", "--url", "--log-level", "--log-file", "--api", "--lock-timeout"]);

/** The commands to register for these arguments (argv without node and script). */
export async function commandsFor(args: readonly string[]): Promise<RegisterCommand[]> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    const load = commandLoaders[arg];
    if (load) return [await load()];
    break;
  }
  return Promise.all(Object.values(commandLoaders).map((load) => load()));
}
