/**
 * Carries out a plan: every operation through the tenant queue, each finished one written to the
 * state at once (the journal), so a crash at any moment loses nothing. Creates are exactly-once:
 * the tenant looks up a create whose outcome is unknown before it would send it again.
 */
import { WfsyncError } from "../errors.js";
import type { Address } from "../model/option.js";
import type { Change, Plan } from "../plan/diff.js";
import type { StateEntry } from "../state/format.js";
import { CancelledError } from "../tenant/queue.js";
import type { Tenant } from "../tenant/tenant.js";

/** The part of the state store apply needs; each call is durable when it resolves. */
export interface StateJournal {
  record(address: Address, entry: StateEntry): Promise<void>;
  remove(address: Address): Promise<void>;
}

export interface ApplyProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly last?: { change: Change; ok: boolean };
}

export interface ApplyOptions {
  readonly tenant: Tenant;
  readonly state: StateJournal;
  /**
   * Runs right before each request of a change is sent; throwing sends nothing and fails the
   * change with that error (watch: a newer edit of the option is waiting).
   */
  readonly beforeSend?: (change: Change) => void;
  readonly onProgress?: (progress: ApplyProgress) => void;
  readonly now?: () => Date;
}

export interface ApplyResult {
  readonly applied: Change[];
  readonly failed: { change: Change; error: unknown }[];
  /** Not sent because apply was stopped (SIGINT). */
  readonly cancelled: Change[];
}

export interface ApplyGuards {
  readonly allowMassDelete: boolean;
}

/** Refuses a plan that must not be applied as it is: conflicts, or mass deletes without the flag. */
export function checkPlanAllowed(plan: Plan, guards: ApplyGuards): void {
  const conflicts = plan.changes.filter((c) => c.action === "conflict");
  if (conflicts.length) {
    throw new WfsyncError(
      "E_CONFLICT",
      `${conflicts.length} option${conflicts.length === 1 ? " has" : "s have"} several matches on the server (${conflicts.map((c) => c.address).join(", ")}); nothing was applied`,
    );
  }
  if (plan.massDeletes.length && !guards.allowMassDelete) {
    const what = plan.massDeletes.map((m) => `${m.deletes} of ${m.managed} in split ${m.split}`).join(", ");
    throw new WfsyncError("E_MASS_DELETE", `the plan deletes ${what}; re-run with --allow-mass-delete if that is intended. Nothing was applied`);
  }
}

/** The changes apply acts on (noops that only confirm the state are skipped). */
export function actionable(plan: Plan): Change[] {
  return plan.changes.filter((c) => c.action !== "conflict" && (c.action !== "noop" || c.record));
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { tenant, state } = options;
  const now = options.now ?? (() => new Date());
  const work = actionable(plan);
  const result: ApplyResult = { applied: [], failed: [], cancelled: [] };
  let done = 0;
  const report = (change: Change, ok: boolean) => options.onProgress?.({ total: work.length, done, failed: result.failed.length, last: { change, ok } });

  // Server options the plan already gives an address: a look-up by Key must never take them.
  const taken = new Set<number>();
  for (const c of plan.changes) if ("id" in c) taken.add(c.id);

  const record = (c: Change & { desired: { hash: string; option: StateEntry["option"] } }, id: number, server: unknown) =>
    state.record(c.address, { id, hash: c.desired.hash, option: c.desired.option, server, source: c.source, appliedAt: now().toISOString() });

  const { beforeSend } = options;
  const write = (c: Change) => ({ address: c.address, ...(beforeSend ? { beforeSend: () => beforeSend(c) } : {}) });

  const perform = async (c: Change): Promise<void> => {
    switch (c.action) {
      case "create": {
        const saved = await tenant.createOption(c.desired.option, { ...write(c), taken });
        await record(c, saved.id, saved.server);
        return;
      }
      case "update": {
        const saved = await tenant.updateOption(c.desired.option, c.id, c.previous, write(c));
        await record(c, saved.id, saved.server);
        return;
      }
      case "noop":
        await record(c, c.id, c.server);
        return;
      case "delete":
        if (!c.alreadyGone) await tenant.deleteOption(c.id, write(c));
        await state.remove(c.address);
        return;
      case "conflict":
        throw new WfsyncError("E_CONFLICT", `${c.address} is in conflict`);
      default: {
        const never: never = c;
        return never;
      }
    }
  };

  await Promise.all(
    work.map(async (c) => {
      try {
        await perform(c);
        done++;
        result.applied.push(c);
        report(c, true);
      } catch (err) {
        if (err instanceof CancelledError && !err.outcomeUnknown) {
          result.cancelled.push(c);
          return;
        }
        result.failed.push({ change: c, error: err });
        report(c, false);
      }
    }),
  );
  return result;
}
