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
import type { EnvironmentConfig, WfsyncConfig } from "../dsl/config.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { settingLocator } from "./locate.js";
import { hasPassword, isDatabaseState } from "../state-url.js";

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
  /**
   * Absolute path of the state file, or a `postgres://` URL (from the config, or WFSYNC_STATE_URL,
   * which may carry a password: show it only through redactUrl).
   */
  readonly state: string;
  readonly concurrency: number;
  /** Requests per second at most, when the config or a flag sets one; else the server kind decides (tenant/limits). */
  readonly rate: number | undefined;
  /** Where `concurrency` and `rate` came from: the plan header names it. */
  readonly limitsFrom: { readonly concurrency: SettingSource; readonly rate: SettingSource };
  /** Lower the rate and concurrency while the server throttles (default true). */
  readonly adaptive: boolean;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly massDeleteShare: number;
  /** The API generation, when the config (or `--api`) forces one; else the server is asked. */
  readonly api: "10.2" | "12" | undefined;
  /** The environment chosen (`--env`, WFSYNC_ENV), whose settings are the ones above. */
  readonly environment: string | undefined;
  /** Every environment the config defines, in its order (empty: the config has none). */
  readonly environments: readonly string[];
  /**
   * The SuperOffice Online environment a bare `Cust12345` url belongs to (`online`, `sod`,
   * `qaonline`/`stage`, or a base URL); WFSYNC_ONLINE_ENV overrides it. Checked by the client
   * (client/online.ts), which knows the environments. Undefined: `online`.
   */
  readonly onlineEnvironment?: string | undefined;
  /** The drift policy the config sets; undefined: each command's default (see WfsyncConfig.drift). */
  readonly drift: "revert" | "report" | "adopt" | undefined;
}

/** Where a setting's value came from. */
export type SettingSource = "flag" | "config" | "default";

export interface ConfigOverrides {
  url?: string | undefined;
  concurrency?: number | undefined;
  rate?: number | undefined;
  /** `--api`: the API generation (checked like the config's). */
  api?: string | undefined;
  /** `--env`: the environment to use (default WFSYNC_ENV). */
  environment?: string | undefined;
  /** `--drift`: the drift policy (checked like the config's). */
  drift?: string | undefined;
}

/** Settings an environment may set for itself; the rest are the project's. */
const ENVIRONMENT_SETTINGS = ["url", "state", "concurrency", "rate", "timeoutMs", "maxRetries", "massDeleteShare", "api", "onlineEnvironment", "adaptive"] as const;
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const DEFAULTS = {
  workflows: ["workflows/**/*.ts"],
  state: ".wfsync/state.json",
  concurrency: 4,
  // No `rate`: left out, it depends on the server (10/s on SuperOffice Online, none on-site).
  adaptive: true,
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
  return resolveConfig(loadRawConfig(loader, configFile), path.dirname(configFile), configFile, overrides, env);
}

/**
 * The config file's exported object, as written (checked only to be an object): what
 * resolveConfig reads, once for each environment of a fleet run.
 */
