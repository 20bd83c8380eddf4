import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { applyPlan, actionable, checkPlanAllowed, type ApplyResult } from "../apply/apply.js";
import { tenantLabel } from "../client/routing.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { WfsyncError, formatError, formatLocation } from "../errors.js";
import { readFileSync } from "node:fs";
import { isEmptyPlan, type Plan } from "../plan/diff.js";
import { differingChanges, parseSavedPlan, whatChanged, type SavedPlan } from "../plan/saved.js";
import { parseTargets, partialWarning, targetPlan } from "../plan/target.js";
import { redactUrl } from "../redact.js";
import { planToJson, renderPlan } from "../plan/render.js";
import { count, formatDuration } from "../text.js";
import { writeStderr } from "../log.js";
import { ProgressLine } from "./progress.js";
import { planWorkspace, type PlannedWorkspace } from "../workspace/workspace.js";
import { collect, globalOptions, type GlobalOptions } from "./global.js";
import { paintWarning, runCommand, targetLine, tenantJson, useColor } from "./output.js";
import { openSession, type Session } from "./session.js";
import { fleetApply, fleetEnvironments } from "./fleet.js";

export interface ApplyFlags {
  autoApprove?: boolean;
  json?: boolean;
  concurrency?: number;
  rate?: number;
  allowMassDelete?: boolean;
  target?: string[];
}

export function registerApplyCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("apply")
    .argument("[plan-file]", "a plan saved by `wfsync plan --out FILE`: apply exactly it, or refuse (sending nothing) if the code, the state or the server changed since")
    .description("plan, confirm, and push the changes to the tenant; several environments with --env a --env b or --all-envs (one prompt for all)")
    .option("--auto-approve", "apply without asking (required without a terminal)")
    .option("--json", "print the plan and the outcome as JSON (implies no prompt: needs --auto-approve)")
    .option("--concurrency <n>", "requests in flight at once (overrides config; default 4)", positiveInt)
    .option("--rate <n>", "requests per second at most (overrides config; default 10 on SuperOffice Online, no cap on-site)", positiveNumber)
    .option("--allow-mass-delete", "allow deleting many options of a split, or all of them")
    .option("--target <address>", "only the changes under this address prefix: 679, 679/844 or 679/844/vip (repeatable; the result is partial)", collect)
    .action(async (file: string | undefined, flags: ApplyFlags, cmd: Command) => {
      await runCommand(setExit, () => (file === undefined ? runApply(flags, cmd) : applySavedPlan(file, flags, cmd)));
    });
}

async function runApply(flags: ApplyFlags, cmd: Command): Promise<number> {
  const fleet = fleetEnvironments(cmd);
  if (fleet) {
    if (flags.target?.length) {
      fleet.family.close();
      throw new WfsyncError("E_USAGE", "--target works on one environment: pass one --env NAME with it");
    }
    return fleetApply(fleet, flags, { confirm: ask, renderResult, resultToJson });
  }
  const targets = parseTargets(flags.target ?? []);
  return applyOne(globalOptions(cmd), flags, {
    targets,
    prepare: async (session) => {
      const planned = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply" });
      return targets.length ? { ...planned, plan: targetPlan(planned.plan, targets, session.config.massDeleteShare) } : planned;
    },
  });
}

/** `apply FILE`: the saved plan's environment, its fingerprints checked against now, then exactly its changes. */
async function applySavedPlan(file: string, flags: ApplyFlags, cmd: Command): Promise<number> {
  if (flags.target?.length) throw new WfsyncError("E_USAGE", `--target cuts a plan as it is made: give it to \`wfsync plan --out ${file}\`; a saved plan is applied whole`);
  const saved = readSavedPlan(file);
  const global = globalOptions(cmd);
  if (global.env !== undefined && global.env !== (saved.environment ?? undefined)) {
    throw new WfsyncError("E_USAGE", `--env ${global.env}: ${file} was planned for ${saved.environment === null ? "a project without environments" : `environment ${saved.environment}`}; leave out --env (the plan names its environment)`);
  }
  const chosen: GlobalOptions = { ...global, ...(saved.environment !== null ? { env: saved.environment } : {}) };
  return applyOne(chosen, flags, {
    targets: saved.targets,
    prepare: async (session) => {
      const target = session.tenant.target();
      if (redactUrl(target.url) !== saved.tenant.url) {
        throw new WfsyncError("E_PLAN_TENANT", `${file} was planned for ${saved.tenant.url}, but this run's tenant is ${tenantLabel(target, { version: false })}; nothing was sent`);
      }
      const now = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply" });
      try {
        checkSavedPlan(file, saved, now, session.config.massDeleteShare);
      } catch (err) {
        await now.state.close();
        throw err;
      }
      return { ...now, plan: saved.plan };
    },
  });
}

