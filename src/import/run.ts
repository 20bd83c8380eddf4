/**
 * `wfsync import`: read the splits from the server, write one builder file for the workflow,
 * check that the project's compiler reads back exactly what the server has, and record the
 * options in the state so the next plan finds nothing to do.
 *
 * Order matters for safety: everything that can refuse (arguments, the state's lock and tenant,
 * the server, unsupported options, an existing file) refuses before the file is written; a file
 * that then fails to compile or to round-trip is put back as it was, and the state is only
 * written after the file checked out.
 */
import fs from "node:fs";
import path from "node:path";
import type { WorkflowCompiler } from "../compile/compiler.js";
import { displayPath } from "../paths.js";
import type { DesiredOption } from "../compile/validate.js";
import { findWorkflowFiles, type ResolvedConfig } from "../config/load.js";
import { WfsyncError, WfsyncErrors, type SourceLocation } from "../errors.js";
import { hashOption, optionAddress, parseAddress, type Address, type StepModel } from "../model/option.js";
import { writeFileAtomicSync } from "../state/atomic.js";
import { isDatabaseState, openState, type StateStore } from "../state/index.js";
import type { Tenant } from "../tenant/tenant.js";
import { convertWorkflow, type GeneratedKey, type ImportedWorkflow, type SupportedOption, type UnsupportedOption } from "./convert.js";
import { generateWorkflowFile } from "./generate.js";
import { checkImportSource, readServerWorkflow, type ImportSource } from "./read.js";
import { checkMatchedByConfig, checkReplaceable, targetFile, type ExistingFile } from "./target.js";

export interface ImportRequest extends ImportSource {
  /** Folder to write into (absolute); default `<config root>/workflows`. */
  readonly outDir?: string | undefined;
  readonly force: boolean;
  /** Import the options the DSL can express and leave a comment for the others. */
  readonly skipUnsupported: boolean;
}

export interface ImportContext {
  /** Paths are shown relative to this folder (the compiler's root). */
  readonly cwd: string;
  readonly config: ResolvedConfig;
  /** The compiler the config was loaded with. */
  readonly compiler: WorkflowCompiler;
  readonly tenant: Tenant;
  readonly now?: () => Date;
  /** How long to wait for a state lock another process holds (`--lock-timeout`). */
  readonly lockTimeoutMs?: number | undefined;
}

export interface ImportResult {
  /** Absolute path of the written file, and as shown. */
  readonly file: string;
  readonly displayFile: string;
  readonly replaced: boolean;
  readonly workflow: Pick<ImportedWorkflow, "workflowId" | "emailFlowId" | "flowName">;
  readonly splits: readonly number[];
  readonly statePath: string;
  readonly recorded: readonly { address: Address; id: number; source: SourceLocation }[];
  /** Options whose code key differs from the server's Key: the next plan updates them. */
  readonly generatedKeys: readonly { address: Address; id: number; keys: readonly GeneratedKey[] }[];
  readonly skipped: readonly { workflowStepId: number; option: UnsupportedOption }[];
  /** State entries of the imported splits that no longer match a server option (forgotten). */
  readonly forgotten: readonly Address[];
  readonly steps: number;
}

