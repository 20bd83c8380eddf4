import type { Command } from "commander";
import { formatError, formatLocation, WfsyncError } from "../errors.js";
import { describeStats, openProject, type OpenProject } from "../workspace/project.js";
import type { CompileResult } from "../compile/compiler.js";
import { describeUnresolved, standInResolver, type UnresolvedName } from "../compile/names.js";
import { globalOptions } from "./global.js";
import { runCommand, useColor } from "./output.js";
import { annotate } from "./ci.js";

export function registerValidateCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("type-check and validate the config and every workflow file, for every environment unless --env names one; sends nothing")
    .action(async (_opts: object, cmd: Command) => {
      const global = globalOptions(cmd);
      await runCommand(setExit, () => {
        const open = (environment: string | undefined): OpenProject =>
          openProject({ cwd: process.cwd(), config: global.config, overrides: { environment }, environment: "any" });
        const first = open(global.env);
        const { environment, environments } = first.config;
        // One environment (chosen, or the config has none): one compile. Otherwise each in turn,
        // since values (defineValues) and limits differ per environment.
        const runs: { name: string | undefined; result: CompileResult }[] = [];
        // Names (workflow("Onboarding", …)) need the tenant; everything else about their options
        // is checked with stand-in ids, and the names at plan time.
        let named: readonly UnresolvedName[] = [];
        const compile = (project: OpenProject): CompileResult => {
          const result = project.compiler.compile();
          if (!result.unresolved.length) return result;
          named = result.unresolved;
          return project.compiler.resolveNames(standInResolver());
        };
        if (environment !== undefined || environments.length === 0) {
          runs.push({ name: environment, result: compile(first) });
        } else {
          first.compiler.close();
          for (const name of environments) {
            const project = open(name);
            try {
              runs.push({ name, result: compile(project) });
            } finally {
              project.compiler.close();
            }
          }
        }
        const errors = mergeErrors(runs);
        if (errors.length) {
          for (const err of errors) process.stderr.write(`${formatError(err, { color: useColor(process.stderr) })}\n\n`);
          for (const err of errors) annotate(err);
          const files = new Set(errors.map((e) => e.location?.file).filter(Boolean));
          process.stderr.write(`${errors.length} ${errors.length === 1 ? "problem" : "problems"} in ${files.size} ${files.size === 1 ? "file" : "files"}\n`);
          return 1;
        }
        const last = runs[runs.length - 1]!;
        const where = runs.length > 1 ? ` in every environment (${runs.map((r) => r.name).join(", ")})` : last.name !== undefined ? ` for environment ${last.name}` : "";
        process.stdout.write(`${describeStats(last.result.stats)}: valid${where}\n`);
        if (named.length) process.stdout.write(`${describeUnresolved(named)} referred to by name: found on the tenant by plan and apply\n`);
        return 0;
      });
    });
}

/**
 * The problems of every environment's compile, each once: one found in only some environments
 * says which (a value one environment lacks), one found in all (a type error) is shown plainly.
 */
function mergeErrors(runs: readonly { name: string | undefined; result: CompileResult }[]): WfsyncError[] {
  const seen = new Map<string, { error: WfsyncError; in: string[] }>();
  for (const { name, result } of runs) {
    for (const error of result.errors) {
      const key = `${error.code}\0${error.location ? formatLocation(error.location) : ""}\0${error.message}`;
      const entry = seen.get(key) ?? { error, in: [] };
      if (name !== undefined) entry.in.push(name);
      seen.set(key, entry);
    }
  }
  return [...seen.values()].map(({ error, in: names }) =>
    runs.length > 1 && names.length < runs.length
      ? new WfsyncError(error.code, `environment ${names.join(", ")}: ${error.message}`, {
          location: error.location,
          related: error.related,
          sourceText: error.sourceText,
          detail: error.detail,
          userError: error.userError,
        })
      : error,
  );
}
