/**
 * Planning one watch run, pure: the diff against the state for options nobody needs to look up,
 * and against the server for the splits that were read; then which changes are sent now and
 * which wait (a file that fails to compile, deletes without --allow-delete, conflicts, mass
 * deletes, a split missing on the server).
 */
import type { DesiredOption } from "../compile/validate.js";
import { WfsyncError } from "../errors.js";
import type { Address } from "../model/option.js";
import { compareChanges, diffModels, splitRef, type DiffInput, type AppliedOption, type Change, type Plan, type SplitRef } from "../plan/diff.js";

/**
 * Diffs the splits in `live` against the server (lookup by Key, drift) and every other split
 * against the state alone. Each split lies wholly on one side, so per-split rules (mass
 * deletes) see all of its options.
 */
export function diffRun(input: DiffInput): Plan {
  const { live } = input;
  if (!live || live.size === 0) return diffModels({ desired: input.desired, applied: input.applied, massDeleteShare: input.massDeleteShare });
  const split = <T extends { option: { workflowId: number; workflowStepId: number } }>(m: ReadonlyMap<Address, T>) => {
    const read = new Map<Address, T>();
    const rest = new Map<Address, T>();
    for (const [a, v] of m) (live.has(splitRef(v.option)) ? read : rest).set(a, v);
    return [read, rest] as const;
  };
  const [desiredRead, desiredRest] = split(input.desired);
  const [appliedRead, appliedRest] = split(input.applied);
  const fromServer = diffModels({ desired: desiredRead, applied: appliedRead, live, massDeleteShare: input.massDeleteShare });
  if (desiredRest.size === 0 && appliedRest.size === 0) return fromServer;
  const fromState = diffModels({ desired: desiredRest, applied: appliedRest, massDeleteShare: input.massDeleteShare });
  return combinePlans(fromServer, fromState);
}

function combinePlans(a: Plan, b: Plan): Plan {
  const summary = { ...a.summary };
  for (const k of Object.keys(summary) as (keyof typeof summary)[]) summary[k] += b.summary[k];
  return {
    changes: [...a.changes, ...b.changes].sort(compareChanges),
    summary,
    massDeletes: [...a.massDeletes, ...b.massDeletes],
    unmanaged: [...a.unmanaged, ...b.unmanaged],
    refreshed: false,
  };
}

/** The splits of the plan's creates: reading them first keeps creates exactly-once (adopt by Key). */
export function splitsToLookUp(plan: Plan, skip: (c: Change) => boolean): Set<SplitRef> {
  const splits = new Set<SplitRef>();
  for (const c of plan.changes) if (c.action === "create" && !skip(c)) splits.add(splitRef(c));
  return splits;
}

/** Every split the model or the state has an option in. */
export function allSplits(desired: ReadonlyMap<Address, DesiredOption>, applied: ReadonlyMap<Address, AppliedOption>): Set<SplitRef> {
  const splits = new Set<SplitRef>();
  for (const d of desired.values()) splits.add(splitRef(d.option));
  for (const s of applied.values()) splits.add(splitRef(s.option));
  return splits;
}

export interface Waiting {
  readonly change: Change;
  readonly reason: string;
  readonly error?: WfsyncError;
}

export interface RunPartition {
  /** Sent now (creates, updates, allowed deletes, state-only records). */
  readonly send: Change[];
  /** Not sent this run; sent once the reason is gone. */
  readonly held: Waiting[];
  /** Options gone from code that stay on the server until deletes are allowed and safe. */
  readonly pendingDeletes: Waiting[];
  /** What the server changed behind wfsync's back (seen only on splits read in this run). */
  readonly drift: Change[];
}

export interface PartitionRules {
  /** The state the plan was made against (drift is what differs from it on the server). */
  readonly applied: ReadonlyMap<Address, AppliedOption>;
  readonly allowDelete: boolean;
  /** Every file compiled with no error: only then is an absence from the model trusted. */
  readonly compileClean: boolean;
  /** True for a change that belongs to a file that does not compile now. */
  readonly frozen: (c: Change) => boolean;
  /** Splits the server does not have (code names a wrong id). */
  readonly missingSplits: ReadonlySet<SplitRef>;
}

export function partitionPlan(plan: Plan, rules: PartitionRules): RunPartition {
  const out: RunPartition = { send: [], held: [], pendingDeletes: [], drift: [] };
  const mass = new Map(plan.massDeletes.map((m) => [m.split, m]));
  for (const c of plan.changes) {
    if (isDrift(c, rules.applied)) out.drift.push(c);
    switch (c.action) {
      case "noop":
        if (!c.record) break;
        if (rules.frozen(c)) out.held.push({ change: c, reason: "its file does not compile" });
        else out.send.push(c);
        break;
      case "create":
      case "update":
        if (rules.frozen(c)) out.held.push({ change: c, reason: "its file does not compile" });
        else if (rules.missingSplits.has(splitRef(c))) {
          const error = new WfsyncError(
            "E_SPLIT_NOT_FOUND",
            `the server has no split step ${c.workflowStepId} in workflow ${c.workflowId}; check the ids in code against the flow`,
            { location: c.source },
          );
          out.held.push({ change: c, reason: "its split is not on the server", error });
        } else out.send.push(c);
        break;
      case "conflict":
        out.held.push({ change: c, reason: c.reason ?? "several options on the server have this Key" });
        break;
      case "delete": {
        // Already gone from the server: only the state entry goes, nothing is destroyed.
        // A mass delete first: --allow-delete never sends one, so naming that flag would mislead.
        if (c.alreadyGone) out.send.push(c);
        else if (mass.has(splitRef(c))) {
          const m = mass.get(splitRef(c))!;
          out.pendingDeletes.push({
            change: c,
            reason: `deletes ${m.deletes} of ${m.managed} options of split ${m.split}: stop watch and run \`wfsync apply --allow-mass-delete\``,
          });
        } else if (!rules.allowDelete) out.pendingDeletes.push({ change: c, reason: "run watch with --allow-delete to delete it" });
        else if (!rules.compileClean) out.pendingDeletes.push({ change: c, reason: "deletes wait until every file compiles" });
        else out.send.push(c);
        break;
      }
      default: {
        const never: never = c;
        throw new Error(`unknown change ${String(never)}`);
      }
    }
  }
  return out;
}

/**
 * Whether the server changed behind wfsync's back: an option the state has was edited there
 * (the code did not change it), or is gone (deleted, or re-created under another id).
 */
function isDrift(c: Change, applied: ReadonlyMap<Address, AppliedOption>): boolean {
  const s = applied.get(c.address);
  if (!s) return false;
  switch (c.action) {
    case "create":
      return true;
    case "update":
      return s.id !== c.id || s.hash === c.desired.hash;
    case "noop":
      return c.record && s.id !== c.id;
    case "delete":
      return c.alreadyGone;
    case "conflict":
      return false;
    default: {
      const never: never = c;
      return never;
    }
  }
}
