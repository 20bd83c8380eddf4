import type { Command } from "commander";
import { driftLeft, isEmptyPlan } from "../plan/diff.js";
import { DRIFT_FLAG, PREFER_FLAG, preferSide } from "./drift.js";
import { planToJson, renderPlan } from "../plan/render.js";
import { planWorkspace } from "../workspace/workspace.js";
import { globalOptions } from "./global.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { runCommand, targetLine, tenantJson, useColor } from "./output.js";
import { openSession } from "./session.js";
import { fleetEnvironments, fleetPlan } from "./fleet.js";

export function registerPlanCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("show what apply would change on the tenant (reads the server; sends no writes); several environments with --env a --env b or --all-envs")
    .option("--json", "print the plan as JSON")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 3 when only drift left as it is (--drift report), 1 on error")
    .option("--no-refresh", "compare with the state file only; do not read the server")
    .option("-v, --verbose", "also list unchanged options")
    .option(DRIFT_FLAG[0], DRIFT_FLAG[1])
    .option(PREFER_FLAG[0], PREFER_FLAG[1], preferSide)
    .action(async (opts: { json?: boolean; detailedExitcode?: boolean; refresh: boolean; verbose?: boolean; drift?: string; prefer?: "code" }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const fleet = fleetEnvironments(cmd);
        if (fleet) return fleetPlan(fleet, opts);
        const session = openSession(globalOptions(cmd), { offline: !opts.refresh, overrides: { drift: opts.drift } });
        try {
          const { plan, state, api } = await planWorkspace(session, { refresh: opts.refresh, lock: false, command: "plan", preferCode: opts.prefer === "code" });
          await state.close();
          const target = session.tenant.target();
          const limits = limitsFor(session.config, target);
          if (opts.json) process.stdout.write(`${JSON.stringify({ tenant: tenantJson(target), api: api ?? null, limits: limitsToJson(limits), ...(planToJson(plan) as object) }, null, 2)}\n`);
          else process.stdout.write(targetLine(target, api, limits) + renderPlan(plan, { color: useColor(process.stdout), verbose: opts.verbose ?? false }));
          if (plan.summary.conflict) return 1;
          if (!opts.detailedExitcode) return 0;
          return !isEmptyPlan(plan) ? 2 : driftLeft(plan).length ? 3 : 0;
        } finally {
          session.close();
        }
      });
    });
}
