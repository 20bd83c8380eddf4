/**
 * The long-lived compiler: type-checks the user's files on one ts-morph Project, evaluates the
 * files that pass, and validates what their builders declared. `compile(changed)` re-checks only
 * the changed files and the files that import them, and re-evaluates only those; everything else
 * keeps its last result. That is what the watch daemon runs on every save.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { FileSystemRefreshResult, ts, type Project, type SourceFile } from "ts-morph";
import * as dsl from "../dsl/index.js";
import { isWorkflowDefinition, type WorkflowDefinition } from "../dsl/workflow.js";
import { WfsyncError, type SourceLocation } from "../errors.js";
import { callStart, codeFrame, diagnosticToError, displayPath } from "./diagnostics.js";
import { EvaluationFailure, ModuleEvaluator, type EmittedModule, type ModuleHost } from "./evaluate.js";
import { createCheckProject, dslTypesPath, transpileForEval } from "./project.js";
import { validateDefinitions, type DesiredModel, type FileDefinitions, type Locate } from "./validate.js";

export interface CompileResult extends DesiredModel {
  /** Every problem, compile and validation alike, each with its location. */
  readonly errors: readonly WfsyncError[];
  /** Workflow files (absolute) that failed to compile or evaluate: their options are unknown. */
  readonly failedFiles: ReadonlySet<string>;
  /** Workflow files (absolute) that were re-checked in this run. */
  readonly checkedFiles: ReadonlySet<string>;
}

interface FileState {
  hash: string;
  emitted?: EmittedModule;
  /** Last outcome: definitions when it evaluated, errors otherwise. */
  definitions?: readonly WorkflowDefinition[];
  errors?: readonly WfsyncError[];
}

export interface CompilerOptions {
  /** Paths are shown relative to this folder. */
  readonly root: string;
  /**
   * Files whose type check may be skipped because they passed before with this exact content
   * (and so did everything they import): the on-disk check cache. Called with absolute paths.
   */
  readonly trusted?: (file: string, hash: string) => boolean;
}

export class WorkflowCompiler {
  readonly project: Project;
  private readonly root: string;
  private readonly trusted: CompilerOptions["trusted"];
  private readonly workflowFiles = new Set<string>();
  private readonly files = new Map<string, FileState>();
  private readonly dslDir = path.dirname(dslTypesPath());
  private readonly resolutions = new Map<string, string | undefined>();
  private lastResult: CompileResult | undefined;

  constructor(options: CompilerOptions) {
    this.root = options.root;
    this.trusted = options.trusted;
    this.project = createCheckProject();
  }

  /** Sets the workflow files (absolute paths); call compile() with the ones that changed. */
  setWorkflowFiles(files: Iterable<string>): { added: string[]; removed: string[] } {
    const next = new Set([...files].map((f) => path.resolve(f)));
    const added = [...next].filter((f) => !this.workflowFiles.has(f));
    const removed = [...this.workflowFiles].filter((f) => !next.has(f));
    for (const f of removed) {
      this.workflowFiles.delete(f);
      if (!this.isImported(f)) this.forget(f);
    }
    for (const f of added) this.workflowFiles.add(f);
    return { added, removed };
  }

  /**
   * Compiles. `changed` lists files (absolute) whose content changed on disk since the last call;
   * the first call compiles everything.
   */
  compile(changed: Iterable<string> = []): CompileResult {
    const first = this.lastResult === undefined;
    const dirty = new Set<string>();
    for (const f of this.workflowFiles) if (!this.project.getSourceFile(f)) dirty.add(f);
    for (const file of changed) {
      const abs = path.resolve(file);
      const sf = this.project.getSourceFile(abs);
      if (sf) {
        if (sf.refreshFromFileSystemSync() === FileSystemRefreshResult.Deleted) this.files.delete(abs);
        dirty.add(abs);
      } else if (this.workflowFiles.has(abs)) dirty.add(abs);
    }
    const missing: WfsyncError[] = [];
    for (const f of dirty) {
      if (!this.workflowFiles.has(f) || this.project.getSourceFile(f)) continue;
      try {
        this.project.addSourceFileAtPath(f);
      } catch (err) {
        missing.push(new WfsyncError("E_READ", `cannot read ${displayPath(f, this.root)}: ${(err as Error).message}`));
        this.workflowFiles.delete(f);
      }
    }
    this.project.resolveSourceFileDependencies();
    this.resolutions.clear();

    const userFiles = this.project.getSourceFiles().filter((sf) => this.isUserFile(sf.getFilePath()));
    // Everything that (transitively) imports a dirty file must be checked again too: a change to
    // a module can break its importers without touching them.
    const toCheck = new Set<string>(first ? userFiles.map((sf) => sf.getFilePath()) : []);
    for (const f of dirty) this.addWithImporters(f, toCheck);
    // A module that an edit newly imports has never been checked: check it (and its importers).
    for (const sf of userFiles) if (!this.files.has(sf.getFilePath())) this.addWithImporters(sf.getFilePath(), toCheck);

    const program = this.project.getProgram().compilerObject;
    const hashes = new Map<string, string>();
    for (const sf of userFiles) {
      const file = sf.getFilePath();
      const text = sf.getFullText();
      const state = this.files.get(file);
      const hash = state && !toCheck.has(file) ? state.hash : sha1(text);
      hashes.set(file, hash);
      if (!toCheck.has(file)) continue;
      const errors = this.diagnose(program, sf, hash);
      this.files.set(file, { hash, ...(errors.length ? { errors } : {}) });
    }
    const failedFiles = this.propagateFailures(userFiles, toCheck);
    const evaluator = new ModuleEvaluator(this.host());
    for (const file of this.workflowFiles) {
      if (!toCheck.has(file) || failedFiles.has(file)) continue;
      this.evaluate(evaluator, file);
      if (this.files.get(file)?.errors) failedFiles.add(file);
    }
    // Only modules the workflow files still import count: an import removed by an edit must not
    // keep reporting the errors of the module it pointed to.
    const reachable = new Set<string>();
    for (const file of this.workflowFiles) this.collectImports(file, reachable);
    this.lastResult = this.assemble(failedFiles, toCheck, missing, reachable);
    return this.lastResult;
  }

