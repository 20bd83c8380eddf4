/**
 * The diff: a pure function of what the code wants, what wfsync last applied (the state) and,
 * when refreshed, what the server has. It never does IO and never throws for a user's data;
 * everything it decides is in the returned plan.
 */
import type { DesiredOption } from "../compile/validate.js";
import type { SourceLocation } from "../errors.js";
import { keyedAs, liveHashAs, sameIdentity, splitRef, type LiveOption, type SplitRef } from "../model/live.js";
import { caseInsensitiveGet } from "../model/carrier.js";
import { hashOption, optionAddress, type Address, type OptionModel } from "../model/option.js";
import type { StateEntry } from "../state/format.js";
import { hasDrift, mergeOption, type DriftPolicy, type FieldDiff, type MergeChoices } from "./fields.js";

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
  /**
   * The three-way comparison (code, state, server) of an option the state has, field by field:
   * what changed where and what this plan does with it. Absent for creates, deletes and adoptions.
   */
  readonly fields?: readonly FieldDiff[];
  /** The state's address of the option before a key renamed in code (`split.moved`): apply moves the entry. */
  readonly movedFrom?: Address;
}

/** What the state records for an option once its change is applied. */
export interface RecordAs {
  readonly option: OptionModel;
  /** The code's version, when the recorded option differs from it (a server change adopted). */
  readonly code?: OptionModel;
}

export type Change =
  | (ChangeBase & {
      readonly action: "create";
      readonly desired: DesiredOption;
      /**
       * Not sent, and why: an option deleted on the server (in the flow editor) is drift of the
       * whole option, re-created only under the drift policy revert.
       */
      readonly held?: string;
    })
  | (ChangeBase & {
      readonly action: "update";
      readonly id: number;
      readonly desired: DesiredOption;
      readonly previous: unknown;
      /** What is sent, when it is not the code's option (server fields kept by the merge). */
      readonly send?: OptionModel;
      /** What the state records, when it is not the code's option. */
      readonly recordAs?: RecordAs;
    })
  | (ChangeBase & {
      readonly action: "noop";
      readonly id: number;
      readonly desired: DesiredOption;
      readonly record: boolean;
      readonly server: unknown;
      readonly recordAs?: RecordAs;
    })
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
  readonly summary: Readonly<Record<"create" | "update" | "delete" | "adopt" | "noop" | "conflict" | "drift", number>>;
  /** The drift policy the plan was made with. */
  readonly drift: DriftPolicy;
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
  /** What to do with drift and conflicts (default: drift policy revert, no choice for conflicts). */
  readonly choices?: MergeChoices;
  /** Keys renamed in code (`split.moved`): old address → new address. */
  readonly moved?: ReadonlyMap<Address, Address>;
}

export function diffModels(input: DiffInput): Plan {
  const { desired, live } = input;
  const { applied, movedFrom } = followMoves(input.applied, input.moved, desired);
  const choices = input.choices ?? { drift: "revert" };
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
      // Without the server, the state stands in for it: nothing can have drifted.
      if (!s) changes.push({ ...base, action: "create", desired: d, before: undefined });
      else changes.push(threeWay(base, d, s, { id: s.id, option: s.option, hash: s.hash, raw: s.server }, choices));
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
      changes.push(threeWay(base, d, s, { id: l.id, option: keyedAs(l, d.option), hash: liveHashAs(l, d.option), raw: l.raw }, choices));
      continue;
    }
    // Not in the state, or gone under the id the state recorded: look for it on its split by Key
    // (on a server without Keys, by kind, target and name) before creating: exactly-once
    // creates, also when the answer to a re-create was lost. Options the state maps to another
    // address are never taken.
    const matches = (live.get(splitRef(d.option)) ?? []).filter((m) => sameIdentity(m, d.option) && !managedIds.has(m.id));
    for (const m of matches) claimed.add(m.id);
    if (matches.length === 0) {
      const held = s && choices.drift !== "revert" ? { held: `drift policy ${choices.drift}: not re-created (\`--drift revert\` re-creates it; or remove it from code)` } : {};
      changes.push({ ...base, action: "create", desired: d, before: undefined, ...(s ? { reason: "gone from the server" } : {}), ...held });
    }
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
    drift: choices.drift,
  };
}

type ChangeStart = Pick<ChangeBase, "address" | "workflowId" | "workflowStepId" | "key" | "source" | "after">;

/**
 * An option the state has, compared field by field with the server's (`server`, under the
 * code's keys; the state's own option when the plan is made without the server).
 */
