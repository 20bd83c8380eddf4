/**
 * The workspace: one project (config, compiler, workflow files) and the tenant it syncs with.
 * `openWorkspace` is how plan, apply and watch start; `planWorkspace` is the planning use case
 * of plan and apply (the daemon plans per run with the same `makePlan`).
 */
import { credentialsFor, type Credentials } from "../client/credentials.js";
import type { DebugLogger } from "../client/workflow.js";
import type { ConfigOverrides, ResolvedConfig } from "../config/load.js";
import type { Plan } from "../plan/diff.js";
import { makeFullPlan, type ReadSplits } from "../plan/make.js";
import { codeFingerprint, splitFingerprints, stateFingerprint, type PlanFingerprints } from "../plan/saved.js";
import type { DesiredOption } from "../compile/validate.js";
import type { Address } from "../model/option.js";
import { openState, type StateStore, type WarnLogger } from "../state/index.js";
import { connectTenant, tenantUrl, type ConnectOptions } from "../tenant/connect.js";
import type { ApiGeneration, Tenant } from "../tenant/tenant.js";
import { unsupportedFeatures } from "../compile/support.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { describeUnresolved } from "../compile/names.js";
import { tenantNames } from "./names.js";
import { compileOrThrow, openProject, throwOnErrors, type OpenProject } from "./project.js";
import type { CompileResult } from "../compile/compiler.js";

export interface WorkspaceOptions {
  /** The folder the config is looked up from. */
  readonly cwd: string;
  /** `--config`. */
  readonly config?: string | undefined;
  readonly overrides?: ConfigOverrides;
  /** Where WFSYNC_URL and the credentials come from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: read from `env`. */
  readonly credentials?: Credentials;
  /** Requests (debug) and a stale lock taken over (warn). */
  readonly logger?: DebugLogger & WarnLogger;
  /** No server access at all (no credentials needed): `plan --no-refresh`. */
  readonly offline?: boolean;
  readonly onQueueEvent?: ConnectOptions["onQueueEvent"];
  readonly queueTimings?: ConnectOptions["queueTimings"];
  readonly wrapApi?: ConnectOptions["wrapApi"];
  /** The project, already opened (a fleet run opens each environment's from one family). */
  readonly project?: OpenProject;
  /** How long opening the state waits for another holder of its lock (default 0: refuse at once). */
  readonly lockTimeoutMs?: number;
  /** `optional`: a project with no workflow file left is fine (destroy). Default `required`. */
  readonly workflowFiles?: "required" | "optional";
}

export interface Workspace {
  readonly project: OpenProject;
  readonly config: ResolvedConfig;
  readonly tenant: Tenant;
  /** Another connection to the tenant with the settings of `config` (watch, after a config reload). */
  connect(config: ResolvedConfig): Tenant;
  /** The project's state, bound to this tenant; `lock` for commands that write it. */
  openState(options: { lock: boolean; command: string }): Promise<StateStore>;
  close(): void;
}

export function openWorkspace(options: WorkspaceOptions): Workspace {
  const env = options.env ?? process.env;
  const project =
    options.project ??
    openProject({ cwd: options.cwd, config: options.config, ...(options.overrides ? { overrides: options.overrides } : {}), ...(options.workflowFiles ? { workflowFiles: options.workflowFiles } : {}), env });
  const { config } = project;
  const connectOptions: ConnectOptions = {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.offline ? { offline: true } : {}),
    ...(options.onQueueEvent ? { onQueueEvent: options.onQueueEvent } : {}),
    ...(options.queueTimings ? { queueTimings: options.queueTimings } : {}),
    ...(options.wrapApi ? { wrapApi: options.wrapApi } : {}),
  };
  // Credentials are read once (after the URL is known to be there): a reconnect uses the same ones.
  let credentials = options.credentials;
  const connect = (c: ResolvedConfig): Tenant => {
    tenantUrl(c);
    if (!options.offline) credentials ??= credentialsFor(env, c.environment);
    return connectTenant(c, { ...connectOptions, ...(credentials ? { credentials } : {}) });
  };
  const tenant = connect(config);
  return {
    project,
    config,
    tenant,
    connect,
    openState: ({ lock, command }) =>
      openState(config.state, {
        tenant: tenant.url,
        lock,
        command,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
      }),
    close: () => tenant.close(),
  };
}

