/**
 * `wfsync destroy`: delete every option wfsync manages on the tenant (the state's entries for the
 * chosen environment), through the same plan, guards, prompt and apply as `apply`. The plan is
 * the diff against a code that declares nothing, so options the server no longer has are only
 * forgotten, and options wfsync does not manage are left alone.
 *
 * Destroying is asked for by name, yet it is still held to the mass-delete guard (a split
 * emptied needs --allow-mass-delete) and to confirmation: a command word typed by mistake, or a
 * CI job pointed at the wrong environment, must not empty a tenant on its own.
 */
import type { Command } from "commander";
import { count } from "../text.js";
import { actionable } from "../apply/apply.js";
import { parseTargets, targetPlan } from "../plan/target.js";
import { planWorkspace } from "../workspace/workspace.js";
import { applyOne, type ApplyFlags } from "./apply.js";
import { collect, globalOptions } from "./global.js";
import { runCommand } from "./output.js";

export function registerDestroyCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("destroy")
    .description("delete every option wfsync manages on the tenant (the state's, for the chosen environment); the plan is shown and confirmed as for apply")
    .option("--auto-approve", "destroy without asking (required without a terminal)")
    .option("--json", "print the plan and the outcome as JSON (implies no prompt: needs --auto-approve)")
    .option("--allow-mass-delete", "required whenever a split loses all, or many, of its options, as for apply")
    .option("--target <address>", "only the options under this address prefix: 679, 679/844 or 679/844/vip (repeatable)", collect)
    .action(async (flags: ApplyFlags, cmd: Command) => {
      await runCommand(setExit, () => {
        const targets = parseTargets(flags.target ?? []);
        return applyOne(globalOptions(cmd), flags, undefined, {
          // The code is not read: a project whose workflow files are all gone can still be destroyed.
          workflowFiles: "optional",
          targets,
          prepare: async (session) => {
            const planned = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync destroy", desired: "none" });
            return targets.length ? { ...planned, plan: targetPlan(planned.plan, targets, session.config.massDeleteShare) } : planned;
          },
          question: (plan, tenant) => `\nDestroy: delete ${count(actionable(plan).filter((c) => c.action === "delete" && !c.alreadyGone).length, "option")} wfsync manages on ${tenant}? Only "yes" is accepted: `,
        });
      });
    });
}
