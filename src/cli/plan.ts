import type { Command } from "commander";
import { WfsyncError } from "../errors.js";
import { driftLeft, isEmptyPlan } from "../plan/diff.js";
import { DRIFT_FLAG, PREFER_FLAG, preferSide } from "./drift.js";
import { COMPACT_THRESHOLD, renderPlanAs } from "../plan/compact.js";
import { planMarkdown } from "../plan/markdown.js";
import { JSON_FORMAT_VERSION, planToJson } from "../plan/render.js";
import { planWorkspace } from "../workspace/workspace.js";
import { collect, globalOptions } from "./global.js";
import { SAVED_PLAN_VERSION, serializeSavedPlan } from "../plan/saved.js";
import { parseTargets, partialWarning, targetPlan } from "../plan/target.js";
import { redactUrl } from "../redact.js";
import { writeFileAtomicSync } from "../state/atomic.js";
import { writeStderr } from "../log.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { markdownHeading, paintWarning, runCommand, targetLine, tenantJson, useColor } from "./output.js";
import { openSession } from "./session.js";
import { fleetEnvironments, fleetPlan } from "./fleet.js";
import { appendStepSummary } from "./ci.js";

export type PlanFormat = "text" | "json" | "markdown";

export interface PlanFlags {
  json?: boolean;
  format?: PlanFormat;
  detailedExitcode?: boolean;
  refresh: boolean;
  verbose?: boolean;
  compact?: boolean;
  diff?: boolean;
  drift?: string;
  prefer?: "code";
  out?: string;
  target?: string[];
}

export function registerPlanCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("show what apply would change on the tenant (reads the server; sends no writes); several environments with --env a --env b or --all-envs")
    .option("--json", "print the plan as JSON (same as --format json)")
    .option("--format <format>", "text (default), json, or markdown (for a pull-request comment)", planFormat)
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 3 when only drift left as it is (--drift report), 1 on error")
    .option("--no-refresh", "compare with the state file only; do not read the server")
    .option("--compact", `one line an option, grouped by split (the default above ${COMPACT_THRESHOLD} changes)`)
    .option("--diff", "full detail of every change, however large the plan")
    .option("-v, --verbose", "full detail, unchanged options included (in --json: their before/after too)")
    .option(DRIFT_FLAG[0], DRIFT_FLAG[1])
    .option(PREFER_FLAG[0], PREFER_FLAG[1], preferSide)
    .option("--out <file>", "also save the plan to this file (0600) for `wfsync apply FILE`, which applies exactly it or refuses if the code, state or server changed")
    .option("--target <address>", "only the changes under this address prefix: 679, 679/844 or 679/844/vip (repeatable; the result is partial)", collect)
    .action(async (opts: PlanFlags, cmd: Command) => {
      await runCommand(setExit, async () => {
        const format = formatOf(opts);
        const fleet = fleetEnvironments(cmd);
        if (fleet) {
          const refused = opts.out !== undefined ? "--out saves the plan of one environment (one file each)" : opts.target?.length ? "--target works on one environment" : undefined;
          if (refused) {
            fleet.family.close();
            throw new WfsyncError("E_USAGE", `${refused}: pass one --env NAME with it`);
          }
          return fleetPlan(fleet, { ...opts, format });
        }
        if (opts.out !== undefined && !opts.refresh) throw new WfsyncError("E_USAGE", "--out needs the server's content to check against at apply: leave out --no-refresh");
        const targets = parseTargets(opts.target ?? []);
        const session = openSession(globalOptions(cmd), { offline: !opts.refresh, overrides: { drift: opts.drift } });
        try {
          const planned = await planWorkspace(session, { refresh: opts.refresh, lock: false, command: "plan", preferCode: opts.prefer === "code" });
          await planned.state.close();
          const { api } = planned;
          const plan = targets.length ? targetPlan(planned.plan, targets, session.config.massDeleteShare) : planned.plan;
          const target = session.tenant.target();
          const limits = limitsFor(session.config, target);
          if (targets.length) writeStderr(`${paintWarning(partialWarning(targets))}\n`);
          if (opts.out !== undefined) {
            const saved = {
              format_version: SAVED_PLAN_VERSION,
              kind: "wfsync-plan" as const,
              createdAt: new Date().toISOString(),
              tenant: { url: redactUrl(target.url), tenantId: target.online?.tenantId ?? null },
              api: planned.api!,
              environment: session.config.environment ?? null,
              targets,
              fingerprints: planned.fingerprints,
              plan,
            };
            savePlan(opts.out, serializeSavedPlan(saved));
          }
          const markdown = () => planMarkdown(plan, markdownHeading(target, api));
          if (format === "json") {
            const doc = { format_version: JSON_FORMAT_VERSION, tenant: tenantJson(target), api: api ?? null, limits: limitsToJson(limits), ...(planToJson(plan, { verbose: opts.verbose ?? false }) as object) };
            process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
          } else if (format === "markdown") process.stdout.write(markdown());
          else {
            process.stdout.write(targetLine(target, api, limits) + renderPlanAs(plan, opts, { color: useColor(process.stdout), verbose: opts.verbose ?? false }));
            if (opts.out !== undefined) process.stdout.write(`\nSaved this plan to ${opts.out}; \`wfsync apply ${opts.out}\` applies exactly it.\n`);
          }
          appendStepSummary(markdown);
          if (plan.summary.conflict) return 1;
          if (!opts.detailedExitcode) return 0;
          return !isEmptyPlan(plan) ? 2 : driftLeft(plan).length ? 3 : 0;
        } finally {
          session.close();
        }
      });
    });
}

function planFormat(value: string): PlanFormat {
  if (value === "text" || value === "json" || value === "markdown") return value;
  throw new WfsyncError("E_USAGE", `--format: expected text, json or markdown, got ${JSON.stringify(value)}`);
}

/** `--json` is `--format json`; both at once must agree. */
export function formatOf(opts: Pick<PlanFlags, "json" | "format">): PlanFormat {
  if (opts.json && opts.format && opts.format !== "json") throw new WfsyncError("E_USAGE", `--json and --format ${opts.format} disagree: give one of them`);
  return opts.json ? "json" : (opts.format ?? "text");
}

/** Writes the saved plan (0600, atomically); a path that cannot be written is said in words. */
function savePlan(file: string, text: string): void {
  try {
    writeFileAtomicSync(file, text, { mode: 0o600, backup: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WfsyncError("E_PLAN_FILE", `cannot write the plan to ${file}: ${code === "ENOENT" ? "its folder does not exist" : code === "EACCES" ? "permission denied" : (err as Error).message}`, { cause: err });
  }
}