export interface PlannedWorkspace {
  readonly plan: Plan;
  /** The tenant's API generation; unknown for a plan made without the server. */
  readonly api: ApiGeneration | undefined;
  /** Open (and locked, when asked); the caller closes it. */
  readonly state: StateStore;
  /** What the plan was computed from (a saved plan records them; `apply FILE` compares them). */
  readonly fingerprints: PlanFingerprints;
}

export interface PlanWorkspaceOptions {
  readonly refresh: boolean;
  readonly lock: boolean;
  readonly command: string;
  /** `--prefer code`: conflicting fields take the code's value. */
  readonly preferCode?: boolean;
  /** `--refresh-only`: every server change is taken into the state; nothing from code is sent. */
  readonly refreshOnly?: boolean;
  /** `none`: plan as if the code declared nothing (destroy); the code is not compiled. Default `code`. */
  readonly desired?: "code" | "none";
  /** The project's compile, already made (and passed): a fleet compiles every environment first. */
  readonly compiled?: CompileResult;
  /**
   * The state, already opened as `lock` and `command` say (a fleet opens every environment's
   * while the first compile runs); closed here if planning fails, as one opened here would be.
   */
  readonly state?: StateStore;
}

/** Compile (refusing on any error), open the state, read the server unless told not to, and diff. */
export async function planWorkspace(ws: Workspace, opts: PlanWorkspaceOptions): Promise<PlannedWorkspace> {
  let compiled: CompileResult | undefined;
  try {
    compiled = opts.desired === "none" ? undefined : (opts.compiled ?? compileOrThrow(ws.project));
    if (compiled) ws.project.compiler.releaseTypeScript();
    if (compiled?.unresolved.length && !opts.refresh) {
      // Left out, those options would be planned as deleted.
      throw new WfsyncError(
        "E_NAMES_OFFLINE",
        `the code refers to ${describeUnresolved(compiled.unresolved)} by name, which only the tenant can resolve: plan without --no-refresh`,
      );
    }
  } catch (err) {
    await opts.state?.close();
    throw err;
  }
  // The state first: a locked or foreign state is refused before anything is asked of the server.
  const state = opts.state ?? (await ws.openState({ lock: opts.lock, command: opts.command }));
  try {
    const api = opts.refresh ? await ws.tenant.generation() : undefined;
    if (api) state.bindApi(api);
    if (compiled?.unresolved.length) compiled = throwOnErrors(ws.project.compiler.resolveNames(await tenantNames(ws.tenant, compiled.unresolved)));
    const desired: ReadonlyMap<Address, DesiredOption> = compiled?.options ?? new Map();
    const moved: ReadonlyMap<Address, Address> = compiled?.moves ?? new Map();
    const refused = api ? [...desired.values()].flatMap((d) => unsupportedFeatures(d, { api })) : [];
    if (refused.length) {
      throw new WfsyncErrors("E_UNSUPPORTED", `${refused.length} ${refused.length === 1 ? "thing" : "things"} in code this tenant's server cannot take; nothing was sent`, refused);
    }
    const applied = state.entries();
    let splitsRead: (() => Record<string, string>) | undefined;
    const read: ReadSplits = async (refs) => {
      const got = await ws.tenant.readSplits(refs);
      const [readRefs, live] = [new Set(refs), new Map(got.live)];
      splitsRead = () => splitFingerprints(readRefs, live);
      return got;
    };
    const plan = await makeFullPlan(
      {
        desired,
        applied,
        moved,
        massDeleteShare: ws.config.massDeleteShare,
        // plan and apply revert drift unless the config or --drift says otherwise.
        choices: { drift: ws.config.drift ?? "revert", preferCode: opts.preferCode ?? false, refreshOnly: opts.refreshOnly ?? false },
      },
      opts.refresh ? read : undefined,
    );
    // Hashed only when asked for (plan --out, apply FILE): from copies of what the plan saw, so
    // the answer is the same before and after an apply changes the state.
    const snapshot = new Map(applied);
    let fingerprints: PlanFingerprints | undefined;
    return {
      plan,
      state,
      api: api ?? (state.api as ApiGeneration | undefined),
      get fingerprints() {
        return (fingerprints ??= { code: codeFingerprint(desired, moved), state: stateFingerprint(snapshot), splits: splitsRead?.() ?? {} });
      },
    };
  } catch (err) {
    await state.close();
    throw err;
  }
}
