/**
 * What `wfsync watch` prints: one line per run (what changed, where in the code, how long from
 * the save), then only what needs attention — errors at file:line:col with a code frame (once;
 * later runs name them in one line), failures, drift, held changes and the pending deletes
 * (after every run until they are resolved).
 */
import { markOf } from "../plan/compact.js";
import { describeGeneration } from "../tenant/tenant.js";
import { WfsyncError, formatError, formatLocation } from "../errors.js";
import type { Change } from "../plan/diff.js";
import { count, formatDuration } from "../text.js";
import type { WatchNotice, WatchRun } from "./run.js";
import type { WatchReady } from "./start.js";

const MAX_LISTED = 5;

export interface ReportOptions {
  readonly color: boolean;
  readonly allowDelete: boolean;
  /** With allowDelete: the grace period before a delete (default 10 s). */
  readonly deleteGraceMs?: number;
}

export class WatchReporter {
  /** Errors already printed with their code frame: repeated runs name them in one line. */
  private shown = new Set<string>();
  /** Held changes already said (see held). */
  private heldShown = new Set<string>();

  constructor(private readonly options: ReportOptions) {}

  ready(r: WatchReady): string {
    const files = `${r.workflowFiles} file${r.workflowFiles === 1 ? "" : "s"}`;
    const options = `${r.options} option${r.options === 1 ? "" : "s"}`;
    const grace = this.options.deleteGraceMs ?? 10_000;
    const deletes = this.options.allowDelete ? `deletes allowed${grace ? ` once an option has been gone from code for ${formatDuration(grace)}` : ""}` : "deletes wait for --allow-delete";
    const api = r.api ? ` (${describeGeneration(r.api)})` : "";
    return `watching ${files} (${options}) → ${r.tenant}${api}; ${deletes}; Ctrl-C to stop\n`;
  }

  notice(n: WatchNotice): string {
    return `${clock(n.at)} ${n.level === "warn" ? this.paint(33, n.message) : n.message}\n`;
  }

  run(run: WatchRun): string {
    const out = [`${clock(run.finishedAt)} ${this.headline(run)}`];
    if (run.recoveredFiles.length) out.push(this.paint(32, `  ${run.recoveredFiles.join(", ")} ${run.recoveredFiles.length === 1 ? "compiles" : "compile"} again`));
    for (const note of run.config?.notes ?? []) out.push(`  ${note}`);
    for (const e of run.config?.errors ?? []) out.push(indent(formatError(e)));
    for (const c of run.drift) out.push(`  drift on the server: ${markOf(c)} ${c.address}${c.source ? ` (${formatLocation(c.source)})` : ""} ${driftWords(c)}`);
    for (const { change, error } of run.failed) out.push(this.paint(31, `  failed: ${describe(change)}: ${message(error)}`));
    if (run.superseded.length) out.push(`  ${count(run.superseded.length, "change")} edited again before sending: the next run sends the newer version`);
    if (run.stopped) out.push(this.paint(31, `  ${message(run.stopped)}`));
    else if (run.cancelled.length) out.push(`  ${count(run.cancelled.length, "change")} not sent: watch is stopping (the next start sends them)`);
    if (run.problem !== undefined) out.push(this.paint(31, `  ${message(run.problem)}`));
    out.push(...this.errors(run));
    out.push(...this.held(run));
    if (run.retryInMs !== undefined) out.push(`  retrying in ${formatDuration(run.retryInMs)} (or at the next save)`);
    if (run.pendingDeletes.length) {
      out.push(this.paint(33, `  ${count(run.pendingDeletes.length, "pending delete")} (still on the server):`));
      for (const p of run.pendingDeletes) out.push(`    - ${p.change.address}${"id" in p.change ? ` [id ${p.change.id}]` : ""}${p.change.source ? ` (was ${formatLocation(p.change.source)})` : ""}: ${p.reason}`);
    }
    return `${out.join("\n")}\n`;
  }

  private headline(run: WatchRun): string {
    const took = formatDuration(run.finishedAt - run.startedAt);
    const latency = run.latencyMs !== undefined ? ` (save→applied ${formatDuration(run.latencyMs)})` : "";
    if (run.applied.length) return `applied ${count(run.applied.length, "change")} in ${took}${latency}: ${list(run.applied)}`;
    if (run.failed.length || run.problem !== undefined) return this.paint(31, `nothing applied${run.failed.length ? `: ${count(run.failed.length, "change")} failed` : ""}`);
    if (run.failedFiles.length) return this.paint(31, `nothing applied: ${run.failedFiles.join(", ")} ${run.failedFiles.length === 1 ? "does" : "do"} not compile`);
    if (run.errors.length) return this.paint(31, `nothing applied: ${count(run.errors.length, "error")}`);
    if (run.removedFiles.length) {
      const n = run.pendingDeletes.length;
      const deleted = `${run.removedFiles.join(", ")} ${run.removedFiles.length === 1 ? "was" : "were"} deleted`;
      return n ? `${deleted}: nothing sent; ${count(n, "option")} of ${run.removedFiles.length === 1 ? "it" : "them"} ${n === 1 ? "is a pending delete" : "are pending deletes"}` : `${deleted}: nothing to send`;
    }
    if (run.emptyFiles.length && !run.pendingDeletes.length) {
      return `${run.emptyFiles.join(", ")} ${run.emptyFiles.length === 1 ? "declares" : "declare"} no workflow yet: nothing to send`;
    }
    const what = run.pendingDeletes.length
      ? "nothing to send"
      : run.triggers.includes("start")
        ? "in sync: no changes"
        : run.triggers.includes("refresh")
          ? "refreshed: no changes"
          : "no changes";
    return `${what}${run.files.length ? ` (${run.files.slice(0, MAX_LISTED).join(", ")}${run.files.length > MAX_LISTED ? ", …" : ""})` : ""}`;
  }

