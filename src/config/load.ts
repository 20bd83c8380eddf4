/**
 * Loads `sync.config.ts`: type-checked and evaluated by a module loader the caller hands in (the
 * workflows' compiler, so the config and the workflows share one TypeScript program), then
 * checked field by field. Flags override the file; the URL may also come from WFSYNC_URL.
 * Credentials never come from the file (see client/credentials).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { globSync } from "tinyglobby";
import { displayPath } from "../paths.js";
import { redactUrl } from "../redact.js";
import type { WfsyncConfig } from "../dsl/config.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { settingLocator } from "./locate.js";

export const DEFAULT_CONFIG_FILE = "sync.config.ts";

/** Type-checks and evaluates one TypeScript module: its exports, or every problem found. */
export interface ModuleLoader {
  /** `likelyNext`: files the loader may parse in the same pass (the default workflow globs). */
  loadModule(file: string, likelyNext?: () => readonly string[]): { exports?: Record<string, unknown>; errors: readonly WfsyncError[] };
}

export interface ResolvedConfig {
  /** The folder of the config file: relative paths and globs start here. */
  readonly root: string;
  readonly configFile: string;
  readonly url: string | undefined;
  readonly workflows: readonly string[];
  /** Absolute path of the state file. */
  readonly state: string;
  readonly concurrency: number;
  readonly rate: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly massDeleteShare: number;
  /** The API generation, when the config (or `--api`) forces one; else the server is asked. */
  readonly api: "10.2" | "12" | undefined;
  /** The drift policy the config sets; undefined: each command's default (see WfsyncConfig.drift). */
  readonly drift: "revert" | "report" | "adopt" | undefined;
}

export interface ConfigOverrides {
  url?: string | undefined;
  concurrency?: number | undefined;
  rate?: number | undefined;
  /** `--api`: the API generation (checked like the config's). */
  api?: string | undefined;
  /** `--drift`: the drift policy (checked like the config's). */
  drift?: string | undefined;
}

export const DEFAULTS = {
  workflows: ["workflows/**/*.ts"],
  state: ".wfsync/state.json",
  concurrency: 4,
  rate: 10,
  timeoutMs: 30_000,
  maxRetries: 5,
  massDeleteShare: 0.5,
} as const;

