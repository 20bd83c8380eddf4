import type { Command } from "commander";
import { formatError } from "../errors.js";
import { describeStats, openProject } from "../workspace/project.js";
import { globalOptions } from "./global.js";
import { runCommand, useColor } from "./output.js";

export function registerValidateCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("type-check and validate the config and every workflow file; sends nothing")
    .action(async (_opts: object, cmd: Command) => {
      const global = globalOptions(cmd);
      await runCommand(setExit, () => {
        const project = openProject({ cwd: process.cwd(), config: global.config });
        const result = project.compiler.compile();
        if (result.errors.length) {
          for (const err of result.errors) process.stderr.write(`${formatError(err, { color: useColor(process.stderr) })}\n\n`);
          const files = new Set(result.errors.map((e) => e.location?.file).filter(Boolean));
          process.stderr.write(
            `${result.errors.length} ${result.errors.length === 1 ? "problem" : "problems"} in ${files.size} ${files.size === 1 ? "file" : "files"}\n`,
          );
          return 1;
        }
        process.stdout.write(`${describeStats(result.stats)}: valid\n`);
        return 0;
      });
    });
}
