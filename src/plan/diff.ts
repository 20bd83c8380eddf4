/**
 * The diff: a pure function of what the code wants, what wfsync last applied (the state) and,
 * when refreshed, what the server has. It never does IO and never throws for a user's data;
 * everything it decides is in the returned plan.
 */
import type { DesiredOption } from "../compile/validate.js";
import type { SourceLocation } from "../errors.js";
import { keyedAs, liveHashAs, sameIdentity, splitRef, type LiveOption, type SplitRef } from "../model/live.js";
import { caseInsensitive } from "../model/carrier.js";
import { hashOption, optionAddress, type Address, type OptionModel } from "../model/option.js";
import type { StateEntry } from "../state/format.js";

interface ChangeBase {
  readonly address: Address;
  readonly workflowId: number;
  readonly workflowStepId: number;
  readonly key: string;
  /** Where the option is declared in code (the state's record of it for deletes). */
  readonly source: SourceLocation | undefined;
  readonly before: OptionModel | undefined;
  readonly after: OptionModel | undefined;
  /** Why, when it is not obvious: "changed on the server", "gone from the server", "adopted". */
  readonly reason?: string;
  /** The state's address of the option before a key renamed in code (`split.moved`): apply moves the entry. */
  readonly movedFrom?: Address;
}

export type Change =
  | (ChangeBase & { readonly action: "create"; readonly desired: DesiredOption })
  | (ChangeBase & { readonly action: "update"; readonly id: number; readonly desired: DesiredOption; readonly previous: unknown })
  | (ChangeBase & { readonly action: "noop"; readonly id: number; readonly desired: DesiredOption; readonly record: boolean; readonly server: unknown })
  | (ChangeBase & { readonly action: "delete"; readonly id: number; readonly alreadyGone: boolean })
  | (ChangeBase & { readonly action: "conflict"; readonly ids: readonly number[] });

export type ChangeAction = Change["action"];

export interface MassDelete {
  readonly split: SplitRef;
  readonly deletes: number;
  readonly managed: number;
}

export interface Plan {
  readonly changes: readonly Change[];
  /**
   * Counts by what apply does: `adopt` is a noop that only records the option in the state (it
   * is on the server as the code wants it, but the state has no entry, or an outdated one);
   * `noop` is nothing at all. So the plan is empty exactly when all but `noop` are 0.
   */
  readonly summary: Readonly<Record<"create" | "update" | "delete" | "adopt" | "noop" | "conflict", number>>;
  /** Splits whose deletes need `--allow-mass-delete`. */
  readonly massDeletes: readonly MassDelete[];
  /** Options on a refreshed split that wfsync does not manage: left alone. */
  readonly unmanaged: readonly { address: Address; id: number }[];
  readonly refreshed: boolean;
}

export interface DiffInput {
  readonly desired: ReadonlyMap<Address, DesiredOption>;
  readonly applied: ReadonlyMap<Address, StateEntry>;
  /** The server's options per split; absent when the plan was made without a refresh. */
  readonly live?: ReadonlyMap<SplitRef, readonly LiveOption[]>;
  /** A split's deletes above this share of its managed options need an explicit flag. */
  readonly massDeleteShare: number;
  /** Keys renamed in code (`split.moved`): old address → new address. */
  readonly moved?: ReadonlyMap<Address, Address>;
}

