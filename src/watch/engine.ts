/**
 * The daemon's side of the tenant: the state, the client and the tenant queue, behind the small
 * interface the watch loop plans and applies through (tests may hand in their own).
 */
import { applyPlan, type ApplyProgress, type ApplyResult } from "../apply/apply.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import type { Address } from "../model/option.js";
import type { Plan } from "../plan/diff.js";
import type { ReadSplits } from "../plan/make.js";
import type { StateEntry } from "../state/format.js";
import type { StateStore } from "../state/index.js";
import type { Tenant } from "../tenant/tenant.js";

export interface WatchEngine {
  /** What wfsync last applied, by address (the state). */
  applied(): ReadonlyMap<Address, StateEntry>;
  /** Reads these splits from the server (one request each). */
  readonly readSplits: ReadSplits;
  /**
   * Applies the plan's changes, each recorded in the state as it finishes. A save or delete
   * whose option is `stale` when its turn comes is not sent (it fails with SupersededError):
   * a newer edit of it is already waiting for the next run.
   */
  apply(plan: Plan, stale: (address: Address) => boolean, onProgress?: (progress: ApplyProgress) => void): Promise<ApplyResult>;
  /** The config was reloaded: take its connection settings (between runs only). */
  configure(config: ResolvedConfig): void;
  /** Sends nothing new: requests not started are cancelled, those in flight finish. */
  stop(): void;
  /**
   * Before a run: a state that can record nothing any more (its database connection is gone)
   * is opened again, lock and all. Says so in a sentence when it was; undefined otherwise (no
   * fault, or the database still away: then the run sends nothing and says why, as before).
   */
  recover?(): Promise<string | undefined>;
}

/** A change not sent because a newer edit of its option is waiting (not a failure). */
export class SupersededError extends WfsyncError {
  constructor(address: Address) {
    super("E_SUPERSEDED", `${address} was edited again before it was sent; the next run sends the newer version`, { userError: false });
    this.name = "SupersededError";
  }
}

export interface TenantEngineOptions {
  /** The tenant to start with, connected with `config`'s settings. */
  readonly tenant: Tenant;
  readonly config: ResolvedConfig;
  /** A new connection with a reloaded config's settings (the previous one is closed). */
  readonly connect: (config: ResolvedConfig) => Tenant;
  readonly state: StateStore;
  /**
   * Opens the state again, locked, after its database connection was lost (a file state never
   * loses one). Without it a lost state stays lost until watch is restarted.
   */
  readonly reopen?: () => Promise<StateStore>;
}

type Connection = Pick<ResolvedConfig, "concurrency" | "rate" | "adaptive" | "maxRetries" | "timeoutMs">;

export function createTenantEngine(opts: TenantEngineOptions): WatchEngine & { close(): void; readonly state: StateStore } {
  let settings: Connection = pickConnection(opts.config);
  let tenant = opts.tenant;
  let stopped = false;
  let state = opts.state;

  return {
    get state() {
      return state;
    },
    applied: () => state.entries(),
    readSplits: (splits) => tenant.readSplits(splits),
    apply: (plan, stale, onProgress) =>
      applyPlan(plan, {
        ...(onProgress ? { onProgress } : {}),
        tenant,
        state,
        // A run reads the splits of its creates right before it plans them.
        createsJustRead: true,
        beforeSend: (c) => {
          if (stale(c.address)) throw new SupersededError(c.address);
        },
      }),
    configure(config) {
      const next = pickConnection(config);
      if (stopped || JSON.stringify(next) === JSON.stringify(settings)) return;
      settings = next;
      tenant.close();
      tenant = opts.connect(config);
    },
    stop() {
      stopped = true;
      tenant.queue.stop();
    },
    async recover() {
      const lost = state.fault;
      if (!lost || !opts.reopen || stopped) return undefined;
      let fresh: StateStore;
      try {
        fresh = await opts.reopen();
      } catch {
        // Still away (or locked by whoever took it meanwhile): this run says why it sends nothing.
        return undefined;
      }
      if (state.api) fresh.bindApi(state.api);
      // The lost one is let go without waiting: its connection is gone, and ending it may not
      // hear back.
      void state.close().catch(() => undefined);
      state = fresh;
      return `the state's database answers again: reconnected and locked the state again (${fresh.entries().size} recorded options); what was applied but not recorded is found on the server by the next plan`;
    },
    close() {
      tenant.queue.stop();
      tenant.close();
    },
  };
}

function pickConnection(c: ResolvedConfig): Connection {
  return { concurrency: c.concurrency, rate: c.rate, adaptive: c.adaptive, maxRetries: c.maxRetries, timeoutMs: c.timeoutMs };
}
