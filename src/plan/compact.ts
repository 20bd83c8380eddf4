/**
 * The compact plan: one line an option, grouped under a header per split with its counts, for
 * plans too large to read in full detail (`--compact`, or chosen above COMPACT_THRESHOLD changes).
 *
 *   split 679/844  +2 ~1 -1 (5 unchanged)
 *     + 679/844/vip  "VIP customers"  (workflows/onboarding.ts:6:5)
 */
import { formatLocation } from "../errors.js";
import type { Change, Plan } from "./diff.js";
import { renderPlan, summaryLine, type RenderOptions } from "./render.js";

/** Above this many changes (creates, updates, deletes, adoptions, conflicts) text output is compact. */
export const COMPACT_THRESHOLD = 50;

export type PlanLayout = "full" | "compact";

export interface LayoutFlags {
  /** `--compact`. */
  compact?: boolean;
  /** `--diff`: full detail however large. */
  diff?: boolean;
  /** `-v`: full detail, unchanged options included. */
  verbose?: boolean;
}

/** The changes a plan shows (what is not plainly unchanged). */
export function shownChanges(plan: Plan): number {
  return plan.changes.filter((c) => !((c.action === "noop" && !c.record) || (c.action === "delete" && c.alreadyGone))).length;
}

/** `--compact` wins, then `--diff`/`-v`; otherwise compact only for a large plan. */
export function chooseLayout(plan: Plan, flags: LayoutFlags): PlanLayout {
  if (flags.compact) return "compact";
  if (flags.diff || flags.verbose) return "full";
  return shownChanges(plan) > COMPACT_THRESHOLD ? "compact" : "full";
}

/** The plan in the layout the flags choose. */
export function renderPlanAs(plan: Plan, flags: LayoutFlags, opts: RenderOptions): string {
  return chooseLayout(plan, flags) === "compact" ? renderCompactPlan(plan, opts) : renderPlan(plan, opts);
}

const paint = (on: boolean, code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderCompactPlan(plan: Plan, opts: RenderOptions): string {
  const dim = paint(opts.color, 2);
  const marks: Record<Change["action"], (s: string) => string> = {
    create: paint(opts.color, 32),
    update: paint(opts.color, 33),
    delete: paint(opts.color, 31),
    conflict: paint(opts.color, 31),
    noop: dim,
  };
  const out: string[] = [];
  if (!plan.refreshed) out.push(dim("(not refreshed from the server: compared with the state file only)"), "");
  const splits = new Map<string, Change[]>();
  for (const c of plan.changes) {
    const ref = `${c.workflowId}/${c.workflowStepId}`;
    const list = splits.get(ref) ?? [];
    list.push(c);
    splits.set(ref, list);
  }
  let any = false;
  for (const [ref, changes] of splits) {
    const shown = changes.filter((c) => opts.verbose || !isQuiet(c));
    if (!shown.length) continue;
    any = true;
    out.push(`split ${ref}  ${splitCounts(changes)}`);
    for (const c of shown) out.push(`  ${compactLine(c, marks[c.action], dim)}`);
    out.push("");
  }
  if (!any) out.push("No changes. The tenant matches the code.");
  for (const m of plan.massDeletes) {
    out.push(marks.delete(`! split ${m.split}: deletes ${m.deletes} of the ${m.managed} option${m.managed === 1 ? "" : "s"} wfsync manages there; apply needs --allow-mass-delete`));
  }
  if (plan.unmanaged.length) out.push(dim(`${plan.unmanaged.length} option${plan.unmanaged.length === 1 ? "" : "s"} on these splits not managed by wfsync: left alone.`));
  out.push(summaryLine(plan));
  return `${out.join("\n")}\n`;
}

function isQuiet(c: Change): boolean {
  return (c.action === "noop" && !c.record) || (c.action === "delete" && c.alreadyGone);
}

/** `+2 ~1 -1 =1 !1 (5 unchanged)`: creates, updates, deletes, adoptions, conflicts, then the rest. */
function splitCounts(changes: readonly Change[]): string {
  const n = { "+": 0, "~": 0, "-": 0, "=": 0, "!": 0 };
  let unchanged = 0;
  for (const c of changes) {
    if (isQuiet(c)) unchanged++;
    else n[markOf(c)]++;
  }
  const parts = Object.entries(n)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}${v}`);
  if (unchanged) parts.push(`(${unchanged} unchanged)`);
  return parts.join(" ");
}

/** The one-character mark of a change in a plan line: + create, ~ update, - delete, = unchanged, ! conflict. */
export function markOf(c: Change): "+" | "~" | "-" | "=" | "!" {
  switch (c.action) {
    case "create":
      return "+";
    case "update":
      return "~";
    case "delete":
      return "-";
    case "noop":
      return "=";
    case "conflict":
      return "!";
    default: {
      const never: never = c;
      return never;
    }
  }
}

function compactLine(c: Change, mark: (s: string) => string, dim: (s: string) => string): string {
  const option = c.after ?? c.before;
  const name = option ? `  ${JSON.stringify(option.name)}` : "";
  const id = "id" in c ? ` ${dim(`[id ${c.id}]`)}` : "";
  const where = c.source ? dim(`  (${c.action === "delete" ? "was " : ""}${formatLocation(c.source)})`) : "";
  const why = c.reason ? dim(` — ${c.reason}`) : c.action === "noop" && c.record ? dim(" — to be recorded in the state") : "";
  const ids = c.action === "conflict" ? dim(` — ids ${c.ids.join(", ")} share this Key`) : "";
  return `${mark(markOf(c))} ${c.address}${id}${name}${where}${why}${ids}`;
}
