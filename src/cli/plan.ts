import type { Command } from "commander";
import { compileOrThrow } from "../compile/load.js";
import type { AppliedOption, Plan } from "../plan/diff.js";
import { isEmptyPlan } from "../plan/diff.js";
import { makePlan } from "../plan/make.js";
import { planToJson, renderPlan } from "../plan/render.js";
import { openState, type StateStore } from "../state/index.js";
import type { Address } from "../model/option.js";
import { runCommand } from "./output.js";
import { globalOptions, openSession, type Session } from "./session.js";

export interface PlanRun {
  readonly plan: Plan;
  readonly state: StateStore;
}

/** Compile (refusing on any error), open the state, refresh and diff. */
export async function planSession(session: Session, opts: { refresh: boolean; lock: boolean; command: string }): Promise<PlanRun> {
  const compiled = compileOrThrow(session.project);
  session.project.compiler.releaseTypeScript();
  const state = await openState(session.config.state, { tenant: session.tenant, lock: opts.lock, command: opts.command, logger: session.logger });
  try {
    const applied = new Map<Address, AppliedOption>(state.entries());
    const plan = await makePlan({
      desired: compiled.options,
      applied,
      massDeleteShare: session.config.massDeleteShare,
      ...(opts.refresh ? { server: { api: session.api, queue: session.queue } } : {}),
    });
    return { plan, state };
  } catch (err) {
    await state.close();
    throw err;
  }
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

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
          const { plan, state } = await planSession(session, { refresh: opts.refresh, lock: false, command: "plan" });
          await state.close();
          if (opts.json) process.stdout.write(`${JSON.stringify(planToJson(plan), null, 2)}\n`);
          else process.stdout.write(renderPlan(plan, { color: useColor(process.stdout), verbose: opts.verbose ?? false }));
          if (plan.summary.conflict) return 1;
          return opts.detailedExitcode && !isEmptyPlan(plan) ? 2 : 0;
        } finally {
          session.close();
        }
      });
    });
}