export function diffModels(input: DiffInput): Plan {
  const { desired, live } = input;
  const { applied, movedFrom } = followMoves(input.applied, input.moved, desired);
  const changes: Change[] = [];
  const liveById = new Map<number, LiveOption>();
  for (const options of live?.values() ?? []) for (const o of options) liveById.set(o.id, o);
  const claimed = new Set<number>();
  // A state entry's option on the server: its id, and still its workflow, split and Key. An id
  // the server gave to another option (ids reused after a restore or a reset) is not ours.
  const matchOf = (s: StateEntry): LiveOption | undefined => {
    const l = liveById.get(s.id);
    return l && isSameOption(s, l) ? l : undefined;
  };
  // Live options the state already maps to an address.
  const managedIds = new Set<number>();
  for (const s of applied.values()) if (matchOf(s)) managedIds.add(s.id);

  for (const [address, d] of desired) {
    const base = {
      address,
      workflowId: d.option.workflowId,
      workflowStepId: d.option.workflowStepId,
      key: d.option.key,
      source: d.source,
      after: d.option,
    };
    const s = applied.get(address);
    if (!live) {
      if (!s) changes.push({ ...base, action: "create", desired: d, before: undefined });
      else if (s.hash === d.hash) changes.push({ ...base, action: "noop", id: s.id, desired: d, before: s.option, record: false, server: s.server });
      else changes.push({ ...base, action: "update", id: s.id, desired: d, before: s.option, previous: s.server });
      continue;
    }
    const l = s ? matchOf(s) : undefined;
    if (s && l?.unreadable) {
      claimed.add(l.id);
      changes.push({ ...base, action: "conflict", ids: [l.id], before: undefined, reason: unreadableReason(l) });
      continue;
    }
    if (s && l) {
      claimed.add(l.id);
      const before = keyedAs(l, d.option);
      if (liveHashAs(l, d.option) === d.hash)
        changes.push({ ...base, action: "noop", id: l.id, desired: d, before, record: s.hash !== d.hash, server: l.raw });
      else
        changes.push({
          ...base,
          action: "update",
          id: l.id,
          desired: d,
          before,
          previous: l.raw,
          ...(s.hash === d.hash ? { reason: "changed on the server" } : {}),
        });
      continue;
    }
    // Not in the state, or gone under the id the state recorded: look for it on its split by Key
    // (on a server without Keys, by kind, target and name) before creating: exactly-once
    // creates, also when the answer to a re-create was lost. Options the state maps to another
    // address are never taken.
    const matches = (live.get(splitRef(d.option)) ?? []).filter((m) => sameIdentity(m, d.option) && !managedIds.has(m.id));
    for (const m of matches) claimed.add(m.id);
    if (matches.length === 0) changes.push({ ...base, action: "create", desired: d, before: undefined, ...(s ? { reason: "gone from the server" } : {}) });
    else if (matches.length === 1 && matches[0]!.unreadable)
      changes.push({ ...base, action: "conflict", ids: [matches[0]!.id], before: undefined, reason: unreadableReason(matches[0]!) });
    else if (matches.length > 1)
      changes.push({ ...base, action: "conflict", ids: matches.map((m) => m.id), before: undefined, reason: `${matches.length} options on the server have this Key` });
    else {
      const m = matches[0]!;
      const reason = s ? `gone under id ${s.id}; adopted by ${m.keyless ? "kind and name" : "Key"}` : "adopted";
      const before = keyedAs(m, d.option);
      if (liveHashAs(m, d.option) === d.hash) changes.push({ ...base, action: "noop", id: m.id, desired: d, before, record: true, server: m.raw, reason });
      else changes.push({ ...base, action: "update", id: m.id, desired: d, before, previous: m.raw, reason });
    }
  }

  for (const [address, s] of applied) {
    if (desired.has(address)) continue;
    const base = {
      address,
      workflowId: s.option.workflowId,
      workflowStepId: s.option.workflowStepId,
      key: s.option.key,
      source: s.source,
      after: undefined,
    };
    const l = live ? matchOf(s) : undefined;
    if (l) claimed.add(l.id);
    const other = live ? liveById.get(s.id) : undefined;
    if (live && !l) {
      const reason = other ? `already gone from the server (id ${s.id} is now ${liveAddress(other)}, which is not touched)` : "already gone from the server";
      changes.push({ ...base, action: "delete", id: s.id, before: s.option, alreadyGone: true, reason });
    }
    else changes.push({ ...base, action: "delete", id: s.id, before: l ? keyedAs(l, s.option) : s.option, alreadyGone: false });
  }

  changes.forEach((c, i) => {
    const from = movedFrom.get(c.address);
    if (from !== undefined && (c.action === "update" || c.action === "noop")) {
      changes[i] = { ...c, movedFrom: from, reason: `moved from ${from} (split.moved)${c.action === "update" ? "" : ": only the state's address changes"}` };
    }
  });
  changes.sort(compareChanges);
  noteLikelyRenames(changes);
  const unmanaged: { address: Address; id: number }[] = [];
  for (const l of liveById.values()) if (!claimed.has(l.id)) unmanaged.push({ address: l.keyless ? `${l.option.workflowId}/${l.option.workflowStepId}/(option ${l.id})` : optionAddress(l.option), id: l.id });
  unmanaged.sort((a, b) => a.id - b.id);
  return {
    changes,
    summary: summarize(changes),
    massDeletes: findMassDeletes(changes, applied, input.massDeleteShare),
    unmanaged,
    refreshed: live !== undefined,
  };
}

/**
 * The state as the code's renames (`split.moved`) make it: the entry of an old address that the
 * code no longer declares stands at its new address (unless the state has one there already), so
 * the diff matches it to the server's option and plans one update of its key, not a delete and a
 * create. Its hash stays the one last applied: the key in it changed.
 */
