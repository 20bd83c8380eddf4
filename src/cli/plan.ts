import type { Command } from "commander";
import { isEmptyPlan } from "../plan/diff.js";
import { planToJson, renderPlan } from "../plan/render.js";
import { planWorkspace } from "../workspace/workspace.js";
import { globalOptions } from "./global.js";
import { redactUrl } from "../redact.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { runCommand, targetLine, useColor } from "./output.js";
import { openSession } from "./session.js";

export function registerPlanCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("plan")
    .description("show what apply would change on the tenant (reads the server; sends no writes)")
    .option("--json", "print the plan as JSON")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
    .option("--no-refresh", "compare with the state file only; do not read the server")
    .option("-v, --verbose", "also list unchanged options")
    .action(async (opts: { json?: boolean; detailedExitcode?: boolean; refresh: boolean; verbose?: boolean }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const session = openSession(globalOptions(cmd), { offline: !opts.refresh });
        try {
          const { plan, state, api } = await planWorkspace(session, { refresh: opts.refresh, lock: false, command: "plan" });
          await state.close();
          const tenant = redactUrl(session.tenant.url);
          const limits = limitsFor(session.config, session.tenant.url);
          if (opts.json) process.stdout.write(`${JSON.stringify({ tenant, api: api ?? null, limits: limitsToJson(limits), ...(planToJson(plan) as object) }, null, 2)}\n`);
          else process.stdout.write(targetLine(session.tenant.url, api, limits) + renderPlan(plan, { color: useColor(process.stdout), verbose: opts.verbose ?? false }));
          if (plan.summary.conflict) return 1;
          return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
        } finally {
          session.close();
        }
      });
    });
}
