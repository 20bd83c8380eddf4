/**
 * Carries out a plan: every operation through the tenant queue, each finished one written to the
 * state at once (the journal), so a crash at any moment loses nothing. Creates are exactly-once:
 * the tenant looks up a create whose outcome is unknown before it would send it again.
 *
 * When the state cannot be written (disk full), nothing more is sent: an operation the state
 * cannot record would be invisible to the next run. The stop is this apply's own (a signal on
 * its tasks), not the queue's: watch shares one queue across runs and goes on once it can write.
 */
import { ApiError } from "../client/errors.js";
import { WfsyncError } from "../errors.js";
import { liveHashAs, type LiveOption } from "../model/live.js";
import { hashOption, type Address } from "../model/option.js";
import type { Change, Plan, RecordAs } from "../plan/diff.js";
import type { StateEntry } from "../state/format.js";
import { CancelledError, type StopReason } from "../tenant/queue.js";
import type { Tenant } from "../tenant/tenant.js";
import { createsBySplit, keeperOf, matchCreates, readSplit, type CreateChange, type CreateOutcome } from "./creates.js";

/** The part of the state store apply needs; each call is durable when it resolves. */
export interface StateJournal {
  record(address: Address, entry: StateEntry): Promise<void>;
  remove(address: Address): Promise<void>;
  /** Set when the state can record nothing any more (its database is gone): nothing is sent then. */
  readonly fault?: WfsyncError | undefined;
}

export interface ApplyProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** `error`: why it failed (when `ok` is false). */
  readonly last?: { change: Change; ok: boolean; error?: unknown };
}

export interface ApplyOptions {
  readonly tenant: Tenant;
  readonly state: StateJournal;
  /**
   * Runs right before each request of a change is sent; throwing sends nothing and fails the
   * change with that error (watch: a newer edit of the option is waiting).
   */
  readonly beforeSend?: (change: Change) => void;
  /**
   * The splits of the plan's creates were read moments ago (watch reads them to plan each run),
   * so they are not read again before the creates. They are always read after them.
   */
  readonly createsJustRead?: boolean;
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
      `${conflicts.length} option${conflicts.length === 1 ? " is" : "s are"} in conflict with the server (${conflicts.map((c) => `${c.address}: ${c.reason ?? "several matches"}`).join("; ")}); nothing was applied`,
    );
  }
  if (plan.massDeletes.length && !guards.allowMassDelete) {
    const what = plan.massDeletes.map((m) => `${m.deletes} of ${m.managed} in split ${m.split}`).join(", ");
    throw new WfsyncError("E_MASS_DELETE", `the plan deletes ${what}; re-run with --allow-mass-delete if that is intended. Nothing was applied`);
  }
}

