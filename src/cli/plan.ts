import type { Command } from "commander";
import { WfsyncError } from "../errors.js";
import { isEmptyPlan } from "../plan/diff.js";
import { planToJson, renderPlan } from "../plan/render.js";
import { SAVED_PLAN_VERSION, serializeSavedPlan } from "../plan/saved.js";
import { parseTargets, partialWarning, targetPlan } from "../plan/target.js";
import { redactUrl } from "../redact.js";
import { writeFileAtomicSync } from "../state/atomic.js";
import { writeStderr } from "../log.js";
import { planWorkspace } from "../workspace/workspace.js";
import { collect, globalOptions } from "./global.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { paintWarning, runCommand, targetLine, tenantJson, useColor } from "./output.js";
import { openSession } from "./session.js";
import { fleetEnvironments, fleetPlan } from "./fleet.js";

interface PlanFlags {
  json?: boolean;
  detailedExitcode?: boolean;
  refresh: boolean;
  verbose?: boolean;
  out?: string;
  target?: string[];
}

export function registerPlanCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("show what apply would change on the tenant (reads the server; sends no writes); several environments with --env a --env b or --all-envs")
    .option("--json", "print the plan as JSON")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
    .option("--no-refresh", "compare with the state file only; do not read the server")
    .option("-v, --verbose", "also list unchanged options")
    .option("--out <file>", "also save the plan to this file (0600) for `wfsync apply FILE`, which applies exactly it or refuses if the code, state or server changed")
    .option("--target <address>", "only the changes under this address prefix: 679, 679/844 or 679/844/vip (repeatable; the result is partial)", collect)
    .action(async (opts: PlanFlags, cmd: Command) => {
      await runCommand(setExit, async () => {
        const fleet = fleetEnvironments(cmd);
        if (fleet) {
          const refused = opts.out !== undefined ? "--out saves the plan of one environment (one file each)" : opts.target?.length ? "--target works on one environment" : undefined;
          if (refused) {
            fleet.family.close();
            throw new WfsyncError("E_USAGE", `${refused}: pass one --env NAME with it`);
          }
          return fleetPlan(fleet, opts);
        }
        if (opts.out !== undefined && !opts.refresh) throw new WfsyncError("E_USAGE", "--out needs the server's content to check against at apply: leave out --no-refresh");
        const targets = parseTargets(opts.target ?? []);
        const session = openSession(globalOptions(cmd), { offline: !opts.refresh });
        try {
          const planned = await planWorkspace(session, { refresh: opts.refresh, lock: false, command: "plan" });
          await planned.state.close();
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
          if (opts.json) process.stdout.write(`${JSON.stringify({ tenant: tenantJson(target), api: planned.api ?? null, limits: limitsToJson(limits), ...(planToJson(plan) as object) }, null, 2)}\n`);
          else {
            process.stdout.write(targetLine(target, planned.api, limits) + renderPlan(plan, { color: useColor(process.stdout), verbose: opts.verbose ?? false }));
            if (opts.out !== undefined) process.stdout.write(`\nSaved this plan to ${opts.out}; \`wfsync apply ${opts.out}\` applies exactly it.\n`);
          }
          if (plan.summary.conflict) return 1;
          return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
        } finally {
          session.close();
        }
      });
    });
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
