/**
 * Opening a project: find and load the config with the project's compiler, find the workflow
 * files. Every command that reads the user's code or config starts here.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { findConfigFile, findWorkflowFiles, loadConfig, type ConfigOverrides, type ResolvedConfig } from "../config/load.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { dslFingerprint, openCheckCache, sha1 } from "../compile/cache.js";
import { WorkflowCompiler, type CompileResult } from "../compile/compiler.js";
import { checkTsconfigOptions, dslTypesPath } from "../compile/project.js";

/** What a cached "passed" depends on besides the files: TypeScript, the options, the DSL. */
function checkCacheKey(): string {
  const require = createRequire(import.meta.url);
  const tsMorph = JSON.parse(readFileSync(require.resolve("ts-morph/package.json"), "utf8")) as { version: string };
  return sha1(`ts-morph ${tsMorph.version}\0options ${JSON.stringify(checkTsconfigOptions())}\0dsl ${dslFingerprint(dslTypesPath())}`);
}

export interface OpenProjectOptions {
  cwd: string;
  /** Skip the type check of files unchanged since they last passed (default true). */
  checkCache?: boolean;
  config?: string | undefined;
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  /**
   * `required` (default): no matching workflow file is an error (plan, apply, watch, validate);
   * `optional`: the config alone is wanted (state commands, import into a new project).
   */
  workflowFiles?: "required" | "optional";
}

export interface OpenProject {
  readonly config: ResolvedConfig;
  readonly compiler: WorkflowCompiler;
  readonly files: readonly string[];
}

export function openProject(options: OpenProjectOptions): OpenProject {
  const configFile = findConfigFile(options.cwd, options.config);
  const compiler = new WorkflowCompiler({
    root: options.cwd,
    ...(options.checkCache === false ? {} : { cache: openCheckCache(path.join(path.dirname(configFile), ".wfsync", "check-cache.json"), checkCacheKey()) }),
  });
  const config = loadConfig(compiler, configFile, options.overrides, options.env);
  if (config.api) compiler.setTarget({ api: config.api });
  const files = findWorkflowFiles(config);
  if (files.length === 0 && options.workflowFiles !== "optional") {
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
 * broken file's options as removed.
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
