/**
 * Creates, split by split, made safe against whoever else writes to the tenant (a second
 * checkout, a colleague in the flow editor, the time spent at the confirmation prompt):
 *
 * 1. Just before its creates, the split is read again: a create whose option now exists (same
 *    Key, owned by no other address) adopts it instead of making a second one.
 * 2. After them, the split is read once more: where an option this run created shares its Key
 *    with an option of lower id, ours is the late duplicate of a concurrent writer. It is deleted
 *    and the older one adopted. Every writer keeps the lowest id, so two of them that race end
 *    with exactly one option, never zero.
 */
import { WfsyncError } from "../errors.js";
import { sameIdentity, splitRef, type LiveOption, type SplitRef } from "../model/live.js";
import type { Change } from "../plan/diff.js";
import type { Tenant } from "../tenant/tenant.js";

export type CreateChange = Extract<Change, { action: "create" }>;

/** What one create turned into. */
export type CreateOutcome =
  | { kind: "create"; change: CreateChange }
  | { kind: "adopt"; change: CreateChange; live: LiveOption }
  | { kind: "conflict"; change: CreateChange; error: WfsyncError };

/** Groups creates by split, in plan order. */
export function createsBySplit(changes: readonly Change[]): Map<SplitRef, CreateChange[]> {
  const bySplit = new Map<SplitRef, CreateChange[]>();
  for (const c of changes) {
    if (c.action !== "create") continue;
    const ref = splitRef(c);
    bySplit.set(ref, [...(bySplit.get(ref) ?? []), c]);
  }
  return bySplit;
}

/**
 * Step 1: matches each create against the split as the server has it now. `taken` holds the
 * ids other addresses own; an adopted id is added to it.
 */
export function matchCreates(creates: readonly CreateChange[], live: readonly LiveOption[], taken: Set<number>): CreateOutcome[] {
  return creates.map((change) => {
    const matches = live.filter((l) => sameIdentity(l, change.desired.option) && !taken.has(l.id));
    if (matches.length === 0) return { kind: "create", change };
    if (matches.length > 1) {
      const ids = matches.map((m) => m.id).join(", ");
      return {
        kind: "conflict",
        change,
        error: new WfsyncError("E_CONFLICT", `${change.address}: options ${ids} with this Key appeared on the server since the plan was made; nothing was sent for it`),
      };
    }
    taken.add(matches[0]!.id);
    return { kind: "adopt", change, live: matches[0]! };
  });
}

/**
 * Step 2: for an option this run created as `ownId`, the option to keep: the lowest id with its
 * Key that no other address owns (ours, unless a concurrent writer's came first).
 */
export function keeperOf(change: CreateChange, ownId: number, live: readonly LiveOption[], taken: ReadonlySet<number>): LiveOption | undefined {
  const same = live.filter((l) => sameIdentity(l, change.desired.option) && (l.id === ownId || !taken.has(l.id)));
  return same.sort((a, b) => a.id - b.id)[0];
}

/** Reads one split; `undefined` when the server does not have it. */
/**
 * The split as the server has it now. Read ahead of queued writes: a split's reads are the
 * steps between its creates and their being done, so they should not wait behind other splits'.
 */
export async function readSplit(tenant: Tenant, ref: SplitRef): Promise<readonly LiveOption[] | undefined> {
  const { live, missing } = await tenant.readSplits([ref], { priority: 1 });
  return missing.includes(ref) ? undefined : (live.get(ref) ?? []);
}
