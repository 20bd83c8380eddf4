/** The shape of `sync.config.ts`. `defineConfig` only returns its argument: it exists for types. */
export interface WfsyncConfig {
  /**
   * The installation base, e.g. `https://online.superoffice.com/Cust12345`.
   * `--url` and `WFSYNC_URL` override it. Credentials never go here: they come from the
   * environment (WFSYNC_USERNAME/WFSYNC_PASSWORD, WFSYNC_TOKEN, WFSYNC_TICKET, WFSYNC_APP_TOKEN).
   */
  url?: string;
  /** Workflow files, as globs relative to the config file. Default `["workflows/**\/*.ts"]`. */
  workflows?: string | string[];
  /** The state file, relative to the config file. Default `.wfsync/state.json`. */
  state?: string;
  /** Requests in flight at once against the tenant. Default 4. */
  concurrency?: number;
  /** Requests per second at most. Default 10. */
  rate?: number;
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
