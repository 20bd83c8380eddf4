/**
 * The state file's format (version 1) and its hand-written schema check. A file that fails the
 * check is refused with every problem listed at its JSON path; it is never overwritten.
 */
import { WfsyncError, formatLocation, parseLocation, type SourceLocation } from "../errors.js";
import { withoutFieldRights } from "../model/carrier.js";
import type { OptionModel } from "../model/option.js";
import { OPTION_KINDS, type OptionKind } from "../model/when.js";

export const STATE_VERSION = 1;

/** One entry as wfsync holds it in memory. */
export interface StateEntry {
  /** The option's `WorkflowStepOptionId` on the server. */
  readonly id: number;
  /** `hashOption(option)`. */
  readonly hash: string;
  /** The canonical model as last applied. */
  readonly option: OptionModel;
  /**
   * The code's version `option` answers to, when it is not `option` itself: a change made on
   * the server was taken into the state (drift policy adopt, `apply --refresh-only`) and the code
   * still has its own value. A field is changed in code when it differs from this one.
   */
  readonly code?: OptionModel;
  /** The server's answer after the last write (lends step ids to the next update). */
  readonly server: unknown;
  /** Where the option was declared. */
  readonly source?: SourceLocation | undefined;
  /** ISO time of the last write. */
  readonly appliedAt: string;
}

/** One entry as the state file and the journal hold it: the source as `file:line:col`. */
export interface StoredStateEntry extends Omit<StateEntry, "source"> {
  readonly source?: string;
}

export interface StateFileV1 {
  readonly version: 1;
  /** The normalised base URL the state belongs to. */
  readonly tenant: string;
  /**
   * The SuperOffice API generation the tenant spoke ("10.2" or "12"); absent in files written
   * before it was recorded. On the current generation the state is the only record of which
   * option is which, so a state is never used with the other generation.
   */
  readonly api?: string;
  /** By address `workflowId/workflowStepId/key`. */
  readonly entries: Readonly<Record<string, StoredStateEntry>>;
}

/**
 * A checked stored entry as held in memory; every entry read (file, journal) comes through here.
 * A source that is not `file:line:col` (a hand edit) is dropped: it is only ever shown.
 */
export function entryFromStored(stored: StoredStateEntry): StateEntry {
  const { source, ...rest } = stored;
  const location = source === undefined ? undefined : parseLocation(source);
  return location ? { ...stored, source: location } : rest;
}

/**
 * An entry as a store writes it, refused (a bug, not a user error) when it would not pass the
 * check every entry read back must pass: a store never writes what it could not read.
 */
export function checkedStoredEntry(address: string, entry: StateEntry): StoredStateEntry {
  const stored = storedEntry(entry);
  const problems = new Problems();
  if (!checkEntry(address, stored, `entry ${address}`, problems)) {
    throw new WfsyncError("E_STATE_ENTRY", `Refusing to record an invalid state entry: ${problems.list.join("; ")}`, { userError: false });
  }
  return stored;
}

/**
 * An entry as it is written; its properties keep their order, so files and `state show` read the
 * same. The server's answer is kept without its field rights (see withoutFieldRights): the state
 * keeps it for the step ids it lends the next update, and the rights were about half of an entry.
 */
export function storedEntry(entry: StateEntry): StoredStateEntry {
  const { source, ...rest } = entry;
  const server = withoutFieldRights(entry.server);
  return source === undefined ? { ...rest, server } : { ...entry, server, source: formatLocation(source) };
}

/** Collects problems as `path: what is wrong`; stops collecting after a few dozen. */
export class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): void {
    if (this.list.length < 50) this.list.push(`${path}: ${what}`);
  }
  get ok(): boolean {
    return this.list.length === 0;
  }
}

/** Checks a parsed state file; on success it is a StateFileV1. */
export function checkStateFile(value: unknown, problems: Problems): value is StateFileV1 {
  if (!isObject(value)) {
    problems.add("$", `expected an object, got ${describe(value)}`);
    return false;
  }
  if (value.version !== STATE_VERSION) {
    problems.add("$.version", `expected ${STATE_VERSION}, got ${describe(value.version)}`);
    return false;
  }
  if (typeof value.tenant !== "string" || value.tenant === "") problems.add("$.tenant", `expected the tenant URL, got ${describe(value.tenant)}`);
  if (value.api !== undefined && value.api !== "10.2" && value.api !== "12") problems.add("$.api", `expected "10.2" or "12", got ${describe(value.api)}`);
  if (!isObject(value.entries)) {
    problems.add("$.entries", `expected an object, got ${describe(value.entries)}`);
  } else {
    for (const [address, entry] of Object.entries(value.entries)) checkEntry(address, entry, `$.entries[${JSON.stringify(address)}]`, problems);
    checkSharedIds(Object.entries(value.entries) as [string, { id?: unknown }][], "$.entries", problems);
  }
  return problems.ok;
}

/**
 * Two addresses with one option id (a hand-edited state): every apply would overwrite that
 * option with one address's content, then the other's, forever. Which one is right only the
 * user can say.
 */