  /** Evaluates one checked file and returns its exports (for the config file). */
  loadModule(file: string): { exports?: Record<string, unknown>; errors: WfsyncError[] } {
    const abs = path.resolve(file);
    let sf = this.project.getSourceFile(abs);
    if (sf) sf.refreshFromFileSystemSync();
    else sf = this.project.addSourceFileAtPath(abs);
    this.project.resolveSourceFileDependencies();
    this.resolutions.clear();
    const program = this.project.getProgram().compilerObject;
    const files = new Set<string>();
    this.collectImports(abs, files);
    const errors: WfsyncError[] = [];
    for (const f of files) {
      const dep = this.project.getSourceFile(f);
      if (!dep) continue;
      const hash = sha1(dep.getFullText());
      const errs = this.diagnose(program, dep, hash);
      this.files.set(f, { hash, ...(errs.length ? { errors: errs } : {}) });
      errors.push(...errs);
    }
    if (errors.length) return { errors };
    try {
      return { exports: new ModuleEvaluator(this.host()).load(abs) as Record<string, unknown>, errors };
    } catch (err) {
      return { errors: [this.failureToError(err, abs)] };
    }
  }

  private diagnose(program: ts.Program, sf: SourceFile, hash: string): WfsyncError[] {
    const node = program.getSourceFile(sf.getFilePath());
    if (!node) return [new WfsyncError("E_READ", `${displayPath(sf.getFilePath(), this.root)} is not in the program`)];
    const syntactic = program.getSyntacticDiagnostics(node);
    if (syntactic.length) return syntactic.map((d) => diagnosticToError(d, this.root));
    if (this.trusted?.(sf.getFilePath(), hash)) return [];
    return program.getSemanticDiagnostics(node).map((d) => diagnosticToError(d, this.root));
  }

  /** A file fails if it has errors or imports a file that does. */
  private propagateFailures(userFiles: SourceFile[], checked: Set<string>): Set<string> {
    const failed = new Set<string>();
    const visiting = new Set<string>();
    const fails = (file: string): boolean => {
      if (failed.has(file)) return true;
      if (visiting.has(file)) return false;
      visiting.add(file);
      const own = this.files.get(file)?.errors !== undefined;
      const deps = this.project.getSourceFile(file)?.getReferencedSourceFiles() ?? [];
      const bad = own || deps.some((d) => this.isUserFile(d.getFilePath()) && fails(d.getFilePath()));
      if (bad) failed.add(file);
      return bad;
    };
    for (const sf of userFiles) fails(sf.getFilePath());
    // A workflow file that failed only because of an import must say so at its import.
    for (const file of failed) {
      const state = this.files.get(file);
      if (state && !state.errors && checked.has(file)) {
        state.errors = [new WfsyncError("E_IMPORT_FAILED", "a module this file imports has errors", { location: { file: displayPath(file, this.root), line: 1, column: 1 } })];
      }
    }
    return failed;
  }

  private evaluate(evaluator: ModuleEvaluator, file: string): void {
    const state = this.files.get(file)!;
    try {
      const exports = evaluator.load(file) as Record<string, unknown>;
      const definitions: WorkflowDefinition[] = [];
      for (const value of Object.values(exports ?? {})) {
        for (const item of Array.isArray(value) ? value : [value]) if (isWorkflowDefinition(item)) definitions.push(item);
      }
      state.definitions = definitions;
      delete state.errors;
    } catch (err) {
      state.errors = [this.failureToError(err, file)];
      delete state.definitions;
    }
  }

