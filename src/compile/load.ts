/**
 * Opening a project: find and load the config, find the workflow files, compile them.
 * Every command that reads the user's code starts here.
 */
import path from "node:path";
import { findConfigFile, findWorkflowFiles, loadConfig, type ConfigOverrides, type ResolvedConfig } from "../config/load.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { WorkflowCompiler, type CompileResult } from "./compiler.js";

export interface OpenProjectOptions {
  cwd: string;
  config?: string | undefined;
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
}

export interface OpenProject {
  readonly config: ResolvedConfig;
  readonly compiler: WorkflowCompiler;
  readonly files: readonly string[];
}

export function openProject(options: OpenProjectOptions): OpenProject {
  const configFile = findConfigFile(options.cwd, options.config);
  const compiler = new WorkflowCompiler({ root: options.cwd });
  const config = loadConfig(compiler, configFile, options.overrides, options.env);
  const files = findWorkflowFiles(config);
  if (files.length === 0) {
    throw new WfsyncError(
      "E_NO_WORKFLOW_FILES",
      `no workflow files match ${config.workflows.map((g) => JSON.stringify(g)).join(", ")} in ${path.relative(options.cwd, config.root) || "."}`,
    );
  }
  compiler.setWorkflowFiles(files);
  return { config, compiler, files };
}

/**
 * Compiles the whole project and refuses to go on if any file failed: a plan must never read a
 * broken file's options as removed (design.md, invariant 1).
 */
export function compileOrThrow(project: OpenProject): CompileResult {
  const result = project.compiler.compile();
  if (result.errors.length) {
    const files = new Set(result.errors.map((e) => e.location?.file).filter(Boolean));
    throw new WfsyncErrors(
      "E_COMPILE",
      `${result.errors.length} ${result.errors.length === 1 ? "problem" : "problems"} in ${files.size} ${files.size === 1 ? "file" : "files"}; nothing was sent`,
      result.errors,
    );
  }
  return result;
}

export function describeStats(stats: CompileResult["stats"]): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return `${n(stats.workflows, "workflow")}, ${n(stats.splits, "split")}, ${n(stats.options, "option")}, ${n(stats.steps, "step")}`;
}