export function loadRawConfig(loader: ModuleLoader, configFile: string): WfsyncConfig {
  // Most configs keep the default globs: let the compiler parse those files with the config.
  const { exports, errors } = loader.loadModule(configFile, () => globWorkflowFiles(path.dirname(configFile), DEFAULTS.workflows, configFile));
  if (errors.length || !exports) throw new WfsyncErrors("E_CONFIG", `${path.basename(configFile)} has errors`, errors);
  const raw = exports.default;
  const where = { file: displayPath(configFile, process.cwd()), line: 1, column: 1 };
  if (!raw || typeof raw !== "object") {
    throw new WfsyncError("E_CONFIG", "the config file must `export default defineConfig({ ... })`", { location: where });
  }
  return raw as WfsyncConfig;
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

  const credentialsHere = (where: string) =>
    bad(where, "credentials come from the environment (WFSYNC_USERNAME/WFSYNC_PASSWORD, WFSYNC_TOKEN, WFSYNC_TICKET, WFSYNC_APP_TOKEN, or the system user's WFSYNC_SYSTEM_USER_TOKEN, WFSYNC_PRIVATE_KEY, WFSYNC_CLIENT_ID, WFSYNC_CLIENT_SECRET), never from the config file");
  const known = new Set(["url", "workflows", "state", "concurrency", "rate", "timeoutMs", "maxRetries", "massDeleteShare", "api", "environments", "onlineEnvironment", "adaptive", "drift"]);
  for (const key of Object.keys(raw)) {
    if (/password|token|ticket|secret/i.test(key)) credentialsHere(key);
    else if (!known.has(key)) bad(key, "unknown setting");
  }

  // Environments: named targets, one chosen per run; its settings win over the top-level ones.
  const environments = readEnvironments(raw.environments, bad, credentialsHere);
  const names = Object.keys(environments);
  const asked = overrides.environment ?? (env.WFSYNC_ENV === "" ? undefined : env.WFSYNC_ENV);
  const askedBy = overrides.environment !== undefined ? "--env" : "WFSYNC_ENV";
  let environment: string | undefined;
  if (asked !== undefined) {
    if (names.length === 0) {
      problems.push(new WfsyncError("E_USAGE", `${askedBy} ${asked}: ${path.basename(configFile)} defines no environments (add \`environments: { ${asked}: { url: … } }\`)`));
    } else if (!Object.hasOwn(environments, asked)) {
      problems.push(new WfsyncError("E_USAGE", `${askedBy} ${asked}: ${path.basename(configFile)} has no environment "${asked}"; it defines ${names.join(", ")}`));
    } else environment = asked;
  }
  const chosen = environment === undefined ? undefined : environments[environment]!;
  /** A setting's value and where it is written: the chosen environment's, else the top level's. */
  const setting = <K extends (typeof ENVIRONMENT_SETTINGS)[number]>(field: K): { value: WfsyncConfig[K]; at: string } =>
    chosen && chosen[field] !== undefined ? { value: chosen[field] as WfsyncConfig[K], at: `environments.${environment}.${field}` } : { value: raw[field], at: field };

  const fileUrl = setting("url");
  // An empty variable is an unset one (as for credentials): `WFSYNC_URL= wfsync plan`.
  const envUrl = env.WFSYNC_URL === "" ? undefined : env.WFSYNC_URL;
  const url = overrides.url ?? envUrl ?? fileUrl.value;
  if (url !== undefined && !isHttpUrl(url) && !isTenantId(url)) {
    const shown = typeof url === "string" ? JSON.stringify(redactUrl(url)) : JSON.stringify(url);
    if (overrides.url === undefined && envUrl !== undefined) {
      // Not the config file's fault: say where the value came from.
      problems.push(new WfsyncError("E_USAGE", `WFSYNC_URL must be an http(s) URL or an Online tenant id (Cust12345), got ${shown}`));
    } else bad(fileUrl.at, `must be an http(s) URL or an Online tenant id (Cust12345), got ${shown}`);
  }
  const onlineSetting = setting("onlineEnvironment");
  const onlineEnvironment = nonEmpty(env.WFSYNC_ONLINE_ENV) ?? onlineSetting.value;
  if (onlineEnvironment !== undefined && (typeof onlineEnvironment !== "string" || onlineEnvironment.trim() === "")) {
    bad(onlineSetting.at, `must be online, sod, qaonline, stage or a base URL, got ${JSON.stringify(onlineEnvironment)}`);
  }

  const workflows = raw.workflows === undefined ? [...DEFAULTS.workflows] : Array.isArray(raw.workflows) ? raw.workflows : [raw.workflows];
  if (workflows.length === 0 || workflows.some((g) => typeof g !== "string" || g.trim() === "")) bad("workflows", "must be a glob or a list of globs");
  if (names.length > 0 && typeof raw.state === "string" && !isDatabaseState(raw.state)) {
    // One state file is bound to one tenant: environments sharing it would be refused in turn.
    // (A database holds one state per tenant, so one URL for every environment is fine.)
    bad("state", "with environments, each has its own state file: set environments.NAME.state, or leave it out (default .wfsync/NAME.state.json)");
  }
  const stateSetting = setting("state");
  const state = env.WFSYNC_STATE_URL || (stateSetting.value ?? (environment !== undefined ? `.wfsync/${environment}.state.json` : DEFAULTS.state));
  if (env.WFSYNC_STATE_URL && !isDatabaseState(env.WFSYNC_STATE_URL)) {
    problems.push(new WfsyncError("E_USAGE", `WFSYNC_STATE_URL must be a postgres:// URL, got ${JSON.stringify(redactUrl(env.WFSYNC_STATE_URL))}`));
  } else if (typeof state !== "string" || state.trim() === "") bad(stateSetting.at, "must be a file path or a postgres:// URL");
  else if (!env.WFSYNC_STATE_URL && isDatabaseState(state) && hasPassword(state)) {
    bad(stateSetting.at, "the URL holds a password; credentials come from the environment: PGPASSWORD (or ~/.pgpass), or the whole URL in WFSYNC_STATE_URL");
  }

  const positive = (field: string, value: unknown, fallback: number, integer: boolean): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value > 0) || (integer && !Number.isInteger(value))) {
      bad(field, `must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  };
  const numeric = (field: "concurrency" | "rate" | "timeoutMs" | "maxRetries", override: number | undefined, fallback: number, integer: boolean): number => {
    if (override !== undefined) return positive(field, override, fallback, integer);
    const { value, at } = setting(field);
    if (field === "maxRetries" && value === 0) return 0;
    return positive(at, value, fallback, integer);
  };
  const concurrency = numeric("concurrency", overrides.concurrency, DEFAULTS.concurrency, true);
  const rateSetting = setting("rate");
  const rate = overrides.rate === undefined && rateSetting.value === undefined ? undefined : numeric("rate", overrides.rate, 1, false);
  const from = (flag: unknown, file: unknown): SettingSource => (flag !== undefined ? "flag" : file !== undefined ? "config" : "default");
  const limitsFrom = { concurrency: from(overrides.concurrency, setting("concurrency").value), rate: from(overrides.rate, rateSetting.value) };
  const adaptiveSetting = setting("adaptive");
  const adaptive = adaptiveSetting.value ?? DEFAULTS.adaptive;
  if (typeof adaptive !== "boolean") bad(adaptiveSetting.at, `must be true or false, got ${JSON.stringify(adaptive)}`);
  const timeoutMs = numeric("timeoutMs", undefined, DEFAULTS.timeoutMs, true);
  const maxRetries = numeric("maxRetries", undefined, DEFAULTS.maxRetries, true);
  const share = setting("massDeleteShare");
  const massDeleteShare = share.value ?? DEFAULTS.massDeleteShare;
  if (typeof massDeleteShare !== "number" || massDeleteShare < 0 || massDeleteShare > 1) bad(share.at, "must be a number from 0 to 1");
  const apiSetting = setting("api");
  const api = overrides.api ?? apiSetting.value;
  if (api !== undefined && api !== "10.2" && api !== "12") {
    if (overrides.api !== undefined) problems.push(new WfsyncError("E_USAGE", `--api must be 10.2 or 12, got ${JSON.stringify(api)}`));
    else bad(apiSetting.at, `must be "10.2" (servers 10.2.4–10.2.9) or "12" (10.2.10 and later), got ${JSON.stringify(api)}`);
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
    // A database URL is not a path: resolving it would make a folder of it.
    state: isDatabaseState(state) ? state.trim() : path.resolve(root, state),
    concurrency,
    rate,
    limitsFrom,
    adaptive: adaptive !== false,
    timeoutMs,
    maxRetries,
    massDeleteShare,
    api: api === "10.2" || api === "12" ? api : undefined,
    environment,
    environments: names,
    onlineEnvironment: typeof onlineEnvironment === "string" ? onlineEnvironment.trim() : undefined,
    drift: isPolicy(drift) ? drift : undefined,
  };
}

/** The config's `environments`, checked (names, settings); problems go to `bad`. */
function readEnvironments(
  value: unknown,
  bad: (field: string, message: string) => void,
  credentialsHere: (field: string) => void,
): Record<string, EnvironmentConfig> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    bad("environments", "must be an object of named environments: { sandbox: { url: … }, production: { url: … } }");
    return {};
  }
  const out: Record<string, EnvironmentConfig> = {};
  const allowed = new Set<string>(ENVIRONMENT_SETTINGS);
  for (const [name, settings] of Object.entries(value as Record<string, unknown>)) {
    const at = `environments.${name}`;
    if (!ENVIRONMENT_NAME.test(name)) {
      bad(at, `environment name ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-" (it names the state file and --env)`);
      continue;
    }
    if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
      bad(at, "must be an object of settings ({ url, state, concurrency, rate, … })");
      continue;
    }
    for (const key of Object.keys(settings)) {
      if (/password|token|ticket|secret/i.test(key)) credentialsHere(`${at}.${key}`);
      else if (!allowed.has(key)) bad(`${at}.${key}`, `not a setting an environment can have (it can set ${ENVIRONMENT_SETTINGS.join(", ")})`);
    }
    out[name] = settings as EnvironmentConfig;
  }
  return out;
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

/** `Cust12345`, an Online tenant named by its id alone (client/online.ts finds its environment). */
function isTenantId(value: unknown): boolean {
  return typeof value === "string" && /^cust\d+$/i.test(value.trim());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
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
