/**
 * Renders a plan for people (grouped `+ ~ -`, a `field: old → new` line per changed field, a
 * unified diff of the steps, destructive changes set apart) and for scripts (`--json`, the shape
 * the README documents).
 */
import { structuredPatch } from "diff";
import { formatLocation } from "../errors.js";
import type { OptionContent, OptionModel, StepModel } from "../model/option.js";
import { defaultFieldValue, stepFields } from "../model/steps.js";
import type { Change, Plan } from "./diff.js";

export interface RenderOptions {
  color: boolean;
  /** Also list unchanged options. */
  verbose?: boolean;
}

const paint = (on: boolean, code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderPlan(plan: Plan, opts: RenderOptions): string {
  const green = paint(opts.color, 32);
  const yellow = paint(opts.color, 33);
  const red = paint(opts.color, 31);
  const dim = paint(opts.color, 2);
  const out: string[] = [];
  const changes = plan.changes.filter((c) => c.action !== "noop" || c.record || opts.verbose);
  if (!plan.refreshed) out.push(dim("(not refreshed from the server: compared with the state file only)"), "");
  if (changes.length === 0) {
    out.push("No changes. The tenant matches the code.");
  } else {
    const groups: [string, (c: Change) => boolean][] = [
      ["Conflicts (nothing is applied while there are any):", (c) => c.action === "conflict"],
      ["", (c) => c.action === "create" || c.action === "update" || c.action === "noop" || (c.action === "delete" && c.alreadyGone)],
      ["Destructive changes:", (c) => c.action === "delete" && !c.alreadyGone],
    ];
    for (const [title, pick] of groups) {
      const group = changes.filter(pick);
      if (!group.length) continue;
      if (title) out.push(title);
      for (const c of group) out.push(...renderChange(c, { green, yellow, red, dim }), "");
    }
  }
  if (plan.massDeletes.length) {
    for (const m of plan.massDeletes) {
      out.push(
        red(`! split ${m.split}: deletes ${m.deletes} of the ${m.managed} option${m.managed === 1 ? "" : "s"} wfsync manages there; apply needs --allow-mass-delete`),
      );
    }
    out.push("");
  }
  if (plan.unmanaged.length) {
    out.push(dim(`${plan.unmanaged.length} option${plan.unmanaged.length === 1 ? "" : "s"} on these splits ${plan.unmanaged.length === 1 ? "is" : "are"} not managed by wfsync and will be left alone.`));
  }
  out.push(summaryLine(plan));
  return `${out.join("\n")}\n`;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.delete} to delete`];
  if (s.adopt) parts.push(`${s.adopt} to adopt`);
  parts.push(`${s.noop} unchanged`);
  if (s.conflict) parts.push(`${s.conflict} in conflict`);
  return `Plan: ${parts.join(", ")}.`;
}

type Painters = Record<"green" | "yellow" | "red" | "dim", (s: string) => string>;

function renderChange(c: Change, p: Painters): string[] {
  const where = c.source ? p.dim(`  (${c.action === "delete" ? "was " : ""}${formatLocation(c.source)})`) : "";
  const why = c.reason ? p.dim(` — ${c.reason}`) : "";
  switch (c.action) {
    case "create":
      return [`${p.green("+")} ${c.address}${where}${why}`, ...describeOption(c.after!).map((l) => p.green(`    ${l}`))];
    case "update":
      return [`${p.yellow("~")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}`, ...fieldChanges(c.before!, c.after!, p)];
    case "noop":
      return [`${p.dim("=")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}${c.record ? p.dim(" (to be recorded in the state: nothing is sent)") : ""}`];
    case "delete":
      if (c.alreadyGone) return [`${p.dim("-")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}${p.dim(" (to be forgotten in the state: nothing is sent)")}`];
      return [`${p.red("-")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}`, ...describeOption(c.before!).map((l) => p.red(`    ${l}`))];
    case "conflict":
      return [`${p.red("!")} ${c.address}${where}${why}: ids ${c.ids.join(", ")} on the server share this Key; delete all but one there (or rename the key in code), then plan again.`];
    default: {
      const never: never = c;
      return never;
    }
  }
}

function describeOption(o: OptionModel): string[] {
  return [`name: ${JSON.stringify(o.name)}`, `rank: ${o.rank}`, "steps:", ...stepLines(o.steps, "  ")];
}

function fieldChanges(before: OptionModel, after: OptionModel, p: Painters): string[] {
  const lines: string[] = [];
  for (const field of ["key", "name", "rank", "workflowId", "workflowStepId"] as const) {
    if (before[field] !== after[field]) {
      lines.push(`    ${field}: ${p.red(JSON.stringify(before[field]))} → ${p.green(JSON.stringify(after[field]))}`);
    }
  }
  const a = stepLines(before.steps, "").join("\n");
  const b = stepLines(after.steps, "").join("\n");
  if (a !== b) {
    lines.push("    steps:");
    const patch = structuredPatch("before", "after", `${a}\n`, `${b}\n`, "", "", { context: 2 });
    for (const hunk of patch.hunks) {
      lines.push(p.dim(`      @@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`));
      for (const line of hunk.lines) {
        const mark = line[0];
        const text = `      ${mark} ${line.slice(1)}`;
        lines.push(mark === "+" ? p.green(text) : mark === "-" ? p.red(text) : text);
      }
    }
  }
  return lines;
}

/** One line per step, `N. Type field=value …`; nested splits indented under their step. */
export function stepLines(steps: readonly StepModel[], indent: string): string[] {
  const lines: string[] = [];
  steps.forEach((step, i) => {
    // Fields at the server's default are left out: they say nothing and hide what matters.
    const kinds = stepFields(step.stepType);
    const fields = Object.entries(step)
      .filter(([k, v]) => kinds[k] !== undefined && JSON.stringify(v) !== JSON.stringify(defaultFieldValue(kinds[k])))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    lines.push(`${indent}${i + 1}. ${step.stepType}${fields.length ? ` ${fields.join(" ")}` : ""}`);
    for (const o of (step.options ?? []) as OptionContent[]) {
      lines.push(`${indent}   option ${JSON.stringify(o.key)} name=${JSON.stringify(o.name)} rank=${o.rank}`);
      lines.push(...stepLines(o.steps, `${indent}     `));
    }
  });
  return lines;
}

/** The version of the `--json` documents' shape; raised only when a field changes meaning or goes. */
export const JSON_FORMAT_VERSION = 1;

export interface PlanJsonOptions {
  /** Also give the before/after payload of unchanged options (`-v`). */
  verbose?: boolean;
}

/**
 * `plan --json`: the documented shape (plus `reason` and conflict ids where present). A create
 * has `before: null`, a delete `after: null`; an unchanged option carries no payload unless
 * asked (`verbose`), which keeps a large tenant's plan small.
 */
export function planToJson(plan: Plan, options: PlanJsonOptions = {}): unknown {
  return {
    changes: plan.changes.map((c) => {
      const unchanged = (c.action === "noop" && !c.record) || (c.action === "delete" && c.alreadyGone);
      return {
        action: c.action === "delete" && c.alreadyGone ? "noop" : c.action,
        address: c.address,
        workflowId: c.workflowId,
        workflowStepId: c.workflowStepId,
        key: c.key,
        id: "id" in c ? c.id : null,
        source: c.source ? formatLocation(c.source) : null,
        ...(unchanged && !options.verbose ? {} : { before: c.before ?? null, after: c.after ?? null }),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.action === "conflict" ? { ids: c.ids } : {}),
      };
    }),
    summary: { create: plan.summary.create, update: plan.summary.update, delete: plan.summary.delete, adopt: plan.summary.adopt, noop: plan.summary.noop },
    ...(plan.summary.conflict ? { conflicts: plan.summary.conflict } : {}),
    ...(plan.massDeletes.length ? { massDeletes: plan.massDeletes } : {}),
    refreshed: plan.refreshed,
  };
}
