/**
 * plan and apply over several environments (`--env a --env b`, `--all-envs`): one code base,
 * each environment on its own tenant with its own queue, limits and state.
 *
 * The workflow files are compiled for each environment, one after the other: the first fills
 * the check cache, and its evaluation and validation serve the others unless the code asks
 * which environment it is (see openProjectFamily). Each environment's server is asked as soon as
 * its compile passed, so the tenants are read concurrently, each through its own queue. Apply
 * shows every plan, asks once for the whole set naming every tenant,
 * then applies the environments concurrently; one environment failing (refused credentials, a
 * conflict, a server down) neither stops nor touches the others, and the exit code is the worst.
 */
import type { Command } from "commander";
import { applyPlan, actionable, checkPlanAllowed, forgetGone, type ApplyResult } from "../apply/apply.js";
import { WfsyncError, formatError } from "../errors.js";
import { driftLeft, isEmptyPlan, refreshOnlyPlan } from "../plan/diff.js";
import { JSON_FORMAT_VERSION, planToJson } from "../plan/render.js";
import { renderPlanAs, type LayoutFlags } from "../plan/compact.js";
import { planMarkdown } from "../plan/markdown.js";
import { writeStderr } from "../log.js";
import { count } from "../text.js";
import { compileOrThrow, openProjectFamily, throwOnErrors, type ProjectFamily } from "../workspace/project.js";
import type { CompileResult } from "../compile/compiler.js";
import type { StateStore } from "../state/index.js";
import type { ConfigOverrides } from "../config/load.js";
import { planWorkspace, type PlannedWorkspace, type PlanWorkspaceOptions } from "../workspace/workspace.js";
import { globalOptions, makeLogger, type GlobalOptions } from "./global.js";
import { markdownHeading, targetLine, tenantJson, useColor } from "./output.js";
import { annotationLines, appendStepSummary, onGitHubActions } from "./ci.js";
import { errorFields, OperationEvents, type EventStream } from "./events.js";
import { tenantLabel } from "../client/routing.js";
import { limitsFor, limitsToJson } from "../tenant/limits.js";
import { ProgressLine } from "./progress.js";
import { openSession, type Session, type SessionOptions } from "./session.js";
import type { QueueEvent } from "../tenant/queue.js";

export interface Fleet {
  readonly global: GlobalOptions;
  readonly names: readonly string[];
  /** The project, opened once for all of them (see openProjectFamily). */
  readonly family: ProjectFamily;
}

/** The environments a plan or apply covers: several, or `undefined` for the one-tenant path. */
export function fleetEnvironments(cmd: Command): Fleet | undefined {
  const global = globalOptions(cmd, { fleet: true });
  const asked = global.environments ?? [];
  if (!global.allEnvs && asked.length <= 1) return undefined;
  if (global.url !== undefined) throw new WfsyncError("E_USAGE", "--url names one tenant: with several environments, each has its own url in the config");
  const family = openProjectFamily({ cwd: process.cwd(), config: global.config, overrides: { url: global.url, api: global.api } });
  try {
    // The config says which environments exist: an unknown name is refused before any is planned.
    const known = family.environments;
    if (known.length === 0) throw new WfsyncError("E_USAGE", `${global.allEnvs ? "--all-envs" : "--env"}: the config defines no environments`);
    const unknown = asked.filter((n) => !known.includes(n));
    if (unknown.length) throw new WfsyncError("E_USAGE", `--env ${unknown.join(", ")}: the config has no such environment; it defines ${known.join(", ")}`);
    return { global, names: global.allEnvs ? [...known] : [...asked], family };
  } catch (err) {
    family.close();
    throw err;
  }
}

/** One environment's part of a fleet run. */
interface Member {
  readonly name: string;
  session?: Session;
  planned?: PlannedWorkspace;
  /** Why it was not planned or not applied. */
  error?: unknown;
  result?: ApplyResult;
}

