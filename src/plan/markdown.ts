/**
 * The plan as Markdown, for a pull-request comment or a CI job's summary (`plan --format
 * markdown`, `$GITHUB_STEP_SUMMARY`): a heading naming the tenant, the summary line, and a table
 * of the changes grouped by split. The table stops at MARKDOWN_ROWS rows (GitHub takes at most
 * 1 MiB of summary, a comment 64 KiB); the summary line always counts everything.
 */
import { formatLocation } from "../errors.js";
import type { Change, Plan } from "./diff.js";
import { summaryLine } from "./render.js";

export const MARKDOWN_ROWS = 200;

export interface MarkdownHeading {
  /** The tenant in words (already redacted), e.g. "Cust12345 (online2.superoffice.com)". */
  readonly tenant: string;
  /** The API generation in words, or why it is not known. */
  readonly api?: string;
  /** The environment, in a fleet run. */
  readonly environment?: string;
}

const ACTION: Record<Change["action"], string> = {
  create: "➕ create",
  update: "✏️ update",
  delete: "🗑️ delete",
  noop: "📌 adopt",
  conflict: "⚠️ conflict",
};

export function planMarkdown(plan: Plan, heading: MarkdownHeading): string {
  const tenant = escapeText(heading.tenant);
  const title = heading.environment ? `environment \`${escapeCode(heading.environment)}\` · ${tenant}` : tenant;
  const out: string[] = [`### wfsync plan: ${title}`, ""];
  if (heading.api) out.push(escapeText(heading.api), "");
  if (!plan.refreshed) out.push("_Not refreshed from the server: compared with the state file only._", "");
  out.push(`**${summaryLine(plan)}**`, "");
  const rows = plan.changes.filter((c) => !((c.action === "noop" && !c.record) || (c.action === "delete" && c.alreadyGone)));
  if (rows.length === 0) {
    out.push("No changes. The tenant matches the code.");
  } else {
    out.push("| | split | option | name | source |", "|---|---|---|---|---|");
    for (const c of rows.slice(0, MARKDOWN_ROWS)) out.push(row(c));
    if (rows.length > MARKDOWN_ROWS) out.push("", `… and ${rows.length - MARKDOWN_ROWS} more (run \`wfsync plan\` for all of them).`);
  }
  for (const m of plan.massDeletes) {
    out.push("", `> **Mass delete:** split \`${m.split}\` loses ${m.deletes} of the ${m.managed} options wfsync manages there; apply needs \`--allow-mass-delete\`.`);
  }
  if (plan.summary.conflict) out.push("", "> **Conflicts:** nothing is applied while there are any.");
  return `${out.join("\n")}\n`;
}

function row(c: Change): string {
  const option = c.after ?? c.before;
  const name = option ? escapeCell(option.name) : "";
  const source = c.source ? `\`${escapeCode(formatLocation(c.source))}\`` : "";
  const why = c.reason ? ` (${escapeCell(c.reason)})` : "";
  return `| ${ACTION[c.action]} | ${c.workflowId}/${c.workflowStepId} | \`${escapeCode(c.key)}\`${why} | ${name} | ${source} |`;
}

/** Text that must not become Markdown (names come from code a pull request may change). */
export function escapeText(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, " ");
}

function escapeCell(s: string): string {
  return escapeText(s);
}

/** Inside `code`: backticks cannot be escaped, so they become a look-alike; pipes still split cells. */
function escapeCode(s: string): string {
  return s.replace(/`/g, "ˋ").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}
