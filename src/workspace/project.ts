/**
 * Opening a project: find and load the config with the project's compiler, find the workflow
 * files. Every command that reads the user's code or config starts here.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { findConfigFile, findWorkflowFiles, loadConfig, loadRawConfig, resolveConfig, type ConfigOverrides, type ResolvedConfig } from "../config/load.js";
import { EvaluationSandbox } from "../compile/sandbox.js";
import { SharedResults } from "../compile/shared.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { dslFingerprint, openCheckCache, sha1, type CheckCache } from "../compile/cache.js";
import { WorkflowCompiler, type CompileResult } from "../compile/compiler.js";
import { checkTsconfigOptions, dslTypesPath } from "../compile/project.js";

/** What a cached "passed" depends on besides the files: TypeScript, the options, the DSL. */
function checkCacheKey(): string {
  const require = createRequire(import.meta.url);
  const tsMorph = JSON.parse(readFileSync(require.resolve("ts-morph/package.json"), "utf8")) as { version: string };
  return sha1(`ts-morph ${tsMorph.version}\0options ${JSON.stringify(checkTsconfigOptions())}\0dsl ${dslFingerprint(dslTypesPath())}`);
}

/**
 * What `process.env` holds in `sync.config.ts`: the environment without anything that may be a
 * credential — a name containing PASSWORD, SECRET, TOKEN, TICKET or CREDENTIAL, a name with a
 * part KEY or PASS (`WFSYNC_PRIVATE_KEY`, `API_KEY`, `DB_PASS`), or a URL value carrying a
 * password. The config's values reach workflow files and from there the tenant, so none of them
 * may be able to carry a secret.
 */
export function configEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || looksSecret(name, value)) continue;
    out[name] = value;
  }
  return out;
}

function looksSecret(name: string, value: string): boolean {
  if (/PASSWORD|SECRET|TOKEN|TICKET|CREDENTIAL/i.test(name)) return true;
  if (name.split(/[_\-.]/).some((part) => /^(KEY|PASS|PASSWD|PWD)$/i.test(part) && !/^PWD$/.test(name))) return true;
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value);
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
  /**
   * `required` (default): a config with environments needs one chosen (every command that talks
   * to a tenant or reads its state); `any`: none chosen is fine (validate checks each in turn).
   */
  environment?: "required" | "any";
}

export interface OpenProject {
  readonly config: ResolvedConfig;
  readonly compiler: WorkflowCompiler;
  readonly files: readonly string[];
}

export function openProject(options: OpenProjectOptions): OpenProject {
  const configFile = findConfigFile(options.cwd, options.config);
  const compiler = new WorkflowCompiler({ root: options.cwd, ...checkCacheOf(options, configFile) });
  const env = options.env ?? process.env;
  compiler.setConfigEnv(configEnvironment(env));
  return finishProject(options, configFile, compiler, loadConfig(compiler, configFile, options.overrides, env));
}

function checkCacheOf(options: OpenProjectOptions, configFile: string): { cache?: CheckCache } {
  return options.checkCache === false ? {} : { cache: openCheckCache(path.join(path.dirname(configFile), ".wfsync", "check-cache.json"), checkCacheKey()) };
}

/** One project opened for several environments in turn (a fleet run). */
export interface ProjectFamily {
  /** The environments the config defines. */
  readonly environments: readonly string[];
  /** The project as the environment sees it: its settings, its own compiler (and values). */
  open(environment: string, overrides?: ConfigOverrides): OpenProject;
  /** Ends the shared evaluation worker. */
  close(): void;
  /** How often one environment's evaluation (a whole pass) or file validation served another. */
  readonly reused: { readonly evaluations: number; readonly validations: number };
}

/**
 * Opens the project once for many environments: the config is evaluated once (it does not
 * depend on the environment; only its resolution does), every environment's compiler shares one
 * evaluation worker and one check cache, and the first reuses the program that checked the
 * config. So the type check runs once, and each further environment only evaluates its files.
 */
export function openProjectFamily(options: OpenProjectOptions): ProjectFamily {
  const configFile = findConfigFile(options.cwd, options.config);
  const cached = checkCacheOf(options, configFile);
  // The environments' compiles are the same job over the same code: unless the code asks which
  // environment it is (defineValues), the first one's results answer the others.
  const sandbox = new EvaluationSandbox({ reuseContextFree: true });
  const env = options.env ?? process.env;
  const shared = new SharedResults();
  let first: WorkflowCompiler | undefined = new WorkflowCompiler({ root: options.cwd, ...cached, sandbox, shared });
  let raw: ReturnType<typeof loadRawConfig>;
  try {
    first.setConfigEnv(configEnvironment(env));
    raw = loadRawConfig(first, configFile);
  } catch (err) {
    sandbox.close();
    throw err;
  }
  const root = path.dirname(configFile);
  // The environments share the config's folder and globs: the files are looked for once.
  const found = new Map<string, string[]>();
  const findOnce = (config: ResolvedConfig): string[] => {
    const key = JSON.stringify([config.root, config.workflows]);
    let files = found.get(key);
    if (!files) found.set(key, (files = findWorkflowFiles(config)));
    return [...files];
  };
  const environments = resolveConfig(raw, root, configFile, { ...options.overrides, environment: undefined }, { ...env, WFSYNC_ENV: "" }).environments;
  return {
    environments,
    open(environment, overrides = {}) {
      const compiler = first ?? new WorkflowCompiler({ root: options.cwd, ...cached, sandbox, shared });
      first = undefined;
      const config = resolveConfig(raw, root, configFile, { ...options.overrides, ...overrides, environment }, env);
      return finishProject({ ...options, environment: "required" }, configFile, compiler, config, findOnce);
    },
    close: () => sandbox.close(),
    get reused() {
      return { evaluations: sandbox.reused, validations: shared.reused };
    },
  };
}

function finishProject(
  options: OpenProjectOptions,
  configFile: string,
  compiler: WorkflowCompiler,
  config: ResolvedConfig,
  find: (config: ResolvedConfig) => string[] = findWorkflowFiles,
): OpenProject {
  if (config.environments.length > 0 && config.environment === undefined && options.environment !== "any") {
    throw new WfsyncError(
      "E_NO_ENV",
      `${path.basename(configFile)} defines environments ${config.environments.join(", ")}: choose one with --env NAME (or WFSYNC_ENV)`,
    );
  }
  compiler.setEnvironment(config.environment, config.environments);
  if (config.api) compiler.setTarget({ api: config.api });
  const files = find(config);
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
  return throwOnErrors(project.compiler.compile());
}

/** The compile's result, or one error listing every problem it found. */
export function throwOnErrors(result: CompileResult): CompileResult {
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
