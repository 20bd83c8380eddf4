/**
 * What one watch run sends now and what waits, pure: a file that fails to compile, deletes
 * without --allow-delete, conflicts, mass deletes, a split missing on the server; and which
 * changes are drift (made on the server behind wfsync's back).
 */
import { WfsyncError } from "../errors.js";
import { splitRef, type SplitRef } from "../model/live.js";
import type { Address } from "../model/option.js";
import type { Change, Plan } from "../plan/diff.js";
import { hasDrift } from "../plan/fields.js";
import type { StateEntry } from "../state/format.js";

/**
 * The splits of the plan's creates: reading them first keeps creates exactly-once (adopt by
 * Key). With `updates`, the splits of updates too: an update that keeps the server's changes
 * of other fields must know them.
 */
export function splitsToLookUp(plan: Plan, skip: (c: Change) => boolean, updates = false): Set<SplitRef> {
  const splits = new Set<SplitRef>();
  for (const c of plan.changes) if ((c.action === "create" || (updates && c.action === "update")) && !skip(c)) splits.add(splitRef(c));
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
  readonly applied: ReadonlyMap<Address, StateEntry>;
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
        if (c.action === "create" && c.held) out.held.push({ change: c, reason: `deleted on the server; ${c.held}` });
        else if (rules.frozen(c)) out.held.push({ change: c, reason: "its file does not compile" });
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
function isDrift(c: Change, applied: ReadonlyMap<Address, StateEntry>): boolean {
  const s = applied.get(c.address);
  if (!s) return false;
  switch (c.action) {
    case "create":
      return true;
    case "update":
      return s.id !== c.id || hasDrift(c.fields);
    case "noop":
      return (c.record && s.id !== c.id) || hasDrift(c.fields);
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
