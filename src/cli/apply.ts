import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { applyPlan, actionable, checkPlanAllowed, forgetGone, type ApplyResult } from "../apply/apply.js";
import { tenantLabel } from "../client/routing.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { WfsyncError, formatError, formatLocation } from "../errors.js";
import { driftLeft, isEmptyPlan, refreshOnlyPlan, type Plan } from "../plan/diff.js";
import { DRIFT_FLAG, PREFER_FLAG, preferSide } from "./drift.js";
import { JSON_FORMAT_VERSION, planToJson, summaryLine } from "../plan/render.js";
import { COMPACT_THRESHOLD, chooseLayout, renderPlanAs } from "../plan/compact.js";
import { planMarkdown } from "../plan/markdown.js";
import { count, formatDuration } from "../text.js";
import { writeStderr } from "../log.js";
import { redactUrl, redactUrlsInText } from "../redact.js";
import { differingChanges, parseSavedPlan, whatChanged, type SavedPlan } from "../plan/saved.js";
import { parseTargets, partialWarning, targetPlan } from "../plan/target.js";
import { ProgressLine } from "./progress.js";
import { planWorkspace, type PlannedWorkspace } from "../workspace/workspace.js";
import { collect, globalOptions, type GlobalOptions } from "./global.js";
import { markdownHeading, paintWarning, runCommand, targetLine, tenantJson, useColor } from "./output.js";
import { appendStepSummary } from "./ci.js";
import { EventStream, OperationEvents, operationsJson, type IdOf } from "./events.js";
import { openSession, type Session } from "./session.js";
import { fleetApply, fleetEnvironments, type FleetApplyFlags } from "./fleet.js";

/** A fleet's flags, and what only one tenant can take: the event stream and --target. */
export interface ApplyFlags extends Omit<FleetApplyFlags, "json"> {
  /** `--json`: one document at the end; `--json=stream`: NDJSON events as they happen. */
  json?: boolean | "stream";
  target?: string[];
}

export function registerApplyCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("apply")
    .argument("[plan-file]", "a plan saved by `wfsync plan --out FILE`: apply exactly it, or refuse (sending nothing) if the code, the state or the server changed since")
    .description("plan, confirm, and push the changes to the tenant; several environments with --env a --env b or --all-envs (one prompt for all)")
    .option("--auto-approve", "apply without asking (required without a terminal)")
    .option("--json [stream]", "print the plan and every operation as one JSON document at the end; --json=stream: NDJSON events as they happen (implies no prompt: needs --auto-approve)", jsonMode)
    .option("--compact", `show the plan one line an option, grouped by split (the default above ${COMPACT_THRESHOLD} changes)`)
    .option("--diff", "show the plan in full detail, however large")
    .option("--concurrency <n>", "requests in flight at once (overrides config; default 4)", positiveInt)
    .option("--rate <n>", "requests per second at most (overrides config; default 10 on SuperOffice Online, no cap on-site)", positiveNumber)
    .option("--allow-mass-delete", "allow deleting many options of a split, or all of them")
    .option(DRIFT_FLAG[0], DRIFT_FLAG[1])
    .option(PREFER_FLAG[0], PREFER_FLAG[1], preferSide)
    .option("--refresh-only", "send nothing: take what changed on the server (drift and conflicts) into the state; the code's changes wait")
    .option("--target <address>", "only the changes under this address prefix: 679, 679/844 or 679/844/vip (repeatable; the result is partial)", collect)
    .action(async (file: string | undefined, flags: ApplyFlags, cmd: Command) => {
      const events = flags.json === "stream" ? new EventStream(process.stdout) : undefined;
      await runCommand(setExit, async () => {
        try {
          return await (file === undefined ? runApply(flags, cmd, events) : applySavedPlan(file, flags, cmd, events));
        } catch (err) {
          // The stream ends with what went wrong, for a reader that only reads stdout.
          events?.error(err);
          throw err;
        }
      });
    });
}

function jsonMode(value: string | undefined): true | "stream" {
  if (value === undefined) return true;
  if (value === "stream") return "stream";
  throw new WfsyncError("E_USAGE", `--json: expected nothing (one document) or --json=stream (NDJSON events), got ${JSON.stringify(value)}`);
}