export async function importWorkflow(request: ImportRequest, ctx: ImportContext): Promise<ImportResult> {
  checkImportSource(request);
  // The lock is taken before the server is read, so no apply can change these splits in between.
  const stateDir = isDatabaseState(ctx.config.state) ? undefined : path.dirname(ctx.config.state);
  const stateDirExisted = stateDir === undefined || fs.existsSync(stateDir);
  let done = false;
  const state = await openState(ctx.config.state, {
    tenant: ctx.tenant.url,
    lock: true,
    command: "wfsync import",
    ...(ctx.lockTimeoutMs !== undefined ? { lockTimeoutMs: ctx.lockTimeoutMs } : {}),
  });
  try {
    const api = await ctx.tenant.generation();
    state.bindApi(api);
    const imported = convertWorkflow(await readServerWorkflow(ctx.tenant, request), api === "12" ? { api } : {});
    const file = targetFile(ctx.config, imported, request.outDir);
    const displayFile = displayPath(file, ctx.cwd);
    checkMatchedByConfig(ctx.config, file);
    const skipped = imported.splits.flatMap((s) => s.options.filter((o): o is UnsupportedOption => !o.supported).map((option) => ({ workflowStepId: s.workflowStepId, option })));
    if (skipped.length && !request.skipUnsupported) throw unsupportedError(imported.workflowId, skipped);
    const existing = checkReplaceable(file, displayFile, imported, request.force);
    const text = generateWorkflowFile(imported, { command: importCommand({ ...request, workflowId: imported.workflowId, skipUnsupported: skipped.length > 0 }) });

    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomicSync(file, text, { mode: existing?.mode ?? 0o644, backup: false });
    let compiled: Map<Address, DesiredOption>;
    try {
      compiled = compileImported(ctx, file, displayFile, imported);
    } catch (err) {
      restore(file, existing);
      throw err;
    }
    const recorded = await recordImported(state, imported, compiled, ctx.now ?? (() => new Date()));
    const supported = supportedOptions(imported);
    done = true;
    return {
      file,
      displayFile,
      replaced: existing !== undefined,
      workflow: { workflowId: imported.workflowId, emailFlowId: imported.emailFlowId, flowName: imported.flowName },
      splits: imported.splits.map((s) => s.workflowStepId),
      statePath: state.path,
      recorded: recorded.recorded,
      generatedKeys: supported.filter((o) => o.generatedKeys.length).map((o) => ({ address: optionAddress(o.declared), id: o.id, keys: o.generatedKeys })),
      skipped,
      forgotten: recorded.forgotten,
      steps: supported.reduce((n, o) => n + countSteps(o.declared.steps), 0),
    };
  } finally {
    await state.close();
    // A refused import leaves no trace, not even the empty folder the lock needed.
    if (!done && !stateDirExisted && stateDir !== undefined) removeEmptyDir(stateDir);
  }
}

/**
 * The header's command line: only what decides the file's content (`--skip-unsupported` only when
 * something was skipped), so re-imports stay byte-identical.
 */
export function importCommand(request: ImportSource & { skipUnsupported?: boolean }): string {
  const parts = ["wfsync import", ...(request.workflowId === undefined ? [] : [`--workflow ${request.workflowId}`])];
  if (request.emailFlowId !== undefined) parts.push(`--email-flow ${request.emailFlowId}`);
  for (const id of [...new Set(request.splitIds)].sort((a, b) => a - b)) parts.push(`--split ${id}`);
  if (request.skipUnsupported) parts.push("--skip-unsupported");
  return parts.join(" ");
}

function unsupportedError(workflowId: number, skipped: readonly { workflowStepId: number; option: UnsupportedOption }[]): WfsyncErrors {
  const errors = skipped.map(
    ({ workflowStepId, option: o }) =>
      new WfsyncError("E_IMPORT_UNSUPPORTED", `option ${JSON.stringify(o.key)} (${JSON.stringify(o.name)}, id ${o.id}) of split ${workflowStepId} cannot be written as code:`, {
        detail: o.problems.map((p) => `  - ${p}`).join("\n"),
      }),
  );
  return new WfsyncErrors(
    "E_IMPORT_UNSUPPORTED",
    `${skipped.length} option${skipped.length === 1 ? "" : "s"} of workflow ${workflowId} cannot be expressed in the DSL; nothing was written. ` +
      "Change them in the flow editor, or re-run with --skip-unsupported to import the others (skipped options stay on the server, unmanaged).",
    errors,
  );
}

/**
 * Compiles the project with the new file and checks that it declares exactly the imported
 * options, each with the model the server has (generated keys aside). Returns them by address.
 */