function threeWay(start: ChangeStart, d: DesiredOption, s: StateEntry, live: { id: number; option: OptionModel; hash: string; raw: unknown }, choices: MergeChoices): Change {
  const { id, option: server, raw } = live;
  // The common case, hashes only: all three agree. Written out rather than spread from `start`:
  // in Node 20's V8 a spread followed by new properties takes microseconds (each property added
  // goes the slow way), and this is once per option per plan.
  if (s.code === undefined && s.hash === d.hash && live.hash === d.hash && s.id === id) {
    const { address, workflowId, workflowStepId, key, source, after } = start;
    return { address, workflowId, workflowStepId, key, source, after, action: "noop", id, desired: d, before: server, record: false, server: raw };
  }
  const merged = mergeOption({ base: s.option, codeRef: s.code ?? s.option, code: d.option, server }, choices);
  const fields = merged.fields.length ? { fields: merged.fields } : {};
  if (merged.conflict) {
    const names = merged.fields.filter((f) => f.kind === "conflict").map((f) => f.field);
    return {
      ...start,
      ...fields,
      action: "conflict",
      ids: [id],
      before: server,
      reason: `${names.join(", ")} changed both in code and on the server; choose per run: \`apply --prefer code\` sends the code's, \`apply --refresh-only\` takes the server's into the state`,
    };
  }
  const code = merged.codeRecord;
  const recordAs: RecordAs = { option: merged.record, ...(hashOption(code) === hashOption(merged.record) ? {} : { code }) };
  const sameAsCode = recordAs.code === undefined && hashOption(merged.record) === d.hash;
  const recordField = sameAsCode ? {} : { recordAs };
  const reason = driftReason(merged.fields, s.id !== id);
  const common = { ...start, ...fields, id, desired: d, before: server, after: merged.send, ...(reason ? { reason } : {}) };
  if (hashOption(merged.send) !== live.hash) {
    const send = hashOption(merged.send) === d.hash ? {} : { send: merged.send };
    return { ...common, ...send, ...recordField, action: "update", previous: raw };
  }
  const codeHash = (o: OptionModel | undefined) => (o ? hashOption(o) : undefined);
  const record = s.id !== id || hashOption(merged.record) !== s.hash || codeHash(s.code) !== codeHash(recordAs.code);
  return { ...common, ...recordField, action: "noop", record, server: raw };
}

function driftReason(fields: readonly FieldDiff[], idChanged: boolean): string | undefined {
  if (idChanged) return undefined;
  const drift = fields.filter((f) => f.kind === "drift");
  if (!drift.length) return fields.some((f) => f.kind === "conflict") ? "conflict resolved by choice" : undefined;
  const outcome = drift[0]!.outcome;
  const what = "changed on the server";
  if (outcome === "kept") return `${what} (drift policy report: left as it is, not reverted)`;
  if (outcome === "adopted") return `${what}; taken into the state`;
  return what;
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
  const serverKey = caseInsensitiveGet(s.server, "key");
  const key = typeof serverKey === "string" ? serverKey : s.option.key;
  return l.option.workflowId === s.option.workflowId && l.option.workflowStepId === s.option.workflowStepId && (l.option.key === key || l.option.key === s.option.key);
}

/** Counts the changes as Plan.summary does. */
export function summarize(changes: readonly Change[]): Plan["summary"] {
  const summary = { create: 0, update: 0, delete: 0, adopt: 0, noop: 0, conflict: 0, drift: 0 };
  for (const c of changes) {
    if (hasDrift(c.fields)) summary.drift++;
    if (c.action === "create" && c.held) {
      summary.drift++;
      continue;
    }
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

/**
 * `apply --refresh-only`: the plan's changes that only bring the state up to the server (server
 * changes adopted, options already gone forgotten); nothing in it sends a request.
 */
export function refreshOnlyPlan(plan: Plan): Plan {
  const changes = plan.changes.filter((c) => (c.action === "noop" && c.record) || (c.action === "delete" && c.alreadyGone));
  return { ...plan, changes, summary: summarize(changes), massDeletes: [] };
}

/** Drift the plan shows and leaves on the server without recording it (policy report). */
export function driftLeft(plan: Plan): Change[] {
  return plan.changes.filter((c) => hasDrift(c.fields, "kept") || (c.action === "create" && c.held !== undefined));
}

/**
 * True when applying the plan would send nothing and change nothing on the server: what the
 * summary counts as unchanged. A delete of an option already gone from the server is one of
 * those (only its stale state entry is left to forget: apply's forgetGone), and so is a create
 * held back by the drift policy.
 */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.every((c) => (c.action === "noop" && !c.record) || (c.action === "create" && c.held !== undefined) || (c.action === "delete" && c.alreadyGone));
}