/** The changes apply acts on (noops that only confirm the state are skipped). */
export function actionable(plan: Plan): Change[] {
  return plan.changes.filter((c) => c.action !== "conflict" && (c.action !== "noop" || c.record) && !(c.action === "create" && c.held));
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { tenant, state } = options;
  const now = options.now ?? (() => new Date());
  const work = actionable(plan);
  const result: { applied: Change[]; failed: ApplyResult["failed"]; cancelled: Change[] } = { applied: [], failed: [], cancelled: [] };
  const halt = new AbortController();
  let stopReason: StopReason | undefined;
  let done = 0;
  const report = (change: Change, ok: boolean, error?: unknown) =>
    options.onProgress?.({ total: work.length, done, failed: result.failed.length, last: { change, ok, ...(ok ? {} : { error }) } });

  // Server options the plan already gives an address: a look-up by Key must never take them.
  const taken = new Set<number>();
  for (const c of plan.changes) if ("id" in c) taken.add(c.id);

  // The state records the code's option, or what the three-way merge says (server fields kept).
  // A key renamed in code: the old address goes first, since two entries with one id would make
  // the state unreadable, while an entry lost between the two is adopted again by the next plan.
  const record = async (c: Change & { desired: { hash: string; option: StateEntry["option"] }; recordAs?: RecordAs }, id: number, server: unknown) => {
    if (c.movedFrom !== undefined) await state.remove(c.movedFrom);
    const as = c.recordAs;
    const option = as ? as.option : c.desired.option;
    const hash = as ? hashOption(as.option) : c.desired.hash;
    const appliedAt = now().toISOString();
    // Written out (in the state's property order), not spread: see docs/performance.md on spreads.
    const entry: StateEntry = as?.code
      ? { id, hash, option, code: as.code, server, source: c.source, appliedAt }
      : { id, hash, option, server, source: c.source, appliedAt };
    await state.record(c.address, entry);
  };

  const { beforeSend } = options;
  const write = (c: Change) => ({ address: c.address, signal: halt.signal, ...(beforeSend ? { beforeSend: () => beforeSend(c) } : {}) });

  const perform = async (c: Change): Promise<void> => {
    switch (c.action) {
      case "create":
        throw new WfsyncError("E_INTERNAL", `${c.address}: creates go split by split`, { userError: false });
      case "update": {
        const saved = await tenant.updateOption(c.send ?? c.desired.option, c.id, c.previous, write(c));
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

  const succeeded = (c: Change): void => {
    done++;
    result.applied.push(c);
    report(c, true);
  };
  /** A state that cannot be written stops everything not yet sent, at once. */
  const noteFault = (err: unknown): void => {
    if (isStateWriteError(err) && !halt.signal.aborted) {
      stopReason = { why: "the state cannot be written", error: err as WfsyncError };
      halt.abort(stopReason);
    }
  };
  const failed = (c: Change, err: unknown): void => {
    noteFault(err);
    if (err instanceof CancelledError) stopReason ??= err.reason;
    if (err instanceof CancelledError && !err.outcomeUnknown) {
      result.cancelled.push(c);
      return;
    }
    result.failed.push({ change: c, error: err });
    report(c, false, err);
  };
  const settle = async (c: Change, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      succeeded(c);
    } catch (err) {
      failed(c, err);
    }
  };

  /** One outcome of a create's first phase; returns the id it created, if it did. */
  const carryOut = async (o: CreateOutcome): Promise<number | undefined> => {
    switch (o.kind) {
      case "conflict":
        throw o.error;
      case "adopt":
        if (liveHashAs(o.live, o.change.desired.option) === o.change.desired.hash) await record(o.change, o.live.id, o.live.raw);
        else {
          const saved = await tenant.updateOption(o.change.desired.option, o.live.id, o.live.raw, write(o.change));
          await record(o.change, saved.id, saved.server);
        }
        return undefined;
      case "create": {
        const saved = await tenant.createOption(o.change.desired.option, { ...write(o.change), taken });
        await record(o.change, saved.id, saved.server);
        return saved.id;
      }
      default: {
        const never: never = o;
        return never;
      }
    }
  };

  /** Removes our option `ownId` if a concurrent writer's older one has the same Key. */
  const dropLateDuplicate = async (c: CreateChange, ownId: number, live: readonly LiveOption[]): Promise<void> => {
    const keeper = keeperOf(c, ownId, live, taken);
    if (!keeper || keeper.id === ownId) return;
    await tenant.deleteOption(ownId, { address: c.address, signal: halt.signal });
    taken.add(keeper.id);
    await record(c, keeper.id, keeper.raw);
  };

  const createOnSplit = async (ref: string, creates: CreateChange[]): Promise<void> => {
    let outcomes: CreateOutcome[] = creates.map((change) => ({ kind: "create", change }));
    if (!options.createsJustRead) {
      try {
        const live = await readSplit(tenant, ref);
        if (live) outcomes = matchCreates(creates, live, taken);
      } catch (err) {
        for (const c of creates) failed(c, err);
        return;
      }
    }
    const created = new Map<CreateChange, number>();
    const errors = new Map<CreateChange, unknown>();
    await Promise.all(
      outcomes.map(async (o) => {
        try {
          const id = await carryOut(o);
          if (id !== undefined) {
            created.set(o.change, id);
            taken.add(id);
          }
        } catch (err) {
          noteFault(err);
          errors.set(o.change, err);
        }
      }),
    );
    let after: readonly LiveOption[] | undefined;
    if (created.size) after = await readSplit(tenant, ref).catch(() => undefined);
    await Promise.all(
      outcomes.map(async ({ change }) => {
        if (errors.has(change)) return failed(change, errors.get(change));
        const ownId = created.get(change);
        await settle(change, async () => {
          if (ownId !== undefined && after) await dropLateDuplicate(change, ownId, after);
        });
      }),
    );
  };

  // A state known to record nothing (watch, after its database went away) sends nothing at all.
  if (state.fault) noteFault(state.fault);
  await Promise.all([
    ...work.filter((c) => c.action !== "create").map((c) => settle(c, () => perform(c))),
    ...[...createsBySplit(work)].map(([ref, creates]) => createOnSplit(ref, creates)),
  ]);
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
      // The state's own advice: a file's (free space) or a database's (once it answers again).
      detail: reason.error.detail ?? "Free space on that disk (or make the state folder writable) and run apply again.",
    });
  }
  const refused = reason.error instanceof ApiError && reason.error.kind === "auth";
  return new WfsyncError(reason.error.code, `${notSent}: ${reason.why}${refused ? "; nothing more was sent with them" : ""}.`, {
    cause: reason.error,
    userError: reason.error.userError,
    ...(refused ? { detail: "Lockout policies punish repeated failures, so wfsync stops at the first refusal. Check the credentials and run apply again." } : {}),
  });
}

/**
 * For a plan with nothing to send (isEmptyPlan): forgets the state entries of options that are
 * gone from the server and from code, the one thing such a plan still changes. No request, so
 * no prompt; returns the addresses forgotten.
 */
export async function forgetGone(plan: Plan, state: StateJournal): Promise<string[]> {
  const gone = plan.changes.filter((c) => c.action === "delete" && c.alreadyGone).map((c) => c.address);
  for (const address of gone) await state.remove(address);
  return gone;
}