function compileImported(ctx: ImportContext, file: string, displayFile: string, imported: ImportedWorkflow): Map<Address, DesiredOption> {
  const files = findWorkflowFiles(ctx.config);
  if (!files.includes(file)) checkMatchedByConfig(ctx.config, file);
  ctx.compiler.setWorkflowFiles(files);
  const result = ctx.compiler.compile([file]);
  if (result.errors.length) {
    const duplicate = result.errors.filter((e) => e.code === "E_DUPLICATE_SPLIT");
    const own = result.errors.filter((e) => e.location?.file === displayFile);
    if (duplicate.length) {
      // Each error is at the later of the two declarations (in file order), `related` at the
      // earlier: the other file is whichever of the two is not the new file.
      const others = new Set<string>();
      for (const e of duplicate) {
        for (const f of [e.location?.file, e.related?.file]) if (f && f !== displayFile) others.add(f);
      }
      const where = others.size ? [...others].sort().join(", ") : "another file";
      throw new WfsyncErrors(
        "E_IMPORT_SPLIT_DECLARED",
        `a split of this import is already declared in ${where}; ${displayFile} was not written. Remove the split there first, ` +
          `or, if ${others.size > 1 ? "one of them" : "that file"} holds only this workflow, rename it to ${displayFile} and import again with --force`,
        duplicate,
      );
    }
    if (own.length) {
      throw new WfsyncErrors("E_IMPORT_INVALID", `the generated ${displayFile} does not validate, which is a bug in wfsync import; nothing was written`, own);
    }
    throw new WfsyncErrors("E_IMPORT_PROJECT", `the project has errors; fix them and import again (${displayFile} was not written)`, result.errors);
  }
  const expected = new Map(supportedOptions(imported).map((o) => [optionAddress(o.declared), o]));
  const got = new Map([...result.options].filter(([, d]) => d.file === file));
  const wrong = [...new Set([...expected.keys(), ...got.keys()])].filter((address) => {
    const o = expected.get(address);
    return !o || got.get(address)?.hash !== hashOption(o.declared);
  });
  if (wrong.length) {
    throw new WfsyncError(
      "E_IMPORT_ROUNDTRIP",
      `the generated ${displayFile} does not declare what the server has for ${wrong.join(", ")}, which is a bug in wfsync import; nothing was written`,
      { userError: false },
    );
  }
  return got;
}

async function recordImported(
  state: StateStore,
  imported: ImportedWorkflow,
  compiled: ReadonlyMap<Address, DesiredOption>,
  now: () => Date,
): Promise<{ recorded: ImportResult["recorded"]; forgotten: Address[] }> {
  const recorded: { address: Address; id: number; source: SourceLocation }[] = [];
  const appliedAt = now().toISOString();
  for (const o of supportedOptions(imported)) {
    const address = optionAddress(o.declared);
    const desired = compiled.get(address)!;
    const source = desired.source;
    // The entry is what the server holds (under the code's key, the entry's address): the
    // plan's base. A generated key (of the option or of a nested one) then differs from it in
    // code only, so the next plan shows the one update that saves the key, and nothing else.
    const held = o.server.key === desired.option.key ? o.server : { ...o.server, key: desired.option.key };
    await state.record(address, { id: o.id, hash: hashOption(held), option: held, server: o.carrier, source, appliedAt });
    recorded.push({ address, id: o.id, source });
  }
  // Entries of these splits that the import did not record point at options that are gone from
  // the server, were re-keyed, or were skipped (which makes them unmanaged): keeping them would
  // make the next plan delete or re-create something.
  const splits = new Set(imported.splits.map((s) => `${imported.workflowId}/${s.workflowStepId}`));
  const kept = new Set(recorded.map((r) => r.address));
  const forgotten: Address[] = [];
  for (const address of [...state.entries().keys()].sort()) {
    const a = parseAddress(address);
    if (!a || !splits.has(`${a.workflowId}/${a.workflowStepId}`) || kept.has(address)) continue;
    await state.remove(address);
    forgotten.push(address);
  }
  return { recorded, forgotten };
}

function supportedOptions(imported: ImportedWorkflow): SupportedOption[] {
  return imported.splits.flatMap((s) => s.options.filter((o): o is SupportedOption => o.supported));
}

function removeEmptyDir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty (something else is in it) or already gone: leave it.
  }
}

function restore(file: string, existing: ExistingFile | undefined): void {
  if (existing) writeFileAtomicSync(file, existing.text, { mode: existing.mode, backup: false });
  else fs.rmSync(file, { force: true });
}

function countSteps(steps: readonly StepModel[]): number {
  return steps.reduce((n, s) => n + 1 + (s.options ?? []).reduce((m, o) => m + countSteps(o.steps), 0), 0);
}