/** Finds the config file: `--config`, else sync.config.ts in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string): string {
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    throw new WfsyncError(
      "E_NO_CONFIG",
      explicit
        ? `config file ${explicit} does not exist`
        : `no ${DEFAULT_CONFIG_FILE} in ${cwd}; run \`wfsync init\` to create a project, or pass --config PATH`,
    );
  }
  return file;
}

export function loadConfig(
  loader: ModuleLoader,
  configFile: string,
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  // Most configs keep the default globs: let the compiler parse those files with the config.
  const { exports, errors } = loader.loadModule(configFile, () => globWorkflowFiles(path.dirname(configFile), DEFAULTS.workflows, configFile));
  if (errors.length || !exports) throw new WfsyncErrors("E_CONFIG", `${path.basename(configFile)} has errors`, errors);
  const raw = exports.default;
  const root = path.dirname(configFile);
  const where = { file: displayPath(configFile, process.cwd()), line: 1, column: 1 };
  if (!raw || typeof raw !== "object") {
    throw new WfsyncError("E_CONFIG", "the config file must `export default defineConfig({ ... })`", { location: where });
  }
  return resolveConfig(raw as WfsyncConfig, root, configFile, overrides, env);
}

/** Checks a config value and applies defaults and overrides; every problem reported at once. */
export function resolveConfig(
  raw: WfsyncConfig,
  root: string,
  configFile: string,
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const problems: WfsyncError[] = [];
  // At the property that sets it (the file is parsed only when something is wrong).
  const locate = settingLocator(configFile, displayPath(configFile, process.cwd()));
  const bad = (field: string, message: string) => problems.push(new WfsyncError("E_CONFIG", `config "${field}": ${message}`, locate(field)));

  const known = new Set(["url", "workflows", "state", "concurrency", "rate", "timeoutMs", "maxRetries", "massDeleteShare", "api", "drift"]);
  for (const key of Object.keys(raw)) {
    if (/password|token|ticket|secret/i.test(key)) {
      bad(key, "credentials come from the environment (WFSYNC_USERNAME/WFSYNC_PASSWORD, WFSYNC_TOKEN, WFSYNC_TICKET, WFSYNC_APP_TOKEN), never from the config file");
    } else if (!known.has(key)) bad(key, "unknown setting");
  }

  const url = overrides.url ?? env.WFSYNC_URL ?? raw.url;
  if (url !== undefined && !isHttpUrl(url)) {
    const shown = typeof url === "string" ? JSON.stringify(redactUrl(url)) : JSON.stringify(url);
    if (overrides.url === undefined && env.WFSYNC_URL !== undefined) {
      // Not the config file's fault: say where the value came from.
      problems.push(new WfsyncError("E_USAGE", `WFSYNC_URL must be an http(s) URL, got ${shown}`));
    } else bad("url", `must be an http(s) URL, got ${shown}`);
  }

  const workflows = raw.workflows === undefined ? [...DEFAULTS.workflows] : Array.isArray(raw.workflows) ? raw.workflows : [raw.workflows];
  if (workflows.length === 0 || workflows.some((g) => typeof g !== "string" || g.trim() === "")) bad("workflows", "must be a glob or a list of globs");
  const state = raw.state ?? DEFAULTS.state;
  if (typeof state !== "string" || state.trim() === "") bad("state", "must be a file path");

  const positive = (field: string, value: unknown, fallback: number, integer: boolean): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value > 0) || (integer && !Number.isInteger(value))) {
      bad(field, `must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  };
  const concurrency = positive("concurrency", overrides.concurrency ?? raw.concurrency, DEFAULTS.concurrency, true);
  const rate = positive("rate", overrides.rate ?? raw.rate, DEFAULTS.rate, false);
  const timeoutMs = positive("timeoutMs", raw.timeoutMs, DEFAULTS.timeoutMs, true);
  const maxRetries = raw.maxRetries === 0 ? 0 : positive("maxRetries", raw.maxRetries, DEFAULTS.maxRetries, true);
  const massDeleteShare = raw.massDeleteShare ?? DEFAULTS.massDeleteShare;
  if (typeof massDeleteShare !== "number" || massDeleteShare < 0 || massDeleteShare > 1) bad("massDeleteShare", "must be a number from 0 to 1");
  const api = overrides.api ?? raw.api;
  if (api !== undefined && api !== "10.2" && api !== "12") {
    if (overrides.api !== undefined) problems.push(new WfsyncError("E_USAGE", `--api must be 10.2 or 12, got ${JSON.stringify(api)}`));
    else bad("api", `must be "10.2" (servers 10.2.4–10.2.9) or "12" (10.2.10 and later), got ${JSON.stringify(api)}`);
  }

  const drift = overrides.drift ?? raw.drift;
  const isPolicy = (v: unknown): v is "revert" | "report" | "adopt" => v === "revert" || v === "report" || v === "adopt";
  if (drift !== undefined && !isPolicy(drift)) {
    const what = `must be "revert" (put the code's version back), "report" (show it, leave it) or "adopt" (take it into the state), got ${JSON.stringify(drift)}`;
    if (overrides.drift !== undefined) problems.push(new WfsyncError("E_USAGE", `--drift ${what}`));
    else bad("drift", what);
  }

  if (problems.length === 1) throw problems[0]!;
  if (problems.length) throw new WfsyncErrors("E_CONFIG", `${path.basename(configFile)} has ${problems.length} problems`, problems);
  return {
    root,
    configFile,
    url: url?.replace(/\/+$/, ""),
    workflows,
    state: path.resolve(root, state),
    concurrency,
    rate,
    timeoutMs,
    maxRetries,
    massDeleteShare,
    api: api === "10.2" || api === "12" ? api : undefined,
    drift: isPolicy(drift) ? drift : undefined,
  };
}

/** The workflow files the config's globs match (absolute, sorted). */
export function findWorkflowFiles(config: ResolvedConfig): string[] {
  return globWorkflowFiles(config.root, config.workflows, config.configFile);
}

function globWorkflowFiles(root: string, globs: readonly string[], configFile: string): string[] {
  return globSync([...globs], { cwd: root, absolute: true, ignore: ["**/node_modules/**", "**/*.d.ts"] })
    .map((f) => path.resolve(f))
    .filter((f) => f !== configFile)
    .sort();
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