  private failureToError(err: unknown, file: string): WfsyncError {
    if (!(err instanceof EvaluationFailure)) throw err;
    const at = err.at ?? { file: err.file, line: 1, column: 1 };
    const text = this.project.getSourceFile(at.file)?.getFullText() ?? "";
    const thrown = err.thrown instanceof Error ? `${err.thrown.name}: ${err.thrown.message}` : String(err.thrown);
    return new WfsyncError("E_BUILDER_THREW", `evaluating ${displayPath(file, this.root)} threw ${thrown}`, {
      location: { file: displayPath(at.file, this.root), line: at.line, column: at.column },
      detail: text ? codeFrame(text, at.line, at.column) : undefined,
      cause: err.thrown,
    });
  }

  private assemble(failedFiles: Set<string>, checked: Set<string>, extra: WfsyncError[], reachable: Set<string>): CompileResult {
    const errors: WfsyncError[] = [...extra];
    const good: FileDefinitions[] = [];
    const seen = new Set<string>();
    for (const [file, state] of this.files) {
      if (!this.project.getSourceFile(file) || !reachable.has(file)) continue;
      if (state.errors) {
        for (const e of state.errors) {
          const key = `${e.code} ${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}` : ""} ${e.message}`;
          if (!seen.has(key)) errors.push(e);
          seen.add(key);
        }
      }
    }
    for (const file of [...this.workflowFiles].sort()) {
      const state = this.files.get(file);
      if (!state?.definitions || failedFiles.has(file)) continue;
      if (state.definitions.length === 0 && !this.isImported(file)) {
        errors.push(
          new WfsyncError("E_NO_WORKFLOWS", "this workflow file exports no workflow(...); export one (default or named) or an array of them", {
            location: { file: displayPath(file, this.root), line: 1, column: 1 },
          }),
        );
        continue;
      }
      good.push({ file, definitions: state.definitions });
    }
    const validation = validateDefinitions(good, this.locator());
    errors.push(...validation.errors);
    const ofWorkflows = (files: Set<string>) => new Set([...files].filter((f) => this.workflowFiles.has(f)));
    return { ...validation, errors, failedFiles: ofWorkflows(failedFiles), checkedFiles: ofWorkflows(checked) };
  }

  private locator(): Locate {
    const evaluator = new ModuleEvaluator(this.host());
    return (site, fallbackFile): SourceLocation => {
      const mapped = site ? evaluator.locate(site) : undefined;
      const sf = mapped && this.project.getSourceFile(mapped.file);
      const pos = mapped && sf ? { file: mapped.file, ...callStart(sf.compilerNode, mapped.line, mapped.column) } : mapped;
      const file = pos?.file ?? fallbackFile;
      return { file: displayPath(file, this.root), line: pos?.line ?? 1, column: pos?.column ?? 1 };
    };
  }

  private host(): ModuleHost {
    return {
      dsl,
      emitted: (file) => {
        const state = this.files.get(file);
        const sf = this.project.getSourceFile(file);
        if (!state || !sf) return undefined;
        state.emitted ??= transpileForEval(sf.getFullText(), file);
        return state.emitted;
      },
      resolve: (fromFile, specifier) => {
        const key = `${fromFile}\0${specifier}`;
        if (!this.resolutions.has(key)) {
          const resolved = ts.resolveModuleName(specifier, fromFile, this.project.getCompilerOptions(), ts.sys).resolvedModule;
          this.resolutions.set(key, resolved ? path.resolve(resolved.resolvedFileName) : undefined);
        }
        return this.resolutions.get(key);
      },
    };
  }

  private isUserFile(file: string): boolean {
    return !file.includes("/node_modules/") && !file.startsWith(this.dslDir + path.sep) && !file.startsWith(path.dirname(this.dslDir) + path.sep);
  }

  private isImported(file: string): boolean {
    const sf = this.project.getSourceFile(file);
    return !!sf && sf.getReferencingSourceFiles().some((r) => this.isUserFile(r.getFilePath()) && r.getFilePath() !== file);
  }

  private addWithImporters(file: string, into: Set<string>): void {
    if (into.has(file)) return;
    into.add(file);
    const sf = this.project.getSourceFile(file);
    for (const ref of sf?.getReferencingSourceFiles() ?? []) {
      if (this.isUserFile(ref.getFilePath())) this.addWithImporters(ref.getFilePath(), into);
    }
  }

  private collectImports(file: string, into: Set<string>): void {
    if (into.has(file) || !this.isUserFile(file)) return;
    into.add(file);
    for (const dep of this.project.getSourceFile(file)?.getReferencedSourceFiles() ?? []) this.collectImports(dep.getFilePath(), into);
  }

  private forget(file: string): void {
    const sf = this.project.getSourceFile(file);
    if (sf) this.project.removeSourceFile(sf);
    this.files.delete(file);
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
