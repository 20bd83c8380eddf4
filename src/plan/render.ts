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
import type { FieldDiff, FieldOutcome } from "./fields.js";

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
  const changes = plan.changes.filter((c) => c.action !== "noop" || c.record || c.fields?.length || opts.verbose);
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
  if (s.drift) parts.push(`${s.drift} changed on the server (${DRIFT_WORDS[plan.drift]})`);
  return `Plan: ${parts.join(", ")}.`;
}

type Painters = Record<"green" | "yellow" | "red" | "dim", (s: string) => string>;

const DRIFT_WORDS: Record<Plan["drift"], string> = {
  revert: "drift policy revert: the code's version is put back",
  report: "drift policy report: left as it is",
  adopt: "drift policy adopt: taken into the state",
};

function renderChange(c: Change, p: Painters): string[] {
  const where = c.source ? p.dim(`  (${c.action === "delete" ? "was " : ""}${formatLocation(c.source)})`) : "";
  const why = c.reason ? p.dim(` — ${c.reason}`) : "";
  switch (c.action) {
    case "create":
      if (c.held) return [`${p.yellow("≠")} ${c.address}${where}${why}${p.dim(` — ${c.held}`)}`];
      return [`${p.green("+")} ${c.address}${where}${why}`, ...describeOption(c.after!).map((l) => p.green(`    ${l}`))];
    case "update":
      return [`${p.yellow("~")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}`, ...(c.fields ? threeWayLines(c.fields, p) : fieldChanges(c.before!, c.after!, p))];
    case "noop":
      return [
        `${c.fields?.length ? p.yellow("≠") : p.dim("=")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}${c.record ? p.dim(" (to be recorded in the state: nothing is sent)") : c.fields?.length ? p.dim(" (nothing is sent)") : ""}`,
        ...(c.fields ? threeWayLines(c.fields, p) : []),
      ];
    case "delete":
      if (c.alreadyGone) return [`${p.dim("-")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}${p.dim(" (to be forgotten in the state: nothing is sent)")}`];
      return [`${p.red("-")} ${c.address} ${p.dim(`[id ${c.id}]`)}${where}${why}`, ...describeOption(c.before!).map((l) => p.red(`    ${l}`))];
    case "conflict":
      if (c.fields?.some((f) => f.kind === "conflict")) return [`${p.red("!")} ${c.address} ${p.dim(`[id ${c.ids.join(", ")}]`)}${where}${why}`, ...threeWayLines(c.fields, p)];
      return [`${p.red("!")} ${c.address}${where}${why}: ids ${c.ids.join(", ")} on the server share this Key; delete all but one there (or rename the key in code), then plan again.`];
    default: {
      const never: never = c;
      return never;
    }
  }
}

const OUTCOME_WORDS: Record<FieldDiff["kind"], Partial<Record<FieldOutcome, string>>> = {
  update: { sent: "", held: "not sent (--refresh-only)" },
  drift: { sent: "the code's version is put back", kept: "left as it is (drift policy report)", adopted: "taken into the state (drift policy adopt)" },
  conflict: { sent: "the code's value is sent (--prefer code)", adopted: "the server's value is taken into the state (--refresh-only)", held: "nothing is sent without a choice" },
  behind: { kept: "adopted from the server earlier; change the code to match (nothing is sent)" },
};

/** One entry per field of a three-way comparison: what changed where, and what is done with it. */
function threeWayLines(fields: readonly FieldDiff[], p: Painters): string[] {
  const lines: string[] = [];
  for (const f of fields) {
    const outcome = OUTCOME_WORDS[f.kind][f.outcome] ?? f.outcome;
    const then = outcome ? p.dim(` — ${outcome}`) : "";
    const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
    if (f.field === "steps") {
      const text = (v: unknown) => stepLines((v ?? []) as StepModel[], "").join("\n");
      if (f.kind === "behind") lines.push(`    steps: the code's differ from the server's${then}`, ...stepsPatch(text(f.code), text(f.server), p));
      else if (f.kind === "update") lines.push(`    steps:${then}`, ...stepsPatch(text(f.base), text(f.code), p));
      else if (f.kind === "drift") lines.push(`    steps: changed on the server${then}`, ...stepsPatch(text(f.base), text(f.server), p));
      else lines.push(p.red(`    ! steps: changed in code and on the server${then}`), "      in code:", ...stepsPatch(text(f.base), text(f.code), p), "      on the server:", ...stepsPatch(text(f.base), text(f.server), p));
      continue;
    }
    if (f.kind === "behind") lines.push(`    ${f.field}: the code says ${show(f.code)}, the server ${show(f.server)}${then}`);
    else if (f.kind === "update") lines.push(`    ${f.field}: ${p.red(show(f.base))} → ${p.green(show(f.code))}${then}`);
    else if (f.kind === "drift") lines.push(`    ${f.field}: changed on the server ${show(f.base)} → ${p.yellow(show(f.server))}${then}`);
    else lines.push(p.red(`    ! ${f.field}: was ${show(f.base)}, code ${show(f.code)}, server ${show(f.server)}`) + then);
  }
  return lines;
}

function stepsPatch(a: string, b: string, p: Painters): string[] {
  const lines: string[] = [];
  const patch = structuredPatch("before", "after", `${a}\n`, `${b}\n`, "", "", { context: 2 });
  for (const hunk of patch.hunks) {
    lines.push(p.dim(`      @@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`));
    for (const line of hunk.lines) {
      const mark = line[0];
      const text = `      ${mark} ${line.slice(1)}`;
      lines.push(mark === "+" ? p.green(text) : mark === "-" ? p.red(text) : text);
    }
  }
  return lines;
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
  if (a !== b) lines.push("    steps:", ...stepsPatch(a, b, p));
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
        ...(c.fields ? { fields: c.fields } : {}),
        ...(c.action === "create" && c.held ? { held: c.held } : {}),
      };
    }),
    summary: { create: plan.summary.create, update: plan.summary.update, delete: plan.summary.delete, adopt: plan.summary.adopt, noop: plan.summary.noop },
    ...(plan.summary.drift ? { drifted: plan.summary.drift, driftPolicy: plan.drift } : {}),
    ...(plan.summary.conflict ? { conflicts: plan.summary.conflict } : {}),
    ...(plan.massDeletes.length ? { massDeletes: plan.massDeletes } : {}),
    refreshed: plan.refreshed,
  };
}
