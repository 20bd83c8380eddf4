/**
 * The environment as `sync.config.ts` sees it (`process.env.SANDBOX_URL`): the variables wfsync
 * was started with, except credentials — wfsync's own WFSYNC_* secrets and any variable whose
 * name has a part PASSWORD, PASS, SECRET, TOKEN, TICKET, KEY or CREDENTIAL(S) — so no value a
 * config hands to a workflow file can carry one. Workflow files have no `process` at all.
 */
declare global {
  // Declared as @types/node declares it, so a project that also loads Node's types still checks.
  namespace NodeJS {
    interface ProcessEnv {
      [name: string]: string | undefined;
    }
    interface Process {
      env: ProcessEnv;
    }
  }
  // eslint-disable-next-line no-var
  var process: NodeJS.Process;
}

/**
 * One named target: a tenant, its own state file, its limits. A setting left out here takes the
 * config's top-level value (or the default).
 */
export interface EnvironmentConfig {
  /** The tenant, as for the top-level `url`. */
  url?: string;
  /** This environment's state file, relative to the config file. Default `.wfsync/<name>.state.json`. */
  state?: string;
  concurrency?: number;
  rate?: number;
  timeoutMs?: number;
  maxRetries?: number;
  massDeleteShare?: number;
  api?: "10.2" | "12";
  /** The SuperOffice Online environment of this tenant, as for the top-level `onlineEnvironment`. */
  onlineEnvironment?: string;
  /** As the top-level `adaptive`. */
  adaptive?: boolean;
}

/** The shape of `sync.config.ts`. `defineConfig` only returns its argument: it exists for types. */
export interface WfsyncConfig {
  /**
   * The installation base, e.g. `https://online.superoffice.com/Cust12345`, or an Online tenant
   * by its id alone, `Cust12345` (its environment: `onlineEnvironment`).
   * `--url` and `WFSYNC_URL` override it. Credentials never go here: they come from the
   * environment (WFSYNC_USERNAME/WFSYNC_PASSWORD, WFSYNC_TOKEN, WFSYNC_TICKET, WFSYNC_APP_TOKEN).
   */
  url?: string;
  /** Workflow files, as globs relative to the config file. Default `["workflows/**\/*.ts"]`. */
  workflows?: string | string[];
  /**
   * The state file, relative to the config file (default `.wfsync/state.json`), or a PostgreSQL
   * URL without a password, e.g. `postgres://wfsync@db.example.com/wfsync`, to share it with a team.
   */
  state?: string;
  /** Requests in flight at once against the tenant. Default 4. */
  concurrency?: number;
  /**
   * Requests per second at most: a hard ceiling. Left out: 10 on SuperOffice Online (hosts
   * `*.superoffice.com`, the documented limit for custom apps), none on an on-site server.
   */
  rate?: number;
  /**
   * While the server keeps answering 429/503, lower the rate and concurrency, and raise them
   * again (never above `rate` and `concurrency`) once it stops. Default true.
   */
  adaptive?: boolean;
  /** Per-request timeout in milliseconds. Default 30000. */
  timeoutMs?: number;
  /** Retries of a request after a 5xx or network fault. Default 5. */
  maxRetries?: number;
  /**
   * A plan that deletes more than this share of a split's options (0–1) needs
   * `--allow-mass-delete`, and so does one that deletes all of them. Default 0.5.
   */
  massDeleteShare?: number;
  /**
   * The tenant's SuperOffice API generation: "10.2" for servers 10.2.4–10.2.9 (one option at a
   * time), "12" for 10.2.10 and later, every Online tenant (whole flows). Left out, wfsync asks
   * the server. Set, validation refuses what that generation cannot take (`when` on "10.2").
   */
  api?: "10.2" | "12";
  /**
   * Named targets (e.g. `sandbox`, `production`), chosen with `--env NAME` or WFSYNC_ENV. With
   * environments, every command that talks to a tenant needs one chosen, `validate` checks all,
   * and values that differ per tenant come from `defineValues` in a workflow module.
   */
  environments?: Record<string, EnvironmentConfig>;
  /**
   * The SuperOffice Online environment of the tenant: "online" (production, the default), "sod"
   * (development), "qaonline" (stage; "stage" means the same), or a base URL such as
   * `http://127.0.0.1:8765` for the emulator. `WFSYNC_ONLINE_ENV` overrides it. A url on
   * `https://<env>.superoffice.com` names its environment itself.
   */
  onlineEnvironment?: string;
  /**
   * What plan, apply and watch do with a change made on the server (in the flow editor) to a
   * field the code did not change: "revert" puts the code's version back, "report" shows it and
   * leaves it (exit code 3), "adopt" takes it into the state. `--drift` overrides it. Left out:
   * "revert" for plan and apply, "report" for watch (a daemon must not fight a person).
   */
  drift?: "revert" | "report" | "adopt";
}

export function defineConfig(config: WfsyncConfig): WfsyncConfig {
  return config;
}
