/**
 * `wfsync import`: argv → ImportRequest → importWorkflow → one text summary. It opens its own
 * connection rather than a plan session, because a project being adopted may have no workflow
 * files yet (which a plan session refuses).
 */
import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { importWorkflow, type ImportContext, type ImportRequest, type ImportResult } from "../import/run.js";
import { WfsyncError } from "../errors.js";
import { discoverFlows } from "../tenant/discover.js";
import { writeTargetValues, type ValuesFileResult } from "../import/values.js";
import { tenantLabel } from "../client/routing.js";
import { displayPath } from "../paths.js";
import { connectTenant } from "../tenant/connect.js";
import { openProject, openProjectFamily } from "../workspace/project.js";
import { globalOptions, makeLogger, type GlobalOptions } from "./global.js";
import { printError, runCommand } from "./output.js";
import { logQueueEvents } from "./session.js";

export interface ImportFlags {
  workflow?: number;
  all?: boolean;
  idsFrom?: string;
  split: number[];
  emailFlow?: number;
  out?: string;
  force?: boolean;
  skipUnsupported?: boolean;
}

export interface ImportIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly global: GlobalOptions;
}

/** One flow of `import --all`: imported, or why not. */
export type FlowImport = { emailFlowId: number; workflowId: number; name: string } & ({ result: ImportResult } | { error: WfsyncError });

/** Runs an import from parsed flags; throws WfsyncError for anything refused. */
export async function runImport(flags: ImportFlags, io: ImportIo): Promise<ImportResult> {
  return withImportContext(io, (ctx) => importWorkflow(importRequest(flags, io.cwd), ctx));
}

/**
 * `import --all`: every e-mail flow of the tenant that has Split steps, one file each, one after
 * the other. A flow that is refused (a file already there without --force, options the DSL cannot
 * express) is reported and the others go on; nothing of a refused flow is written.
 */
export async function runImportAll(flags: ImportFlags, io: ImportIo): Promise<FlowImport[]> {
  if (flags.workflow !== undefined || flags.emailFlow !== undefined || flags.split.length) {
    throw new WfsyncError("E_USAGE", "--all imports every flow: leave out --workflow, --email-flow and --split");
  }
  return withImportContext(io, async (ctx) => {
    const out: FlowImport[] = [];
    for (const flow of await discoverFlows(ctx.tenant, { splits: true })) {
      if (!flow.splits?.length) continue;
      const which = { emailFlowId: flow.emailFlowId, workflowId: flow.workflowId, name: flow.name };
      try {
        out.push({ ...which, result: await importWorkflow(importRequest({ ...flags, emailFlow: flow.emailFlowId }, io.cwd), ctx) });
      } catch (err) {
        if (!(err instanceof WfsyncError) || !err.userError) throw err;
        out.push({ ...which, error: err });
      }
    }
    return out;
  });
}

/**
 * `import --ids-from SOURCE --env TARGET`: the TARGET entries of the code's defineValues tables,
 * written from SOURCE's by matching flows and splits by name on both tenants (import/values.ts).
 */
export async function runIdsFrom(source: string, io: ImportIo): Promise<{ results: ValuesFileResult[]; target: string }> {
  const target = io.global.env;
  if (target === undefined) throw new WfsyncError("E_USAGE", `--ids-from ${source} needs --env TARGET: the environment whose ids to write`);
  if (target === source) throw new WfsyncError("E_USAGE", `--ids-from ${source} and --env ${target} name the same environment`);
  const family = openProjectFamily({ cwd: io.cwd, config: io.global.config, env: io.env, workflowFiles: "optional" });
  const tenants: { close(): void }[] = [];
  try {
    const unknown = [source, target].filter((n) => !family.environments.includes(n));
    if (unknown.length) {
      throw new WfsyncError("E_USAGE", `the config has no environment ${unknown.join(", ")}; it defines ${family.environments.join(", ") || "none"}`);
    }
    const from = family.open(source);
    const to = family.open(target);
    const logger = makeLogger(io.global);
    const connect = (config: typeof from.config) => {
      const tenant = connectTenant(config, { env: io.env, logger, onQueueEvent: logQueueEvents(logger) });
      tenants.push(tenant);
      return tenant;
    };
    const a = connect(from.config);
    const b = connect(to.config);
    const [sourceFlows, targetFlows] = await Promise.all([discoverFlows(a, { splits: true }), discoverFlows(b, { splits: true })]);
    const labels = { source: `${source} (${tenantLabel(a.target(), { version: false })})`, target: `${target} (${tenantLabel(b.target(), { version: false })})` };
    const results = from.files.flatMap((file) => writeTargetValues(file, io.cwd, { source, target }, { source: sourceFlows, target: targetFlows }, labels) ?? []);
    if (results.length === 0) {
      throw new WfsyncError("E_NO_VALUES", `no workflow file has a defineValues({ ${source}: { … } }) table to write ${target}'s ids from`);
    }
    return { results, target };
  } finally {
    for (const t of tenants) t.close();
    family.close();
  }
}

