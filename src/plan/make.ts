/**
 * Making a plan: the pure diff, fed with what the server has for the splits a read mode asks
 * for. `all` reads every split the code or the state has an option in (plan, apply); a set of
 * splits reads only those and diffs the rest against the state (watch, per save); `none` reads
 * nothing (`plan --no-refresh`). The server comes in as a function, so this stays free of IO.
 */
import type { DesiredOption } from "../compile/validate.js";
import { WfsyncError } from "../errors.js";
import { splitRef, type LiveOption, type SplitRef } from "../model/live.js";
import type { Address } from "../model/option.js";
import type { StateEntry } from "../state/format.js";
import { compareChanges, diffModels, type Plan } from "./diff.js";
import type { MergeChoices } from "./fields.js";

/** Which splits a plan reads from the server. */
export type ReadMode = "all" | "none" | ReadonlySet<SplitRef>;

/** Reads splits from the server: their options, and which of them the server does not have. */
export type ReadSplits = (splits: ReadonlySet<SplitRef>) => Promise<{ live: ReadonlyMap<SplitRef, readonly LiveOption[]>; missing: readonly SplitRef[] }>;

export interface MakePlanInput {
  readonly desired: ReadonlyMap<Address, DesiredOption>;
  readonly applied: ReadonlyMap<Address, StateEntry>;
  readonly massDeleteShare: number;
  readonly read: ReadMode;
  /** The drift policy and the choices made for conflicts (default: revert, none). */
  readonly choices?: MergeChoices;
  /** Keys renamed in code (`split.moved`): old address → new address. */
  readonly moved?: ReadonlyMap<Address, Address>;
}

export interface MadePlan {
  readonly plan: Plan;
  /** The splits that were read. */
  readonly read: ReadonlySet<SplitRef>;
  /** Splits read that the server does not have. */
  readonly missing: readonly SplitRef[];
}

export async function makePlan(input: MakePlanInput, readSplits?: ReadSplits): Promise<MadePlan> {
  const splits = input.read === "all" ? allSplits(input.desired, input.applied) : input.read === "none" ? new Set<SplitRef>() : input.read;
  if (splits.size === 0 && input.read !== "all") return { plan: diffModels(input), read: splits, missing: [] };
  if (!readSplits) throw new WfsyncError("E_OFFLINE", "this plan needs the server, but it was made without one", { userError: false });
  const { live, missing } = await readSplits(splits);
  const plan = input.read === "all" ? diffModels({ ...input, live }) : diffSomeLive(input, live);
  return { plan, read: splits, missing };
}

/**
 * makePlan for plan and apply: every split read, and a split the code names but the server
 * does not have is an error (its ids in code are wrong) rather than a plan to create into it.
 */
export async function makeFullPlan(input: Omit<MakePlanInput, "read">, readSplits: ReadSplits | undefined): Promise<Plan> {
  if (!readSplits) return (await makePlan({ ...input, read: "none" })).plan;
  const { plan, missing } = await makePlan({ ...input, read: "all" }, readSplits);
  const desiredSplits = new Set([...input.desired.values()].map((d) => splitRef(d.option)));
  const wanted = missing.filter((ref) => desiredSplits.has(ref));
  if (wanted.length) {
    throw new WfsyncError(
      "E_SPLIT_NOT_FOUND",
      `the server has no split step ${wanted.map((r) => r.split("/")[1]).join(", ")} (workflow/step ${wanted.join(", ")}); check the ids in code against the flow`,
    );
  }
  return plan;
}

/** Every split the model or the state has an option in. */
function allSplits(desired: ReadonlyMap<Address, DesiredOption>, applied: ReadonlyMap<Address, StateEntry>): Set<SplitRef> {
  const splits = new Set<SplitRef>();
  for (const d of desired.values()) splits.add(splitRef(d.option));
  for (const s of applied.values()) splits.add(splitRef(s.option));
  return splits;
}

/**
 * Diffs the splits in `live` against the server (adoption by Key, drift) and every other split
 * against the state alone. Each split lies wholly on one side, so per-split rules (mass
 * deletes) see all of its options.
 */
function diffSomeLive(input: MakePlanInput, live: ReadonlyMap<SplitRef, readonly LiveOption[]>): Plan {
  const part = <T extends { option: { workflowId: number; workflowStepId: number } }>(m: ReadonlyMap<Address, T>) => {
    const read = new Map<Address, T>();
    const rest = new Map<Address, T>();
    for (const [a, v] of m) (live.has(splitRef(v.option)) ? read : rest).set(a, v);
    return [read, rest] as const;
  };
  const [desiredRead, desiredRest] = part(input.desired);
  const [appliedRead, appliedRest] = part(input.applied);
  const extra = { ...(input.choices ? { choices: input.choices } : {}), ...(input.moved ? { moved: input.moved } : {}) };
  const fromServer = diffModels({ desired: desiredRead, applied: appliedRead, live, massDeleteShare: input.massDeleteShare, ...extra });
  if (desiredRest.size === 0 && appliedRest.size === 0) return fromServer;
  const fromState = diffModels({ desired: desiredRest, applied: appliedRest, massDeleteShare: input.massDeleteShare, ...extra });
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
    drift: a.drift,
  };
}
