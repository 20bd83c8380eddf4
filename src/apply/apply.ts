/**
 * Carries out a plan: every operation through the tenant queue, each finished one written to the
 * state at once (the journal), so a crash at any moment loses nothing. Creates are exactly-once:
 * before re-sending a create whose outcome is unknown, the queue has it looked up by Key.
 *
 * When the state cannot be written (disk full), nothing more is sent: an operation the state
 * cannot record would be invisible to the next run. The stop is this apply's own (a signal on
 * its tasks), not the queue's: watch shares one queue across runs and goes on once it can write.
 */
import { ApiError } from "../client/errors.js";
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { caseInsensitive, optionToCarrier, type Address, type OptionModel } from "../model/option.js";
import type { Change, Plan } from "../plan/diff.js";
import { splitOptions } from "../plan/refresh.js";
import { CancelledError, type Reconciled, type StopReason, type TenantQueue } from "./queue.js";

/** What apply writes to the state for each option it leaves on the server. */
export interface AppliedEntry {
  readonly id: number;
  readonly hash: string;
  readonly option: OptionModel;
  readonly server: unknown;
  readonly source?: string | undefined;
  readonly appliedAt: string;
}

/** The part of the state store apply needs; each call is durable when it resolves. */
export interface StateJournal {
  record(address: Address, entry: AppliedEntry): Promise<void>;
  remove(address: Address): Promise<void>;
}

export interface ApplyProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly last?: { change: Change; ok: boolean };
}

export interface ApplyOptions {
  readonly api: WorkflowApi;
  readonly queue: TenantQueue;
  readonly state: StateJournal;
  readonly onProgress?: (progress: ApplyProgress) => void;
  readonly now?: () => Date;
}

export interface ApplyResult {
  readonly applied: Change[];
  readonly failed: { change: Change; error: unknown }[];
  /** Not sent because apply was stopped (SIGINT), or by `stopped`. */
  readonly cancelled: Change[];
  /** The fault that stopped sending (credentials refused, state not writable), in one message. */
  readonly stopped?: WfsyncError;
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
  const { api, queue, state } = options;
  const now = options.now ?? (() => new Date());
  const work = actionable(plan);
  const result: { applied: Change[]; failed: ApplyResult["failed"]; cancelled: Change[] } = { applied: [], failed: [], cancelled: [] };
  const halt = new AbortController();
  let stopReason: StopReason | undefined;
  let done = 0;
  const report = (change: Change, ok: boolean) => options.onProgress?.({ total: work.length, done, failed: result.failed.length, last: { change, ok } });

  // Server options the plan already gives an address: a look-up by Key must never take them.
  const taken = new Set<number>();
  for (const c of plan.changes) if ("id" in c) taken.add(c.id);

  const record = (c: Change & { desired: { hash: string; option: OptionModel } }, id: number, server: unknown) =>
    state.record(c.address, { id, hash: c.desired.hash, option: c.desired.option, server, source: c.source, appliedAt: now().toISOString() });

  const perform = async (c: Change): Promise<void> => {
    switch (c.action) {
      case "create": {
        const saved = await queue.run(() => api.saveWorkflowStepOption(optionToCarrier(c.desired.option, 0)), {
          label: `create ${c.address}`,
          signal: halt.signal,
          reconcile: () => findCreated(api, c.desired.option, taken),
        });
        await record(c, savedId(saved, c.address), saved);
        return;
      }
      case "update": {
        const saved = await queue.run(() => api.saveWorkflowStepOption(optionToCarrier(c.desired.option, c.id, c.previous)), {
          label: `update ${c.address}`,
          signal: halt.signal,
        });
        await record(c, savedId(saved, c.address), saved);
        return;
      }
      case "noop":
        await record(c, c.id, c.server);
        return;
      case "delete":
        if (!c.alreadyGone) {
          await queue.run(() => api.deleteWorkflowStepOption(c.id), {
            label: `delete ${c.address}`,
            signal: halt.signal,
            reconcile: async (): Promise<Reconciled<void>> =>
              (await api.getWorkflowStepOption(c.id)) === null ? { done: true, value: undefined } : { done: false },
          });
        }
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
        if (err instanceof WfsyncError && isStateWriteError(err) && !halt.signal.aborted) {
          stopReason = { why: "the state cannot be written", error: err };
          halt.abort(stopReason);
        }
        if (err instanceof CancelledError) stopReason ??= err.reason;
        if (err instanceof CancelledError && !err.outcomeUnknown) {
          result.cancelled.push(c);
          return;
        }
        result.failed.push({ change: c, error: err });
        report(c, false);
      }
    }),
  );
  return stopReason ? { ...result, stopped: stopMessage(stopReason, result) } : result;
}

function isStateWriteError(err: unknown): boolean {
  return err instanceof WfsyncError && err.code === "E_STATE_WRITE";
}

/** One sentence for the fault that stopped the apply: what, how much was not sent, what now. */
function stopMessage(reason: StopReason, result: ApplyResult): WfsyncError {
  const n = result.cancelled.length;
  const notSent = `${n} change${n === 1 ? "" : "s"} not sent`;
  if (isStateWriteError(reason.error)) {
    const unrecorded = result.failed.filter((f) => isStateWriteError(f.error)).map((f) => f.change.address);
    const onServer = unrecorded.length
      ? `; the option${unrecorded.length === 1 ? "" : "s"} just applied (${unrecorded.join(", ")}) ${unrecorded.length === 1 ? "is" : "are"} on the server and the next run adopts ${unrecorded.length === 1 ? "it" : "them"}`
      : "";
    return new WfsyncError("E_STATE_WRITE", `${reason.error.message}; ${notSent}${onServer}.`, {
      cause: reason.error,
      detail: "Free space on that disk (or make the state folder writable) and run apply again.",
    });
  }
  const refused = reason.error instanceof ApiError && reason.error.kind === "auth";
  return new WfsyncError(reason.error.code, `${notSent}: ${reason.why}${refused ? "; nothing more was sent with them" : ""}.`, {
    cause: reason.error,
    userError: reason.error.userError,
    ...(refused ? { detail: "Lockout policies punish repeated failures, so wfsync stops at the first refusal. Check the credentials and run apply again." } : {}),
  });
}

/** Looks a create up on its split by Key: did an attempt whose answer was lost take effect? */
async function findCreated(api: WorkflowApi, option: OptionModel, taken: ReadonlySet<number>): Promise<Reconciled<unknown>> {
  const step = await api.getWorkflowStep(option.workflowStepId);
  if (step === null) return { done: false };
  const matches = splitOptions(step, option.workflowId, option.workflowStepId).filter((l) => l.option.key === option.key && !taken.has(l.id));
  if (matches.length === 1) return { done: true, value: matches[0]!.raw };
  if (matches.length > 1) {
    throw new WfsyncError("E_CONFLICT", `after a lost answer, ${matches.length} options with Key "${option.key}" exist on split ${option.workflowStepId}; resolve by hand`);
  }
  return { done: false };
}

function savedId(saved: unknown, address: Address): number {
  const id = caseInsensitive(saved).get("workflowstepoptionid");
  if (typeof id !== "number" || !Number.isInteger(id) || id <= 0) {
    throw new ApiError({
      kind: "rejected",
      method: "SaveWorkflowStepOption",
      message: `the server saved ${address} but answered without a WorkflowStepOptionId`,
      outcomeUnknown: true,
    });
  }
  return id;
}