function followMoves(
  applied: ReadonlyMap<Address, StateEntry>,
  moved: ReadonlyMap<Address, Address> | undefined,
  desired: ReadonlyMap<Address, DesiredOption>,
): { applied: ReadonlyMap<Address, StateEntry>; movedFrom: ReadonlyMap<Address, Address> } {
  const movedFrom = new Map<Address, Address>();
  if (!moved?.size) return { applied, movedFrom };
  const out = new Map(applied);
  for (const [from, to] of moved) {
    const s = applied.get(from);
    const d = desired.get(to);
    if (!s || !d || applied.has(to) || desired.has(from)) continue;
    out.delete(from);
    out.set(to, { ...s, option: { ...s.option, key: d.option.key } });
    movedFrom.set(to, from);
  }
  return { applied: out, movedFrom };
}

/**
 * A split where one key is deleted and another created with the same content looks like a key
 * renamed in code: say so on the create, and how to have it changed in place instead.
 */
function noteLikelyRenames(changes: Change[]): void {
  const content = (o: OptionModel) => hashOption({ ...o, key: "" });
  const deletes = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.action !== "delete" || c.alreadyGone) continue;
    const k = `${splitRef(c)} ${content(c.before!)}`;
    deletes.set(k, [...(deletes.get(k) ?? []), c]);
  }
  if (deletes.size === 0) return;
  changes.forEach((c, i) => {
    if (c.action !== "create" || c.reason) return;
    const match = deletes.get(`${splitRef(c)} ${content(c.after!)}`);
    if (match?.length !== 1) return;
    const old = match[0]!.address;
    changes[i] = { ...c, reason: `looks like a rename of ${old} (same content): declare it with split.moved(${JSON.stringify(old.split("/").slice(2).join("/"))}, ${JSON.stringify(c.key)}) or \`wfsync state mv ${old} ${c.address}\` to change the key in place instead of deleting and creating` };
  });
}

/** Where a live option is, for messages: its address, or on a keyless server its id and name. */
function liveAddress(l: LiveOption): string {
  return l.keyless ? `option ${l.id} "${l.option.name}" of ${l.option.workflowId}/${l.option.workflowStepId}` : optionAddress(l.option);
}

function unreadableReason(l: LiveOption): string {
  return `option ${l.id} on the server has this Key, but wfsync cannot read its content (${l.unreadable}), so it will not write over it; change or remove it in the flow editor, or give this option another key`;
}

/**
 * Whether a live option is the one a state entry recorded: the same workflow and split, and the
 * Key the server had when wfsync last wrote it (the code's key, or the one an import found).
 */
function isSameOption(s: StateEntry, l: LiveOption): boolean {
  // Without server Keys, the state's key → id map is the record: same id, workflow and split.
  if (l.keyless) return l.option.workflowId === s.option.workflowId && l.option.workflowStepId === s.option.workflowStepId;
  const serverKey = caseInsensitive(s.server).get("key");
  const key = typeof serverKey === "string" ? serverKey : s.option.key;
  return l.option.workflowId === s.option.workflowId && l.option.workflowStepId === s.option.workflowStepId && (l.option.key === key || l.option.key === s.option.key);
}

/** Counts the changes as Plan.summary does. */
export function summarize(changes: readonly Change[]): Plan["summary"] {
  const summary = { create: 0, update: 0, delete: 0, adopt: 0, noop: 0, conflict: 0 };
  for (const c of changes) {
    if (c.action === "delete" && c.alreadyGone) summary.noop++;
    else if (c.action === "noop" && c.record) summary.adopt++;
    else summary[c.action]++;
  }
  return summary;
}

function findMassDeletes(changes: readonly Change[], applied: ReadonlyMap<Address, StateEntry>, share: number): MassDelete[] {
  const managed = new Map<SplitRef, number>();
  for (const s of applied.values()) managed.set(splitRef(s.option), (managed.get(splitRef(s.option)) ?? 0) + 1);
  const deletes = new Map<SplitRef, number>();
  for (const c of changes) if (c.action === "delete" && !c.alreadyGone) deletes.set(splitRef(c), (deletes.get(splitRef(c)) ?? 0) + 1);
  const out: MassDelete[] = [];
  for (const [split, n] of deletes) {
    const total = managed.get(split) ?? n;
    // Emptying a split entirely is always "mass", however small it was.
    if (n >= total || n > share * total) out.push({ split, deletes: n, managed: total });
  }
  return out.sort((a, b) => (a.split < b.split ? -1 : 1));
}

/** Splits in id order, options in the order they run (rank), then by key. */
export function compareChanges(a: Change, b: Change): number {
  const rank = (c: Change) => (c.after ?? c.before)?.rank ?? 0;
  return (
    a.workflowId - b.workflowId ||
    a.workflowStepId - b.workflowStepId ||
    rank(a) - rank(b) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** True when applying the plan would send nothing and change nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.every((c) => c.action === "noop" && !c.record);
}
