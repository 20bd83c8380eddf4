/**
 * The daemon's side of the tenant: the state, the client and the tenant queue, behind the small
 * interface the watch loop plans and applies through (tests may hand in their own).
 */
import { applyPlan, type ApplyResult } from "../apply/apply.js";
import { connectTenant } from "../apply/connect.js";
import type { QueueEvent } from "../apply/queue.js";
import type { Credentials } from "../client/credentials.js";
import type { DebugLogger, WorkflowApi } from "../client/workflow.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import { optionAddress, type Address, type OptionCarrier } from "../model/option.js";
import type { AppliedOption, Plan, SplitRef } from "../plan/diff.js";
import { refreshSplits, type RefreshResult } from "../plan/refresh.js";
import type { StateStore } from "../state/index.js";

export interface WatchEngine {
  /** What wfsync last applied, by address (the state). */
  applied(): ReadonlyMap<Address, AppliedOption>;
  /** Reads these splits from the server (one request each). */
  refresh(splits: ReadonlySet<SplitRef>): Promise<RefreshResult>;
  /**
   * Applies the plan's changes, each recorded in the state as it finishes. A save or delete
   * whose option is `stale` when its turn comes is not sent (it fails with SupersededError):
   * a newer edit of it is already waiting for the next run.
   */
  apply(plan: Plan, stale: (address: Address) => boolean): Promise<ApplyResult>;
  /** The config was reloaded: take its connection settings (between runs only). */
  configure(config: ResolvedConfig): void;
  /** Sends nothing new: requests not started are cancelled, those in flight finish. */
  stop(): void;
}

/** A change not sent because a newer edit of its option is waiting (not a failure). */
export class SupersededError extends WfsyncError {
  constructor(address: Address) {
    super("E_SUPERSEDED", `${address} was edited again before it was sent; the next run sends the newer version`, { userError: false });
    this.name = "SupersededError";
  }
}

export interface TenantEngineOptions {
  readonly tenant: string;
  readonly credentials: Credentials;
  readonly config: ResolvedConfig;
  readonly state: StateStore;
  readonly logger?: DebugLogger;
  readonly onQueueEvent?: (event: QueueEvent) => void;
}

type Connection = Pick<ResolvedConfig, "concurrency" | "rate" | "maxRetries" | "timeoutMs">;

export function createTenantEngine(opts: TenantEngineOptions): WatchEngine & { close(): void } {
  let settings: Connection = pickConnection(opts.config);
  const connect = (config: ResolvedConfig) =>
    connectTenant(config, {
      credentials: opts.credentials,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.onQueueEvent ? { onQueueEvent: opts.onQueueEvent } : {}),
    });
  let { api: client, queue } = connect(opts.config);
  let stopped = false;

  return {
    applied: () => opts.state.entries(),
    refresh: (splits) => refreshSplits(client, queue, splits),
    apply: (plan, stale) => applyPlan(plan, { api: supersedable(client, plan, stale), queue, state: opts.state }),
    configure(config) {
      const next = pickConnection(config);
      if (stopped || JSON.stringify(next) === JSON.stringify(settings)) return;
      settings = next;
      client.close();
      ({ api: client, queue } = connect(config));
    },
    stop() {
      stopped = true;
      queue.stop();
    },
    close() {
      queue.stop();
      client.close();
    },
  };
}

function pickConnection(c: ResolvedConfig): Connection {
  return { concurrency: c.concurrency, rate: c.rate, maxRetries: c.maxRetries, timeoutMs: c.timeoutMs };
}

/** The client, except that saves and deletes of stale options fail instead of being sent. */
function supersedable(api: WorkflowApi, plan: Plan, stale: (address: Address) => boolean): WorkflowApi {
  const byId = new Map<number, Address>();
  for (const c of plan.changes) if (c.action === "delete") byId.set(c.id, c.address);
  return {
    getWorkflowStep: (id) => api.getWorkflowStep(id),
    getWorkflowStepOption: (id) => api.getWorkflowStepOption(id),
    createDefaultWorkflowStepOption: () => api.createDefaultWorkflowStepOption(),
    getEmailFlow: (id) => api.getEmailFlow(id),
    async saveWorkflowStepOption(carrier: OptionCarrier) {
      const address = optionAddress({ workflowId: carrier.WorkflowId ?? 0, workflowStepId: carrier.WorkflowStepId ?? 0, key: carrier.Key ?? "" });
      if (stale(address)) throw new SupersededError(address);
      return api.saveWorkflowStepOption(carrier);
    },
    async deleteWorkflowStepOption(id: number) {
      const address = byId.get(id);
      if (address !== undefined && stale(address)) throw new SupersededError(address);
      return api.deleteWorkflowStepOption(id);
    },
  };
}
