/** The emulator as tests start it: a free port on 127.0.0.1, its default user, closed after the test. */
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/index.js";
import { onCleanup } from "./cleanup.js";

/** The emulator's default user (it is started with no credential variables). */
export const EMULATOR_CREDENTIALS = { WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "wfsync" } as const;

export async function startTestEmulator(options: Omit<EmulatorOptions, "port" | "env"> = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, env: {}, ...options });
  onCleanup(() => emu.close());
  return emu;
}

/** The names of the options a split has on the emulator, sorted: what a test compares after an apply. */
export function splitOptionNames(emu: { data(): { options: readonly { WorkflowStepId: number; Name: string }[] } }, split: number): string[] {
  return emu
    .data()
    .options.filter((o) => o.WorkflowStepId === split)
    .map((o) => o.Name)
    .sort();
}