export function renderIdsFrom({ results, target }: { results: readonly ValuesFileResult[]; target: string }): string {
  const lines: string[] = [];
  let unmatched = 0;
  for (const r of results) {
    for (const t of r.tables) {
      lines.push(`${t.replaced ? "rewrote" : "added"} ${target} in defineValues at ${r.displayFile}:${t.line}`);
      for (const m of t.matches) {
        if ("to" in m) lines.push(`  ${m.path}: ${m.from} → ${m.to}  (${m.as})`);
        else if (m.kept !== undefined) lines.push(`  ${m.path}: ${m.kept} kept as it was (${m.unmatched})`);
        else {
          unmatched++;
          lines.push(`  ${m.path}: ${m.from} → left out: ${m.unmatched}`);
        }
      }
      for (const c of t.copied) lines.push(`  ${c}: not an id: kept, or copied from the source`);
    }
  }
  lines.push(
    "",
    unmatched
      ? `${unmatched} ${unmatched === 1 ? "id was" : "ids were"} left out: fill ${unmatched === 1 ? "it" : "them"} in by hand (until then \`wfsync validate\` names ${unmatched === 1 ? "it" : "each"}), then wfsync plan --env ${target}`
      : `Next: wfsync validate, then wfsync plan --env ${target}`,
  );
  return `${lines.join("\n")}\n`;
}

function importRequest(flags: ImportFlags, cwd: string): ImportRequest {
  return {
    workflowId: flags.workflow,
    splitIds: flags.split,
    emailFlowId: flags.emailFlow,
    outDir: flags.out === undefined ? undefined : path.resolve(cwd, flags.out),
    force: flags.force ?? false,
    skipUnsupported: flags.skipUnsupported ?? false,
  };
}

async function withImportContext<T>(io: ImportIo, body: (ctx: ImportContext) => Promise<T>): Promise<T> {
  const logger = makeLogger(io.global);
  // No check cache: the file an import writes is checked in full, and so is what it sits beside.
  const { config, compiler } = openProject({
    cwd: io.cwd,
    config: io.global.config,
    overrides: { url: io.global.url, api: io.global.api, environment: io.global.env },
    env: io.env,
    checkCache: false,
    workflowFiles: "optional",
  });
  const tenant = connectTenant(config, { env: io.env, logger, onQueueEvent: logQueueEvents(logger) });
  try {
    return await body({ cwd: io.cwd, config, compiler, tenant, lockTimeoutMs: io.global.lockTimeout });
  } finally {
    tenant.close();
    compiler.close();
  }
}

export function renderImport(result: ImportResult, cwd: string): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  const lines: string[] = [];
  const flow = result.workflow.flowName === undefined ? "" : ` (${JSON.stringify(result.workflow.flowName)})`;
  lines.push(
    `${result.replaced ? "replaced" : "wrote"} ${result.displayFile}: workflow ${result.workflow.workflowId}${flow}, ` +
      `${n(result.splits.length, "split")}, ${n(result.recorded.length, "option")}, ${n(result.steps, "step")}`,
  );
  // A database state's "path" is its URL (without credentials) and name, not a file.
  const where = path.isAbsolute(result.statePath) ? displayPath(result.statePath, cwd) : result.statePath;
  lines.push(`recorded ${n(result.recorded.length, "option")} in ${where}`);
  if (result.forgotten.length) lines.push(`forgot ${n(result.forgotten.length, "stale state entry")} of these splits: ${result.forgotten.join(", ")}`);
  if (result.generatedKeys.length) {
    lines.push("", "Generated keys (the server's Key was empty or repeated in its split):");
    for (const g of result.generatedKeys) {
      for (const k of g.keys) {
        const was = k.reason === "empty" ? "empty" : `${JSON.stringify(k.serverKey)} repeated`;
        lines.push(`  ${g.address} [id ${g.id}]  ${k.path === "" ? "" : `${k.where}: `}key ${JSON.stringify(k.key)} (server: ${was})`);
      }
    }
    lines.push(`The next plan shows ${n(result.generatedKeys.length, "update")} for these, and nothing else: apply saves the keys on the server.`);
    if (result.generatedKeys.some((g) => g.keys.some((k) => k.path !== ""))) {
      lines.push("Nested options whose key was generated get new step ids on the server with that update.");
    }
  }
  if (result.skipped.length) {
    lines.push("", "Skipped (the DSL cannot express them; they stay on the server, unmanaged):");
    for (const { workflowStepId, option } of result.skipped) {
      lines.push(`  split ${workflowStepId}, option ${JSON.stringify(option.key)} [id ${option.id}]:`);
      for (const p of option.problems) lines.push(`    - ${p}`);
    }
  }
  lines.push("", result.generatedKeys.length ? "Next: wfsync plan (review the key updates), then wfsync apply" : "Next: wfsync plan (it should show no changes)");
  return `${lines.join("\n")}\n`;
}

