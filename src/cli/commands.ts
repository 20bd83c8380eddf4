/** Every command of the CLI; each module adds its own subcommand to the program. */
import type { Command } from "commander";
import { registerApplyCommand } from "./apply.js";
import { registerEmulatorCommand } from "./emulator.js";
import { registerInitCommand } from "./init.js";
import { registerPlanCommand } from "./plan.js";
import { registerStateCommand } from "./state.js";
import { registerValidateCommand } from "./validate.js";

export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const commands: RegisterCommand[] = [registerInitCommand, registerValidateCommand, registerPlanCommand, registerApplyCommand, registerStateCommand, registerEmulatorCommand];