async function runApply(flags: ApplyFlags, cmd: Command, events: EventStream | undefined): Promise<number> {
  const fleet = fleetEnvironments(cmd);
  if (fleet) {
    if (flags.target?.length) {
      fleet.family.close();
      throw new WfsyncError("E_USAGE", "--target works on one environment: pass one --env NAME with it");
    }
    return fleetApply(fleet, { ...flags, json: flags.json === true }, { confirm: ask, renderResult, resultToJson }, events);
  }
  if (flags.refreshOnly && flags.prefer) throw new WfsyncError("E_USAGE", "--refresh-only takes the server's side and --prefer code the code's: choose one");
  const targets = parseTargets(flags.target ?? []);
  return applyOne(globalOptions(cmd), flags, events, {
    targets,
    prepare: async (session) => {
      const planned = await planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply", preferCode: flags.prefer === "code", refreshOnly: flags.refreshOnly ?? false });
      const plan = flags.refreshOnly ? refreshOnlyPlan(planned.plan) : planned.plan;
      return { ...planned, plan: targets.length ? targetPlan(plan, targets, session.config.massDeleteShare) : plan };
    },
  });
}

/** `apply FILE`: the saved plan's environment, its fingerprints checked against now, then exactly its changes. */
async function applySavedPlan(file: string, flags: ApplyFlags, cmd: Command, events: EventStream | undefined): Promise<number> {
  if (flags.target?.length) throw new WfsyncError("E_USAGE", `--target cuts a plan as it is made: give it to \`wfsync plan --out ${file}\`; a saved plan is applied whole`);
  if (flags.refreshOnly || flags.prefer) throw new WfsyncError("E_USAGE", `--refresh-only and --prefer choose how a plan is made: give them to \`wfsync plan --out ${file}\``);
  const saved = readSavedPlan(file);
  const global = globalOptions(cmd);
  if (global.env !== undefined && global.env !== (saved.environment ?? undefined)) {
    throw new WfsyncError("E_USAGE", `--env ${global.env}: ${file} was planned for ${saved.environment === null ? "a project without environments" : `environment ${saved.environment}`}; leave out --env (the plan names its environment)`);
  }
  const chosen: GlobalOptions = { ...global, ...(saved.environment !== null ? { env: saved.environment } : {}) };
  return applyOne(chosen, flags, events, {
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
export async function applyOne(global: GlobalOptions, flags: ApplyFlags, events: EventStream | undefined, run: OneRun): Promise<number> {
  const progress = new ProgressLine(process.stderr);
  const session = openSession(global, {
    ...(run.workflowFiles ? { workflowFiles: run.workflowFiles } : {}),
    overrides: { concurrency: flags.concurrency, rate: flags.rate, drift: flags.drift },
    onQueueEvent: (e) => {
      progress.queueEvent(e);
      events?.queueEvent(e);
    },
    logStderr: { write: (text: string) => progress.interrupt(() => writeStderr(text)) },
  });
  try {
    const { plan, state, api } = await run.prepare(session);
    try {
      const target = session.tenant.target();
      const limits = limitsFor(session.config, target);
      const idOf: IdOf = (address) => state.entries().get(address)?.id;
      const head = { format_version: JSON_FORMAT_VERSION, tenant: tenantJson(target), api: api ?? null, limits: limitsToJson(limits) };
      const summarize = (result: ApplyResult | undefined, elapsedMs: number) =>
        appendStepSummary(() => planMarkdown(plan, markdownHeading(target, api)) + (result ? `\n${resultMarkdown(result, elapsedMs)}` : ""));
      if (run.targets.length) writeStderr(`${paintWarning(partialWarning(run.targets))}\n`);
      if (!flags.json) process.stdout.write(targetLine(target, api, limits) + renderPlanAs(plan, flags, { color: useColor(process.stdout) }));
      events?.emit("plan", { ...head, ...(planToJson(plan) as object) });
      checkPlanAllowed(plan, { allowMassDelete: flags.allowMassDelete ?? false });
      // Drift left on the server (policy report) is said by the exit code: 3 once all else went well.
      const driftCode = driftLeft(plan).length ? 3 : 0;
      if (isEmptyPlan(plan)) {
        // Nothing to send; a stale entry of an option gone from the server is only forgotten.
        const forgotten = await forgetGone(plan, state);
        if (forgotten.length && !flags.json) process.stdout.write(`Forgot ${count(forgotten.length, "option")} already gone from the server (in the state only; nothing was sent).\n`);
        const none: ApplyResult = { applied: [], failed: [], cancelled: [] };
        if (flags.json === true) process.stdout.write(`${JSON.stringify({ ...head, plan: planToJson(plan), result: resultToJson(none, idOf) }, null, 2)}\n`);
        events?.emit("summary", { applied: 0, failed: 0, cancelled: 0, stopped: null, elapsedMs: 0, forgotten: forgotten.length });
        summarize(undefined, 0);
        return driftCode;
      }
      // Only a plan with changes needs a "yes": with nothing to do, apply without a terminal says
      // "No changes." and exits 0 as on one. The refusal comes after the (read-only) plan and
      // before the first write, so nothing is ever sent without approval.
      if (!flags.autoApprove && (flags.json || !process.stdin.isTTY)) throw needsApproval(flags.json === true);
      if (!flags.autoApprove) {
        const label = tenantLabel(target, { version: false });
        const large = chooseLayout(plan, flags) === "compact";
        const answer = run.question ? await ask(`${large ? `\n${summaryLine(plan)}` : ""}${run.question(plan, label)}`) : await confirm(plan, label, large);
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
      const operations = events ? new OperationEvents(events, idOf) : undefined;
      let result: ApplyResult;
      let elapsedMs = 0;
      try {
        result = await applyPlan(plan, {
          tenant: session.tenant,
          state,
          // Without a prompt the plan read those splits moments ago; after one, time has passed
          // (someone may have made the option meanwhile), so they are read again first.
          createsJustRead: flags.autoApprove === true,
          ...(operations ? { beforeSend: operations.beforeSend } : {}),
          onProgress: (p) => {
            progress.update(p.done, p.failed);
            operations?.onProgress(p);
          },
        });
      } finally {
        process.off("SIGINT", onSigint);
        elapsedMs = progress.end();
      }
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ ...head, plan: planToJson(plan), result: resultToJson(result, idOf) }, null, 2)}\n`);
      else if (!flags.json) process.stdout.write(renderResult(result, elapsedMs));
      operations?.finish(result, { elapsedMs });
      summarize(result, elapsedMs);
      if (interrupted) return 130;
      return result.failed.length || result.stopped ? 1 : driftCode;
    } finally {
      // Without a listener a Ctrl-C kills the process wherever it is, also halfway through the
      // state file's temp file; with one, the write finishes first (a second Ctrl-C during
      // apply exits at once, and the lock goes with the process: see state/lock.ts).
      const later = (): void => undefined;
      process.on("SIGINT", later);
      try {
        await state.close();
      } finally {
        process.off("SIGINT", later);
      }
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
 * Asks for "yes" on the terminal, naming the tenant (`tenant`: its label, already redacted). Ctrl-C at the prompt is an interruption (exit 130), Ctrl-D an
 * answer other than "yes"; readline reports both as an AbortError, never to be printed as a crash.
 */
function confirm(plan: Plan, tenant: string, large: boolean): Promise<"yes" | "no" | "interrupted"> {
  const n = actionable(plan).length;
  // After a long plan its summary line has scrolled away: it is repeated next to the question.
  const again = large ? `\n${summaryLine(plan)}` : "";
  return ask(`${again}\nApply ${n} change${n === 1 ? "" : "s"} to ${tenant}? Only "yes" is accepted: `);
}

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

/** The outcome under the plan in the CI summary. */
function resultMarkdown(result: ApplyResult, elapsedMs: number): string {
  const lines = [`**Apply: ${result.applied.length} applied, ${result.failed.length} failed${result.cancelled.length ? `, ${result.cancelled.length} not sent` : ""} in ${formatDuration(elapsedMs)}.**`];
  for (const { change, error } of result.failed.slice(0, 50)) {
    lines.push(`- failed: ${change.action} \`${change.address}\`: ${redactUrlsInText(error instanceof WfsyncError ? `${error.code}: ${error.message}` : String(error)).replace(/\r?\n/g, " ")}`);
  }
  if (result.stopped) lines.push("", `> **Stopped:** ${result.stopped.code}: ${result.stopped.message}`);
  return `${lines.join("\n")}\n`;
}

/** `apply --json`'s result: the counts, every operation, and the failures as before. */
function resultToJson(result: ApplyResult, idOf: IdOf): unknown {
  return {
    operations: operationsJson(result, idOf),
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
