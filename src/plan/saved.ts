/**
 * Saved plans (`plan --out FILE`, `apply FILE`): a plan with what it was computed from, so that
 * it can be reviewed now and applied later exactly as reviewed — or refused, naming what changed.
 *
 * What a plan is computed from, each as a fingerprint: the code (every option's address and
 * content hash), the state (every entry: address, id, hash and the server's last answer) and,
 * per split read, the server's options (ids and normalised content hashes). The file holds no
 * request headers and no credentials; the tenant URL is stored redacted of any userinfo.
 */
import { createHash } from "node:crypto";
import type { DesiredOption } from "../compile/validate.js";
import { WfsyncError } from "../errors.js";
import type { LiveOption, SplitRef } from "../model/live.js";
import type { Address } from "../model/option.js";
import type { StateEntry } from "../state/format.js";
import type { Change, Plan } from "./diff.js";

export const SAVED_PLAN_VERSION = 1 as const;
const KIND = "wfsync-plan";

export interface PlanFingerprints {
  readonly code: string;
  readonly state: string;
  /** By split read: its server content, or "missing" for a split the server did not have. */
  readonly splits: Readonly<Record<SplitRef, string>>;
}

export interface SavedPlan {
  readonly format_version: 1;
  readonly kind: typeof KIND;
  readonly createdAt: string;
  /** The tenant the plan is for: its URL (redacted), and on Online its tenant id. */
  readonly tenant: { readonly url: string; readonly tenantId: string | null };
  readonly api: string;
  /** The config environment planned, or null in a project without environments. */
  readonly environment: string | null;
  /** `--target` prefixes the plan was cut to; empty for a full plan. */
  readonly targets: readonly string[];
  readonly fingerprints: PlanFingerprints;
  readonly plan: Plan;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const sorted = <T>(m: ReadonlyMap<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function codeFingerprint(desired: ReadonlyMap<Address, DesiredOption>, moved: ReadonlyMap<Address, Address> = new Map()): string {
  const moves = sorted(moved).map(([from, to]) => `moved\t${from}\t${to}`);
  return sha256([...sorted(desired).map(([a, d]) => `${a}\t${d.hash}`), ...moves].join("\n"));
}

export function stateFingerprint(entries: ReadonlyMap<Address, StateEntry>): string {
  return sha256(sorted(entries).map(([a, e]) => `${a}\t${e.id}\t${e.hash}\t${JSON.stringify(e.server)}`).join("\n"));
}

export function splitFingerprints(read: ReadonlySet<SplitRef>, live: ReadonlyMap<SplitRef, readonly LiveOption[]>): Record<SplitRef, string> {
  const out: Record<SplitRef, string> = {};
  for (const ref of [...read].sort()) {
    const options = live.get(ref);
    out[ref] = options ? sha256([...options].sort((a, b) => a.id - b.id).map((o) => `${o.id}\t${o.hash}\t${o.unreadable ?? ""}`).join("\n")) : "missing";
  }
  return out;
}

/** What differs between the fingerprints a plan was saved with and those of now, in words. */
export function whatChanged(saved: PlanFingerprints, now: PlanFingerprints): string[] {
  const changed: string[] = [];
  if (saved.code !== now.code) changed.push("the code (workflow files or environment values)");
  if (saved.state !== now.state) changed.push("the state (another apply, or a state command, since)");
  const splits = [...new Set([...Object.keys(saved.splits), ...Object.keys(now.splits)])].sort();
  for (const ref of splits) {
    const a = saved.splits[ref];
    const b = now.splits[ref];
    if (a === b) continue;
    if (a === undefined) changed.push(`split ${ref} (not in the saved plan)`);
    else if (b === undefined) changed.push(`split ${ref} (no longer planned)`);
    else changed.push(`split ${ref} on the server${b === "missing" ? " (gone)" : ""}`);
  }
  return changed;
}

/** The file's text: a DesiredOption's call sites (Maps, only for messages at compile) are left out. */
export function serializeSavedPlan(saved: SavedPlan): string {
  const changes = saved.plan.changes.map((c) => ("desired" in c ? { ...c, desired: withoutSites(c.desired) } : c));
  return `${JSON.stringify({ ...saved, plan: { ...saved.plan, changes } }, null, 2)}\n`;
}

function withoutSites(d: DesiredOption): DesiredOption {
  const { sites: _sites, ...rest } = d;
  return rest;
}

/** Reads a saved plan's text; `file` names it in errors. Every problem found is listed. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WfsyncError("E_PLAN_FILE", `${file} is not a saved plan: not JSON (${(err as Error).message})`);
  }
  const v = value as Record<string, any>;
  if (!isObject(v) || v.kind !== KIND) throw new WfsyncError("E_PLAN_FILE", `${file} is not a saved plan (made by \`wfsync plan --out ${file}\`)`);
  if (v.format_version !== SAVED_PLAN_VERSION) {
    throw new WfsyncError("E_PLAN_FILE", `${file}: format_version ${JSON.stringify(v.format_version)}, but this wfsync reads version ${SAVED_PLAN_VERSION}; make the plan again with this wfsync`);
  }
  const problems: string[] = [];
  const need = (ok: boolean, at: string, what: string) => ok || problems.push(`${at}: expected ${what}`);
  need(isObject(v.tenant) && typeof v.tenant.url === "string", "$.tenant.url", "the tenant URL");
  need(v.api === "10.2" || v.api === "12", "$.api", '"10.2" or "12"');
  need(v.environment === null || typeof v.environment === "string", "$.environment", "a name or null");
  need(Array.isArray(v.targets) && v.targets.every((t: unknown) => typeof t === "string"), "$.targets", "a list of addresses");
  const f = v.fingerprints;
  need(isObject(f) && typeof f.code === "string" && typeof f.state === "string" && isObject(f.splits), "$.fingerprints", "code, state and splits");
  const plan = v.plan;
  if (!isObject(plan) || !Array.isArray(plan.changes) || !isObject(plan.summary) || !Array.isArray(plan.massDeletes) || !Array.isArray(plan.unmanaged)) {
    problems.push("$.plan: expected changes, summary, massDeletes and unmanaged");
  } else plan.changes.forEach((c: unknown, i: number) => checkChange(c, `$.plan.changes[${i}]`, problems));
  if (problems.length) throw new WfsyncError("E_PLAN_FILE", `${file} is not a valid saved plan (${problems.length} problem${problems.length === 1 ? "" : "s"})`, { detail: problems.slice(0, 20).join("\n") });
  return v as SavedPlan;
}

const ACTIONS = new Set(["create", "update", "noop", "delete", "conflict"]);

function checkChange(c: unknown, at: string, problems: string[]): void {
  if (!isObject(c) || !ACTIONS.has(c.action as string) || typeof c.address !== "string") {
    problems.push(`${at}: expected a change with an action and an address`);
    return;
  }
  if (c.action !== "create" && c.action !== "conflict" && !Number.isSafeInteger(c.id)) problems.push(`${at}.id: expected the option's id`);
  if (c.action === "create" || c.action === "update" || c.action === "noop") {
    const d = c.desired as Record<string, unknown> | undefined;
    if (!isObject(d) || typeof d.hash !== "string" || !isObject(d.option) || d.address !== c.address) problems.push(`${at}.desired: expected the option in code at ${c.address}`);
  }
}

function isObject(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** What apply sends for a change, to compare a saved plan with the one made now. */
function changeKey(c: Change): string {
  return `${c.action} ${c.address} ${"id" in c ? c.id : ""} ${"desired" in c ? c.desired.hash : ""} ${c.action === "noop" ? c.record : ""}${c.action === "delete" ? c.alreadyGone : ""}`;
}

/** The changes of `saved` that the plan made now (same inputs) does not have, and the other way round. */
export function differingChanges(saved: Plan, now: Plan): string[] {
  const a = new Set(saved.changes.map(changeKey));
  const b = new Set(now.changes.map(changeKey));
  return [...[...a].filter((k) => !b.has(k)), ...[...b].filter((k) => !a.has(k))];
}