export function checkSharedIds(entries: Iterable<readonly [string, { readonly id?: unknown }]>, path: string, problems: Problems): void {
  const byId = new Map<number, string[]>();
  for (const [address, entry] of entries) {
    if (!isObject(entry) || !isId(entry.id)) continue;
    const id = entry.id as number;
    byId.set(id, [...(byId.get(id) ?? []), address]);
  }
  for (const [id, addresses] of byId) {
    if (addresses.length < 2) continue;
    const named = addresses.sort().map((a) => JSON.stringify(a));
    const many = addresses.length > 2;
    problems.add(
      path,
      `${named.slice(0, -1).join(", ")} and ${named.at(-1)} ${many ? "all" : "both"} point at option id ${id}; keep the entry of the one ` +
        `that is option ${id} on the server and delete the other${many ? "s" : ""} (the next plan looks ${many ? "them" : "it"} up on the server by Key)`,
    );
  }
}

/** Checks one entry and that it belongs at `address`. */
export function checkEntry(address: string, entry: unknown, path: string, problems: Problems): entry is StoredStateEntry {
  const before = problems.list.length;
  if (!isObject(entry)) {
    problems.add(path, `expected an object, got ${describe(entry)}`);
    return false;
  }
  if (!isId(entry.id)) problems.add(`${path}.id`, `expected a positive integer, got ${describe(entry.id)}`);
  if (typeof entry.hash !== "string" || entry.hash === "") problems.add(`${path}.hash`, `expected a string, got ${describe(entry.hash)}`);
  if (typeof entry.appliedAt !== "string" || Number.isNaN(Date.parse(entry.appliedAt))) {
    problems.add(`${path}.appliedAt`, `expected an ISO date, got ${describe(entry.appliedAt)}`);
  }
  if (entry.source !== undefined && typeof entry.source !== "string") problems.add(`${path}.source`, `expected a string, got ${describe(entry.source)}`);
  if (!("server" in entry)) problems.add(`${path}.server`, "missing");
  if (entry.code !== undefined) checkOption(entry.code, `${path}.code`, problems);
  if (checkOption(entry.option, `${path}.option`, problems)) {
    const o = entry.option as OptionModel;
    const expected = `${o.workflowId}/${o.workflowStepId}/${o.key}`;
    if (expected !== address) problems.add(`${path}.option`, `belongs at address ${JSON.stringify(expected)}`);
  }
  return problems.list.length === before;
}

function checkOption(value: unknown, path: string, problems: Problems): boolean {
  const before = problems.list.length;
  if (!checkContent(value, path, problems)) return false;
  const o = value as Record<string, unknown>;
  if (!isId(o.workflowId)) problems.add(`${path}.workflowId`, `expected a positive integer, got ${describe(o.workflowId)}`);
  if (!isId(o.workflowStepId)) problems.add(`${path}.workflowStepId`, `expected a positive integer, got ${describe(o.workflowStepId)}`);
  return problems.list.length === before;
}

function checkContent(value: unknown, path: string, problems: Problems): boolean {
  if (!isObject(value)) {
    problems.add(path, `expected an option, got ${describe(value)}`);
    return false;
  }
  const before = problems.list.length;
  if (typeof value.key !== "string") problems.add(`${path}.key`, `expected a string, got ${describe(value.key)}`);
  if (typeof value.name !== "string") problems.add(`${path}.name`, `expected a string, got ${describe(value.name)}`);
  if (!Number.isInteger(value.rank)) problems.add(`${path}.rank`, `expected an integer, got ${describe(value.rank)}`);
  if (value.when !== undefined) checkWhen(value.when, `${path}.when`, problems);
  if (!Array.isArray(value.steps)) {
    problems.add(`${path}.steps`, `expected an array, got ${describe(value.steps)}`);
  } else {
    value.steps.forEach((step: unknown, i) => {
      const at = `${path}.steps[${i}]`;
      if (!isObject(step) || typeof step.stepType !== "string") {
        problems.add(at, `expected a step with a stepType, got ${describe(step)}`);
        return;
      }
      if (step.options === undefined) return;
      if (!Array.isArray(step.options)) problems.add(`${at}.options`, `expected an array, got ${describe(step.options)}`);
      else step.options.forEach((o: unknown, j) => checkContent(o, `${at}.options[${j}]`, problems));
    });
  }
  return problems.list.length === before;
}

/** An option's kind (absent for OptionType None): a known kind with its target and groups. */
function checkWhen(value: unknown, path: string, problems: Problems): void {
  if (!isObject(value) || typeof value.kind !== "string" || !Object.hasOwn(OPTION_KINDS, value.kind)) {
    problems.add(path, `expected an option kind (${Object.keys(OPTION_KINDS).join(", ")}), got ${describe(isObject(value) ? value.kind : value)}`);
    return;
  }
  const spec = OPTION_KINDS[value.kind as OptionKind];
  if (spec.target && !Number.isInteger(value[spec.target])) problems.add(`${path}.${spec.target}`, `expected an integer, got ${describe(value[spec.target])}`);
  if (spec.groups && !Array.isArray(value.restrictionGroups)) {
    problems.add(`${path}.restrictionGroups`, `expected an array, got ${describe(value.restrictionGroups)}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isId(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The file's text: entries sorted by address, so the file diffs well in review. */
export function serializeState(tenant: string, entries: ReadonlyMap<string, StateEntry>, api?: string): string {
  const sorted: Record<string, StoredStateEntry> = {};
  for (const address of [...entries.keys()].sort()) sorted[address] = storedEntry(entries.get(address)!);
  const file: StateFileV1 = { version: STATE_VERSION, tenant, ...(api === undefined ? {} : { api }), entries: sorted };
  return `${JSON.stringify(file, null, 2)}\n`;
}