function id(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new InvalidArgumentError("expected a positive integer id");
  return Number(value);
}

function ids(value: string, previous: number[]): number[] {
  return [...previous, ...value.split(",").map(id)];
}

export function registerImportCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("import")
    .description("write a builder file from options already on the server, and record them in the state")
    .option("--email-flow <id>", "import every Split step of this e-mail flow (GetEmailFlow); names the workflow and the file", id)
    .option("--workflow <id>", "the flow's workflow id (the first argument of workflow(...)); needed with --split, checked against --email-flow", id)
    .option("--split <stepId>", "a Split step to import (repeatable, or comma-separated)", ids, [])
    .option("--all", "import every e-mail flow of the tenant that has Split steps, one file each")
    .option("--ids-from <env>", "write the --env environment's ids into the code's defineValues tables from this environment's, matching flows and splits by name on both tenants")
    .option("--out <dir>", "folder to write into (default: workflows/ next to the config)")
    .option("--force", "replace an existing file of the same workflow")
    .option("--skip-unsupported", "import what the DSL can express; leave a comment for options it cannot")
    .addHelpText(
      "after",
      `
Give --email-flow (the flow names its workflow), --workflow with --split (on SuperOffice
10.2.4–10.2.9 a workflow id alone cannot list its Split steps), or --all; \`wfsync flows\` lists
the ids. With --all, a flow that is refused (its file exists without --force, options the DSL
cannot express) is reported and the others are imported. The file is workflows/<flow name>.ts (or workflow-<id>.ts without a flow
name); it is never replaced without --force. The next \`wfsync plan\` shows no changes, except one
update per option whose empty or repeated Key got a generated key. Options the DSL cannot express
stop the import (nothing is written) unless --skip-unsupported is given.

Examples:
  wfsync import --email-flow 12
  wfsync import --all
  wfsync import --workflow 733 --split 951 --split 953 --out workflows/reengagement`,
    )
    .action(async (flags: ImportFlags, cmd: Command) => {
      await runCommand(setExit, async () => {
        const cwd = process.cwd();
        const io = { cwd, env: process.env, global: globalOptions(cmd) };
        if (flags.idsFrom !== undefined) {
          if (flags.all || flags.workflow !== undefined || flags.emailFlow !== undefined || flags.split.length) {
            throw new WfsyncError("E_USAGE", "--ids-from writes ids into existing code: leave out --all, --workflow, --email-flow and --split");
          }
          const written = await runIdsFrom(flags.idsFrom, io);
          process.stdout.write(renderIdsFrom(written));
          return written.results.some((r) => r.tables.some((t) => t.matches.some((m) => !("to" in m) && m.kept === undefined))) ? 1 : 0;
        }
        if (!flags.all) {
          process.stdout.write(renderImport(await runImport(flags, io), cwd));
          return 0;
        }
        const flows = await runImportAll(flags, io);
        if (flows.length === 0) process.stdout.write("the tenant has no e-mail flow with Split steps; nothing to import\n");
        for (const f of flows) {
          process.stdout.write(`\n== workflow ${f.workflowId} ${JSON.stringify(f.name)} (e-mail flow ${f.emailFlowId})\n`);
          if ("result" in f) process.stdout.write(renderImport(f.result, cwd));
          else printError(f.error);
        }
        const failed = flows.filter((f) => "error" in f).length;
        if (flows.length) process.stdout.write(`\nimported ${flows.length - failed} of ${flows.length} flows${failed ? `; ${failed} refused (above)` : ""}\n`);
        return failed ? 1 : 0;
      });
    });
}