function readSavedPlan(file: string): SavedPlan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new WfsyncError("E_PLAN_FILE", `cannot read the saved plan ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  return parseSavedPlan(text, file);
}

/** Refuses a saved plan whose inputs changed since it was made, naming which; nothing is sent then. */
function checkSavedPlan(file: string, saved: SavedPlan, now: PlannedWorkspace, share: number): void {
  const stale = (what: string) =>
    new WfsyncError("E_PLAN_STALE", `${file} is out of date: ${what}; nothing was sent`, {
      detail: `Make the plan again (\`wfsync plan --out ${file}\`), review it, and apply that.`,
    });
  if (now.api !== saved.api) throw stale(`the tenant's API generation changed since it was planned (${saved.api} then, ${now.api ?? "unknown"} now)`);
  const changed = whatChanged(saved.fingerprints, now.fingerprints);
  if (changed.length) throw stale(`${changed.join(", ")} changed since it was planned`);
  // Same inputs give the same plan; a plan file edited by hand (or made by another wfsync) does not.
  const plan = saved.targets.length ? targetPlan(now.plan, saved.targets, share) : now.plan;
  const differing = differingChanges(saved.plan, plan);
  if (differing.length) throw stale(`its changes differ from what the same code, state and server give now (${differing.slice(0, 3).join("; ")}): the file was edited, or made by another version of wfsync`);
}

interface OneRun {
  /** `--target` prefixes: a warning that the plan is partial. */
  readonly targets: readonly string[];
  /** Makes the plan to apply, with the state open and locked. */
  prepare(session: Session): Promise<PlannedWorkspace>;
  /** The prompt's question (default: "Apply N changes to TENANT?"). */
  question?(plan: Plan, tenant: string): string;
  /** `optional`: no workflow file is needed (destroy). */
  readonly workflowFiles?: "required" | "optional";
}

/** Shows a plan for one tenant, guards it, asks (unless --auto-approve), applies it and reports. */
export async function applyOne(global: GlobalOptions, flags: ApplyFlags, run: OneRun): Promise<number> {
  const progress = new ProgressLine(process.stderr);
  const session = openSession(global, {
    ...(run.workflowFiles ? { workflowFiles: run.workflowFiles } : {}),
    overrides: { concurrency: flags.concurrency, rate: flags.rate },
    onQueueEvent: (e) => progress.queueEvent(e),
    logStderr: { write: (text: string) => progress.interrupt(() => writeStderr(text)) },
  });
  try {
    const { plan, state, api } = await run.prepare(session);
    try {
      const target = session.tenant.target();
      const limits = limitsFor(session.config, target);
      if (run.targets.length) writeStderr(`${paintWarning(partialWarning(run.targets))}\n`);
      if (!flags.json) process.stdout.write(targetLine(target, api, limits) + renderPlan(plan, { color: useColor(process.stdout) }));
      checkPlanAllowed(plan, { allowMassDelete: flags.allowMassDelete ?? false });
      if (isEmptyPlan(plan)) {
        if (flags.json) process.stdout.write(`${JSON.stringify({ tenant: tenantJson(target), limits: limitsToJson(limits), plan: planToJson(plan), result: { applied: 0, failed: [], cancelled: 0, stopped: null } }, null, 2)}\n`);
        return 0;
      }
      // Only a plan with changes needs a "yes": with nothing to do, apply without a terminal says
      // "No changes." and exits 0 as on one. The refusal comes after the (read-only) plan and
      // before the first write, so nothing is ever sent without approval.
      if (!flags.autoApprove && (flags.json || !process.stdin.isTTY)) throw needsApproval(flags.json === true);
      if (!flags.autoApprove) {
        const label = tenantLabel(target, { version: false });
        const n = actionable(plan).length;
        const answer = await ask(run.question?.(plan, label) ?? `\nApply ${n} change${n === 1 ? "" : "s"} to ${label}? Only "yes" is accepted: `);
        if (answer !== "yes") {
          process.stdout.write(`${answer === "interrupted" ? "\n" : ""}Apply cancelled; nothing was sent.\n`);
          return answer === "interrupted" ? 130 : 1;
        }
      }
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        progress.note("stopping: no new requests; waiting for the ones in flight (Ctrl-C again to quit at once)");
        session.tenant.queue.stop();
      };
      process.on("SIGINT", onSigint);
      progress.start(actionable(plan).length);
      let result: ApplyResult;
      let elapsedMs = 0;
      try {
        result = await applyPlan(plan, {
          tenant: session.tenant,
          state,
          // Without a prompt the plan read those splits moments ago; after one, time has passed
          // (someone may have made the option meanwhile), so they are read again first.
          createsJustRead: flags.autoApprove === true,
          onProgress: (p) => progress.update(p.done, p.failed) });
      } finally {
        process.off("SIGINT", onSigint);
        elapsedMs = progress.end();
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ tenant: tenantJson(target), limits: limitsToJson(limits), plan: planToJson(plan), result: resultToJson(result) }, null, 2)}\n`);
      else process.stdout.write(renderResult(result, elapsedMs));
      if (interrupted) return 130;
      return result.failed.length || result.stopped ? 1 : 0;
    } finally {
      await state.close();
    }
  } finally {
    session.close();
  }
}

function needsApproval(json: boolean): WfsyncError {
  return new WfsyncError(
    "E_NEEDS_APPROVAL",
    `${json ? "--json leaves no room for a prompt" : "not a terminal, so nothing can be confirmed"}: re-run with --auto-approve to apply (or run \`wfsync plan\` to review first); nothing was sent`,
  );
}