/** Opens and plans every environment; failures stay with their environment. */
async function planAll(
  fleet: Fleet,
  opts: PlanWorkspaceOptions,
  sessionOptions: SessionOptions & { overrides?: ConfigOverrides; onQueueEventOf?: (environment: string) => (e: QueueEvent) => void },
): Promise<Member[]> {
  const { global, names, family } = fleet;
  const members: Member[] = names.map((name) => ({ name }));
  const pending: Promise<void>[] = [];
  // One logger for all: one --log-file, opened once.
  const logger = sessionOptions.logger ?? makeLogger(global, sessionOptions.logStderr);
  const { onQueueEventOf, ...options } = sessionOptions;
  for (const member of members) {
    try {
      const project = family.open(member.name, options.overrides);
      const onQueueEvent = onQueueEventOf?.(member.name) ?? options.onQueueEvent;
      member.session = openSession({ ...global, env: member.name, environments: [member.name], allEnvs: false }, { ...options, logger, project, ...(onQueueEvent ? { onQueueEvent } : {}) });
    } catch (err) {
      member.error = err;
      member.session?.project.compiler.close();
    }
  }
  const open = members.filter((m) => m.session && !m.error);
  // The first compile evaluates on the worker thread while this one opens states (reading a
  // state file asks nothing of a server). Every environment is compiled before its server is
  // asked anything (a compile error stops that environment first); after the first, a compile is
  // mostly reused (see openProjectFamily), so all the servers are soon asked.
  const compileCode = opts.desired !== "none";
  const firstCompile = compileCode && open[0] ? open[0].session!.project.compiler.compileAsync().then(throwOnErrors) : undefined;
  const openStateOf = (m: Member) => {
    const opened = m.session!.openState({ lock: opts.lock, command: opts.command });
    opened.catch(() => undefined); // awaited below
    return opened;
  };
  // One state a turn, until the first compile is done: its answer is taken as soon as it is there.
  const states = new Map<Member, Promise<StateStore>>();
  let firstDone = firstCompile === undefined;
  // (Its failure is that environment's, taken where it is awaited below.)
  void firstCompile?.finally(() => (firstDone = true)).catch(() => undefined);
  for (const member of open) {
    if (firstDone) break;
    states.set(member, openStateOf(member));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  for (const member of open) {
    const session = member.session!;
    const opened = states.get(member);
    let compiled: CompileResult | undefined;
    try {
      if (compileCode) compiled = member === open[0] ? await firstCompile! : compileOrThrow(session.project);
    } catch (err) {
      member.error = err;
      // Its compile failed: a state opened meanwhile is closed again (nothing was asked).
      pending.push((opened ?? Promise.resolve(undefined)).then((state) => state?.close(), () => undefined).then(() => session.project.compiler.close()));
      continue;
    }
    // The state opened above, or (planWorkspace opens it) now: before anything is asked.
    pending.push(
      (opened ?? Promise.resolve(undefined))
        .then((state) => planWorkspace(session, { ...opts, ...(compiled ? { compiled } : {}), ...(state ? { state } : {}) }))
        .then(
          (planned) => {
            member.planned = opts.refreshOnly ? { ...planned, plan: refreshOnlyPlan(planned.plan) } : planned;
            session.project.compiler.close();
          },
          (err: unknown) => {
            member.error = err;
            session.project.compiler.close();
          },
        ),
    );
    // Lets what this environment asked of its server leave before the next one is compiled.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  return members;
}

async function closeAll(fleet: Fleet, members: readonly Member[]): Promise<void> {
  fleet.family.close();
  for (const m of members) {
    try {
      await m.planned?.state.close();
    } catch (err) {
      m.error ??= err;
    }
  }
  // What is left open now is idle keep-alive connections, which hold no reference on the event
  // loop: a run that ends here ends without waiting for them, and the system closes them with the
  // process. Closed one by one they cost a fleet of 20 tenants about 10 ms, so they are closed by
  // a timer that fires only if the process lives on.
  const sessions = members.flatMap((m) => (m.session ? [m.session] : []));
  setTimeout(() => {
    for (const session of sessions) session.close();
  }, 0).unref();
}

function tenantOf(m: Member): string {
  return m.session ? tenantLabel(m.session.tenant.target(), { version: false }) : "-";
}

function showError(err: unknown, color: boolean): string {
  return err instanceof WfsyncError ? formatError(err, { color }) : err instanceof Error ? (err.stack ?? err.message) : String(err);
}

function planText(m: Member, color: boolean, layout: LayoutFlags): string {
  const head = `== environment ${m.name}\n`;
  if (m.planned) {
    const refused = m.error === undefined ? "" : `${showError(m.error, color)}\n`;
    const target = m.session!.tenant.target();
    return head + targetLine(target, m.planned.api, limitsFor(m.session!.config, target)) + renderPlanAs(m.planned.plan, layout, { color, verbose: layout.verbose ?? false }) + refused;
  }
  return `${head}${showError(m.error, color)}\n`;
}

function describeError(err: unknown): string {
  return err instanceof WfsyncError ? `error ${err.code}` : "error";
}

/** The summary table: one row per environment. */
function table(members: readonly Member[], resultOf: (m: Member) => string): string {
  const rows = members.map((m) => {
    const s = m.planned?.plan.summary;
    const cell = (n: number | undefined) => (n === undefined ? "-" : String(n));
    return [m.name, tenantOf(m), cell(s?.create), cell(s?.update), cell(s?.delete), resultOf(m)];
  });
  const header = ["Environment", "Tenant", "Create", "Update", "Delete", "Result"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function planJson(m: Member, extra: Record<string, unknown> = {}, verbose = false): Record<string, unknown> {
  const base = { format_version: JSON_FORMAT_VERSION, environment: m.name, tenant: m.session ? tenantJson(m.session.tenant.target()) : null };
  if (m.planned) return { ...base, api: m.planned.api ?? null, limits: limitsToJson(limitsFor(m.session!.config, m.session!.tenant.target())), ...(planToJson(m.planned.plan, { verbose }) as object), ...(m.error ? { error: errorFields(m.error) } : {}), ...extra };
  return { ...base, error: errorFields(m.error), ...extra };
}

/** Every environment's plan as Markdown (a failed one as its error), for `--format markdown` and the CI summary. */
function fleetMarkdown(members: readonly Member[]): string {
  return members
    .map((m) => {
      if (m.planned) return planMarkdown(m.planned.plan, markdownHeading(m.session!.tenant.target(), m.planned.api, m.name));
      return `### wfsync plan: environment \`${m.name}\`\n\n**Error ${errorFields(m.error).code}**: not planned.\n`;
    })
    .join("\n");
}

/**
 * On GitHub Actions, each environment's compile and validation problems as annotations; one
 * found in several environments (the same type error) is annotated once.
 */
function annotateAll(members: readonly Member[]): void {
  if (!onGitHubActions()) return;
  const lines = new Set(members.flatMap((m) => (m.error ? annotationLines(m.error, { cwd: process.cwd(), workspace: process.env.GITHUB_WORKSPACE || undefined }) : [])));
  if (lines.size) process.stderr.write(`${[...lines].join("\n")}\n`);
}

export async function fleetPlan(
  fleet: Fleet,
  opts: LayoutFlags & { format: "text" | "json" | "markdown"; detailedExitcode?: boolean; refresh: boolean; drift?: string; prefer?: "code" },
): Promise<number> {
  const members = await planAll(
    fleet,
    { refresh: opts.refresh, lock: false, command: "plan", preferCode: opts.prefer === "code" },
    { offline: !opts.refresh, overrides: { drift: opts.drift } },
  );
  try {
    const color = useColor(process.stdout);
    annotateAll(members);
    appendStepSummary(() => fleetMarkdown(members));
    if (opts.format === "json") process.stdout.write(`${JSON.stringify(members.map((m) => planJson(m, {}, opts.verbose ?? false)), null, 2)}\n`);
    else if (opts.format === "markdown") process.stdout.write(fleetMarkdown(members));
    else {
      for (const m of members) process.stdout.write(`${planText(m, color, opts)}\n`);
      process.stdout.write(table(members, (m) => (m.error ? describeError(m.error) : m.planned!.plan.summary.conflict ? "conflicts" : isEmptyPlan(m.planned!.plan) ? "no changes" : "changes")));
    }
    if (members.some((m) => m.error || m.planned?.plan.summary.conflict)) return 1;
    if (!opts.detailedExitcode) return 0;
    if (members.some((m) => !isEmptyPlan(m.planned!.plan))) return 2;
    return members.some((m) => driftLeft(m.planned!.plan).length) ? 3 : 0;
  } finally {
    await closeAll(fleet, members);
  }
}

export interface FleetApplyFlags extends LayoutFlags {
  autoApprove?: boolean;
  json?: boolean;
  concurrency?: number;
  rate?: number;
  allowMassDelete?: boolean;
  drift?: string;
  prefer?: "code";
  refreshOnly?: boolean;
}

export async function fleetApply(
  fleet: Fleet,
  flags: FleetApplyFlags,
  io: {
    confirm: (question: string) => Promise<"yes" | "no" | "interrupted">;
    renderResult: (result: ApplyResult, elapsedMs: number) => string;
    resultToJson: (result: ApplyResult, idOf: (address: string) => number | undefined) => unknown;
  },
  /**
   * `--json=stream`: NDJSON events as they happen, each with its `environment`; every planned
   * environment gets its `plan` event, then ends with its `summary` (or an `error`).
   */
  events?: EventStream,
): Promise<number> {
  const progress = new ProgressLine(process.stderr);
  if (flags.refreshOnly && flags.prefer) throw new WfsyncError("E_USAGE", "--refresh-only takes the server's side and --prefer code the code's: choose one");
  // Nothing but the one document or the events on stdout.
  const machine = flags.json === true || events !== undefined;
  const members = await planAll(fleet, { refresh: true, lock: true, command: "wfsync apply", preferCode: flags.prefer === "code", refreshOnly: flags.refreshOnly ?? false }, {
    overrides: { concurrency: flags.concurrency, rate: flags.rate, drift: flags.drift },
    onQueueEventOf: (environment) => (e) => {
      progress.queueEvent(e);
      events?.queueEvent(e, { environment });
    },
    logStderr: { write: (text: string) => progress.interrupt(() => writeStderr(text)) },
  });
  const idOf = (m: Member) => (address: string) => m.planned?.state.entries().get(address)?.id;
  const errorEvent = (m: Member) => events?.error(m.error, { environment: m.name });
  try {
    const color = useColor(process.stdout);
    // A plan the guards refuse (mass delete, conflicts) is that environment's failure only.
    for (const m of members) {
      if (!m.planned) continue;
      try {
        checkPlanAllowed(m.planned.plan, { allowMassDelete: flags.allowMassDelete ?? false });
      } catch (err) {
        m.error = err;
      }
    }
    annotateAll(members);
    if (!machine) for (const m of members) process.stdout.write(`${planText(m, color, flags)}\n`);
    if (events) {
      for (const m of members) {
        if (m.planned) events.emit("plan", planJson(m));
        if (m.error) errorEvent(m);
      }
    }
    const toApply = members.filter((m) => m.planned && !m.error && !isEmptyPlan(m.planned.plan));
    // Nothing to send there; a stale entry of an option gone from the server is only forgotten.
    for (const m of members) {
      if (!m.planned || m.error || !isEmptyPlan(m.planned.plan)) continue;
      try {
        const forgotten = await forgetGone(m.planned.plan, m.planned.state);
        events?.emit("summary", { environment: m.name, applied: 0, failed: 0, cancelled: 0, stopped: null, elapsedMs: 0, forgotten: forgotten.length });
      } catch (err) {
        m.error = err;
        errorEvent(m);
      }
    }
    const changes = toApply.reduce((n, m) => n + actionable(m.planned!.plan).length, 0);
    let interrupted = false;
    if (toApply.length) {
      if (!flags.autoApprove && (machine || !process.stdin.isTTY)) {
        throw new WfsyncError(
          "E_NEEDS_APPROVAL",
          `${machine ? "--json leaves no room for a prompt" : "not a terminal, so nothing can be confirmed"}: re-run with --auto-approve to apply (or run \`wfsync plan\` to review first); nothing was sent`,
        );
      }
      if (!flags.autoApprove) {
        const targets = toApply.map((m) => `${m.name} (${tenantOf(m)}: ${count(actionable(m.planned!.plan).length, "change")})`).join(", ");
        const answer = await io.confirm(`\nApply ${count(changes, "change")} to ${count(toApply.length, "tenant")}: ${targets}? Only "yes" is accepted: `);
        if (answer !== "yes") {
          process.stdout.write(`${answer === "interrupted" ? "\n" : ""}Apply cancelled; nothing was sent.\n`);
          return answer === "interrupted" ? 130 : 1;
        }
      }
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        progress.note("stopping: no new requests; waiting for the ones in flight (Ctrl-C again to quit at once)");
        for (const m of toApply) m.session!.tenant.queue.stop();
      };
      process.on("SIGINT", onSigint);
      progress.start(changes);
      const done = new Map<string, { done: number; failed: number }>();
      const report = () => {
        let d = 0;
        let f = 0;
        for (const p of done.values()) {
          d += p.done;
          f += p.failed;
        }
        progress.update(d, f);
      };
      let elapsedMs = 0;
      try {
        await Promise.all(
          toApply.map(async (m) => {
            const operations = events ? new OperationEvents(events, idOf(m), { environment: m.name }) : undefined;
            const started = performance.now();
            try {
              m.result = await applyPlan(m.planned!.plan, {
                tenant: m.session!.tenant,
                state: m.planned!.state,
                createsJustRead: flags.autoApprove === true,
                ...(operations ? { beforeSend: operations.beforeSend } : {}),
                onProgress: (p) => {
                  done.set(m.name, { done: p.done, failed: p.failed });
                  report();
                  operations?.onProgress(p);
                },
              });
              operations?.finish(m.result, { elapsedMs: Math.round(performance.now() - started) });
            } catch (err) {
              m.error = err;
              errorEvent(m);
            }
          }),
        );
      } finally {
        process.off("SIGINT", onSigint);
        elapsedMs = progress.end();
      }
      if (!machine) {
        for (const m of toApply) {
          if (m.result) process.stdout.write(`== environment ${m.name}: ${io.renderResult(m.result, elapsedMs)}`);
          else if (m.error) process.stdout.write(`== environment ${m.name}: ${showError(m.error, color)}\n`);
        }
      }
    }
    const outcome = (m: Member): string => {
      if (m.error) return describeError(m.error);
      if (m.result) return m.result.failed.length || m.result.stopped ? `${m.result.applied.length} applied, ${m.result.failed.length} failed` : `${m.result.applied.length} applied`;
      return "no changes";
    };
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(members.map((m) => planJson(m, m.result ? { result: io.resultToJson(m.result, idOf(m)) } : {})), null, 2)}\n`);
    } else if (!events) process.stdout.write(`\n${table(members, outcome)}`);
    appendStepSummary(() => `${fleetMarkdown(members)}\n${table(members, outcome).replace(/^/gm, "    ")}`);
    if (interrupted) return 130;
    if (members.some((m) => m.error || (m.result && (m.result.failed.length || m.result.stopped)))) return 1;
    // Drift left on a server (policy report) is said by the exit code, as for one tenant.
    return members.some((m) => m.planned && driftLeft(m.planned.plan).length) ? 3 : 0;
  } finally {
    await closeAll(fleet, members);
  }
}