  /**
   * Changes held for a reason of their own (a conflict, a missing split), each said once: a
   * refresh that finds the same conflict again does not repeat it.
   */
  private held(run: WatchRun): string[] {
    const out: string[] = [];
    const now = new Set<string>();
    for (const h of run.held) {
      // An option deleted on the server is said as drift (once), not again as held.
      if (h.reason === "its file does not compile" || h.error || (h.change.action === "create" && h.change.held)) continue;
      const key = `${h.change.address} ${h.reason} ${JSON.stringify(h.change.fields?.map((f) => [f.field, f.code, f.server]) ?? null)}`;
      now.add(key);
      if (!this.heldShown.has(key)) out.push(this.paint(33, `  held: ${describe(h.change)}: ${h.reason}`));
    }
    // Only a run that read every split knows a conflict is gone; others add to what was said.
    if (run.refreshed === "all") this.heldShown = now;
    else for (const k of now) this.heldShown.add(k);
    return out;
  }

  private errors(run: WatchRun): string[] {
    const out: string[] = [];
    if (run.failedFiles.length) {
      const one = run.failedFiles.length === 1;
      out.push(
        this.paint(31, `  ${run.failedFiles.join(", ")}: ${one ? "its" : "their"} last good options are kept; nothing from ${one ? "it" : "them"} is sent until ${one ? "it compiles" : "they compile"}`),
      );
    }
    const now = new Set<string>();
    const { errors, hidden } = firstSyntaxErrors(run.errors);
    for (const e of errors) {
      const key = `${e.code} ${e.location ? formatLocation(e.location) : ""} ${e.message}`;
      now.add(key);
      if (this.shown.has(key)) out.push(`  still: ${e.location ? `${formatLocation(e.location)} - ` : ""}error ${e.code}: ${firstLine(e.message)}`);
      else out.push(indent(formatError(e)));
    }
    for (const [file, n] of hidden) out.push(`  ${file}: ${count(n, "more syntax error")} after the first, most likely caused by it; fix that one first`);
    this.shown = now;
    return out;
  }

  private paint(code: number, s: string): string {
    return this.options.color ? `\u001b[${code}m${s}\u001b[0m` : s;
  }
}

/**
 * A file's first syntax error, not its cascade: one missing `)` or `}` makes TypeScript report
 * an error at every line after it, each a consequence of the first. Type errors are kept.
 */
export function firstSyntaxErrors(errors: readonly WfsyncError[]): { errors: WfsyncError[]; hidden: Map<string, number> } {
  const syntax = (e: WfsyncError) => /^TS1\d{3}$/.test(e.code) && e.location !== undefined;
  const first = new Map<string, WfsyncError>();
  for (const e of errors) {
    if (!syntax(e)) continue;
    const f = first.get(e.location!.file);
    if (!f || e.location!.line < f.location!.line || (e.location!.line === f.location!.line && e.location!.column < f.location!.column)) first.set(e.location!.file, e);
  }
  const hidden = new Map<string, number>();
  const kept = errors.filter((e) => {
    if (!syntax(e) || first.get(e.location!.file) === e) return true;
    hidden.set(e.location!.file, (hidden.get(e.location!.file) ?? 0) + 1);
    return false;
  });
  return { errors: kept, hidden };
}


/** What changed on the server and what this run does about it. */
function driftWords(c: Change): string {
  const drift = (c.fields ?? []).filter((f) => f.kind === "drift");
  if (c.action === "create" && c.held) return `deleted on the server — ${c.held}`;
  if (!drift.length) return `${c.reason ?? ""}${c.action === "delete" ? "" : " — putting the code's version back"}`;
  const fields = drift.map((f) => f.field).join(", ");
  const outcome = drift[0]!.outcome;
  const then =
    outcome === "kept"
      ? "left as it is (drift policy report; shown again only if it changes)"
      : outcome === "adopted"
        ? "taken into the state (drift policy adopt)"
        : "putting the code's version back";
  return `${fields} changed on the server — ${then}`;
}

function describe(c: Change): string {
  return `${markOf(c)} ${c.address}${c.source ? ` (${formatLocation(c.source)})` : ""}`;
}

function list(changes: readonly Change[]): string {
  const shown = changes.slice(0, MAX_LISTED).map(describe).join(", ");
  return changes.length > MAX_LISTED ? `${shown}, … and ${changes.length - MAX_LISTED} more` : shown;
}

function message(err: unknown): string {
  if (err instanceof WfsyncError) return firstLine(err.message);
  return err instanceof Error ? err.message : String(err);
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}