/**
 * Asks for "yes" on the terminal. Ctrl-C at the prompt is an interruption (exit 130), Ctrl-D an
 * answer other than "yes"; readline reports both as an AbortError, never to be printed as a crash.
 */
export async function ask(question: string): Promise<"yes" | "no" | "interrupted"> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const ctrlC = new AbortController();
  rl.on("SIGINT", () => ctrlC.abort());
  try {
    const answer = await rl.question(question, { signal: ctrlC.signal });
    return answer.trim() === "yes" ? "yes" : "no";
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ABORT_ERR") throw err;
    if (!ctrlC.signal.aborted) process.stdout.write("\n");
    return ctrlC.signal.aborted ? "interrupted" : "no";
  } finally {
    rl.close();
  }
}

function renderResult(result: ApplyResult, elapsedMs: number): string {
  const lines: string[] = [];
  // Applied on the server but not recorded in the state: the stop message names these.
  const unrecorded = (error: unknown): boolean =>
    result.stopped?.code === "E_STATE_WRITE" && error instanceof WfsyncError && error.code === "E_STATE_WRITE";
  for (const { change, error } of result.failed) {
    if (unrecorded(error)) continue;
    const message = error instanceof WfsyncError ? formatError(error) : String(error);
    lines.push(`failed: ${change.action} ${change.address}${change.source ? ` (${formatLocation(change.source)})` : ""}: ${message}`);
  }
  if (result.stopped) lines.push(formatError(result.stopped));
  else if (result.cancelled.length) lines.push(`${count(result.cancelled.length, "change")} not sent: apply was stopped. Run apply again to finish.`);
  const notRecorded = result.failed.filter((f) => unrecorded(f.error)).length;
  const counts = [
    `${result.applied.length} applied`,
    ...(notRecorded ? [`${notRecorded} applied but not recorded`] : []),
    `${result.failed.length - notRecorded} failed`,
    ...(result.cancelled.length ? [`${result.cancelled.length} not sent`] : []),
  ];
  lines.push(`Apply: ${counts.join(", ")} in ${formatDuration(elapsedMs)}.`);
  return `${lines.join("\n")}\n`;
}

function resultToJson(result: ApplyResult): unknown {
  return {
    applied: result.applied.length,
    failed: result.failed.map(({ change, error }) => ({
      action: change.action,
      address: change.address,
      source: change.source ? formatLocation(change.source) : null,
      code: error instanceof WfsyncError ? error.code : "E_INTERNAL",
      message: error instanceof Error ? error.message : String(error),
    })),
    cancelled: result.cancelled.length,
    stopped: result.stopped ? { code: result.stopped.code, message: result.stopped.message } : null,
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WfsyncError("E_USAGE", `expected a positive integer, got "${value}"`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new WfsyncError("E_USAGE", `expected a positive number, got "${value}"`);
  return n;
}
