/**
 * The long-lived compiler: type-checks the user's files on one ts-morph Project, evaluates the
 * files that pass, and validates what their builders declared. `compile(changed)` re-checks only
 * the changed files and the files that import them, and re-evaluates only those; everything else
 * keeps its last result. That is what the watch daemon runs on every save.
 *
 * With a check cache, files unchanged (with everything they import) since they last passed are
 * not type-checked again; when that holds for every file, the first compile does not load
 * TypeScript at all (the "fast path": read, transpile with esbuild, evaluate).
 */
import path from "node:path";
import type { WorkflowDefinition } from "../dsl/workflow.js";
import { WfsyncError, withSourceText, type SourceLocation } from "../errors.js";
import { displayPath } from "../paths.js";
import { tsMorph, type Project, type TsProgram } from "../ts-morph.js";
import { sha1, type CheckCache } from "./cache.js";
import { callStart, diagnosticToError, lineStarts } from "./diagnostics.js";
import { readUtf8, utf8Problem } from "./encoding.js";
import { EvaluationFailure, ModuleEvaluator, type EntryOutcome, type ModuleHost } from "./evaluate.js";
import type { EvaluationContext } from "./sandbox-runtime.js";
import { FileGraph, type FileState } from "./graph.js";
import { createCheckProject, dslTypesPath, transpileForEval } from "./project.js";
import { EvaluationSandbox } from "./sandbox.js";
import { mergeValidations, validateFile, type DesiredModel, type FileValidation, type Locate } from "./validate.js";
import type { SupportTarget } from "./support.js";
import type { NameResolver, UnresolvedName } from "./names.js";
import type { SharedResults } from "./shared.js";

export interface CompileResult extends DesiredModel {
  /** Every problem, compile and validation alike, each with its location. */
  readonly errors: readonly WfsyncError[];
  /** Workflow files (absolute) that failed to compile or evaluate: their options are unknown. */
  readonly failedFiles: ReadonlySet<string>;
  /** Workflow files (absolute) that were re-checked (or re-evaluated) in this run. */
  readonly checkedFiles: ReadonlySet<string>;
  /** True when the check cache vouched for every file and TypeScript was not run at all. */
  readonly fromCache: boolean;
  /** Flows and splits referred to by name that no resolver resolved (see resolveNames). */
  readonly unresolved: readonly UnresolvedName[];
}

export interface CompilerOptions {
  /** Paths are shown relative to this folder. */
  readonly root: string;
  /** Where files that passed are remembered across runs (see cache.ts). */
  readonly cache?: CheckCache;
  /**
   * An evaluation worker shared with other compilers (one per environment of a fleet run): this
   * compiler does not close it. Default: a worker of its own, closed by close().
   */
  readonly sandbox?: EvaluationSandbox;
  /** How long evaluating one workflow file may run (default DEFAULT_EVALUATION_TIMEOUT_MS). */
  readonly evaluationTimeoutMs?: number;
  /** The server the options are for, when known: what it cannot take is a validation error. */
  readonly target?: SupportTarget | undefined;
  /** Definitions and validations shared with the other compilers of a fleet run (see shared.ts). */
  readonly shared?: SharedResults;
}

/** A compiler dropped without close() takes its worker with it. */
const workers = new FinalizationRegistry<EvaluationSandbox>((sandbox) => sandbox.close());

/** A compile between its type check and its evaluation. */
interface Pass {
  readonly toCheck: Set<string>;
  readonly extra: WfsyncError[];
  readonly program: TsProgram | undefined;
  readonly failed: Set<string>;
  /** Workflow files to evaluate, in order. */
  readonly entries: string[];
}

export class WorkflowCompiler {
  private readonly root: string;
  private readonly cache: CheckCache | undefined;
  private readonly evaluationTimeoutMs: number | undefined;
  private target: SupportTarget | undefined;
  private readonly workflowFiles = new Set<string>();
  private readonly files = new FileGraph();
  private readonly dslDir = path.dirname(dslTypesPath());
  private readonly resolutions = new Map<string, string | undefined>();
  private projectInstance: Project | undefined;
  /** Files loadModule added on a guess; dropped if they turn out not to be workflow files. */
  private readonly preloaded = new Set<string>();
  private compiled = false;
  /** Validation of each evaluation's definitions: files not re-evaluated are not re-validated. */
  private validations = new WeakMap<readonly WorkflowDefinition[], FileValidation>();
  /** Resolves flows and splits referred to by name; none: they are reported as unresolved. */
  private names: NameResolver | undefined;
  /** Where the user's code runs: a worker that lives as long as this compiler (or is shared). */
  private readonly sandbox: EvaluationSandbox;
  private readonly ownsSandbox: boolean;
  private readonly shared: SharedResults | undefined;
  private context: EvaluationContext = {};
  private configEnv: Readonly<Record<string, string>> = {};

  constructor(options: CompilerOptions) {
    this.root = options.root;
    this.cache = options.cache;
    this.evaluationTimeoutMs = options.evaluationTimeoutMs;
    this.target = options.target;
    this.ownsSandbox = options.sandbox === undefined;
    this.shared = options.shared;
    this.sandbox = options.sandbox ?? new EvaluationSandbox();
    this.sandbox.warm();
    if (this.ownsSandbox) workers.register(this, this.sandbox);
  }

  /**
   * The server the options are for (the config's `api`, once loaded): options it cannot take
   * (option kinds on 10.2, fields newer than its version) become validation errors.
   */
  setTarget(target: SupportTarget | undefined): void {
    this.target = target;
  }

  /**
   * The environment the workflow files are evaluated for (`defineValues` gives its values) and
   * the environments the config defines. Set before the first compile(): a change later would
   * leave files evaluated for another environment.
   */
  setEnvironment(environment: string | undefined, environments: readonly string[]): void {
    if (this.compiled) throw new Error("setEnvironment() after compile(): make a new compiler for another environment");
    this.context = { ...(environment === undefined ? {} : { environment }), environments: [...environments] };
  }

  /** What `process.env` holds while the config is evaluated (credentials already taken out). */
  setConfigEnv(env: Readonly<Record<string, string>>): void {
    this.configEnv = env;
  }

  /**
   * Resolves names with `names` from now on (a tenant's flows, or stand-ins for validate), and
   * returns the last compile's result validated with them: nothing is checked or evaluated again.
   */
  resolveNames(names: NameResolver | undefined): CompileResult {
    this.names = names;
    this.validations = new WeakMap();
    const reachable = new Set<string>();
    for (const file of this.workflowFiles) this.files.addWithImports(file, reachable);
    const failed = new Set([...this.files].filter(([, state]) => state.errors !== undefined).map(([file]) => file));
    return this.assemble(failed, new Set(), [], reachable);
  }

  /** Ends the evaluation worker; an evaluation in progress fails at once ("stopped"). */
  close(): void {
    if (this.ownsSandbox) this.sandbox.close();
  }

  /** The ts-morph Project (created on first use, with every file the compiler knows). */
  get project(): Project {
    if (!this.projectInstance) {
      this.projectInstance = createCheckProject();
      for (const file of new Set([...this.files.keys(), ...this.workflowFiles])) {
        if (this.files.has(file)) this.projectInstance.createSourceFile(file, this.files.get(file)!.text, { overwrite: true });
      }
    }
    return this.projectInstance;
  }

  /**
   * Drops the TypeScript program and its syntax trees (hundreds of MB on a large project) once a
   * one-shot command has its model: the apply that follows should not drag them through every
   * garbage collection. A later compile() rebuilds them.
   */
  releaseTypeScript(): void {
    this.projectInstance = undefined;
    this.resolutions.clear();
    this.compiled = false;
    for (const state of this.files.values()) delete state.starts;
  }

  /** Sets the workflow files (absolute paths); call compile() with the ones that changed. */
  setWorkflowFiles(files: Iterable<string>): { added: string[]; removed: string[] } {
    const next = new Set([...files].map((f) => path.resolve(f)));
    const added = [...next].filter((f) => !this.workflowFiles.has(f));
    const removed = [...this.workflowFiles].filter((f) => !next.has(f));
    for (const f of removed) {
      this.workflowFiles.delete(f);
      if (this.importersOf(f).length === 0) this.forget(f);
    }
    for (const f of added) this.workflowFiles.add(f);
    return { added, removed };
  }

  /** User files (absolute) that import `file` directly. */
  importersOf(file: string): string[] {
    return this.files.importersOf(file);
  }

  /** Every user file the compiler knows: workflow files and the modules they import. */
  modules(): string[] {
    return [...this.files.keys()];
  }

  /**
   * Compiles. `changed` lists files (absolute) whose content changed on disk since the last call;
   * the first call compiles everything.
   */
  compile(changed: Iterable<string> = []): CompileResult {
    const pass = this.prepare(changed);
    new ModuleEvaluator(this.host()).evaluateSync(pass.entries, "workflows", this.onEvaluated(pass));
    return this.complete(pass);
  }

  /**
   * compile(), with the workflow files evaluated without blocking the event loop: what the watch
   * daemon runs, so that a file stuck in an endless loop does not keep it from its signals.
   */
  async compileAsync(changed: Iterable<string> = []): Promise<CompileResult> {
    const pass = this.prepare(changed);
    await new ModuleEvaluator(this.host()).evaluate(pass.entries, "workflows", this.onEvaluated(pass));
    return this.complete(pass);
  }

  /** Everything up to evaluation: the type check (unless the cache vouches) and what to evaluate. */
  private prepare(changed: Iterable<string>): Pass {
    const first = !this.compiled;
    this.compiled = true;
    if (first && !this.projectInstance && this.loadTrusted([...this.workflowFiles])) {
      return this.toEvaluate(new Set(this.files.keys()), []);
    }
    return this.typeCheck(first, changed);
  }

  /**
   * Evaluates one module (the config file), type-checking it and its imports first.
   * `likelyNext` names files that will probably be compiled next (the workflow files the default
   * globs find): when a type check is needed they join the program now, so the workflow compile
   * that follows reuses this program and its checker instead of building a second pair.
   */
  loadModule(file: string, likelyNext: () => readonly string[] = () => []): { exports?: Record<string, unknown>; errors: WfsyncError[] } {
    const abs = path.resolve(file);
    if (!this.projectInstance && this.loadTrusted([abs])) return this.evaluateModule(abs, []);
    const project = this.project;
    const sf = project.getSourceFile(abs);
    if (sf) sf.refreshFromFileSystemSync();
    else project.addSourceFileAtPath(abs);
    for (const next of likelyNext()) {
      if (project.getSourceFile(next)) continue;
      project.addSourceFileAtPathIfExists(next);
      this.preloaded.add(next);
    }
    project.resolveSourceFileDependencies();
    this.resolutions.clear();
    this.syncStates();
    const closure = new Set<string>();
    this.files.addWithImports(abs, closure);
    const program = project.getProgram().compilerObject;
    const errors: WfsyncError[] = [];
    for (const f of closure) {
      const errs = this.diagnose(program, f, new Map());
      const state = this.files.get(f)!;
      if (errs.length) state.errors = errs;
      else delete state.errors;
      errors.push(...errs);
    }
    const evaluated = this.evaluateModule(abs, errors);
    // After evaluating: the cache then holds the transpiled code too, and a later run whose
    // files are all cached needs neither TypeScript nor esbuild (starting esbuild costs ~50 ms).
    if (!errors.length) this.remember(closure, program);
    return evaluated;
  }

  private evaluateModule(file: string, errors: WfsyncError[]): { exports?: Record<string, unknown>; errors: WfsyncError[] } {
    if (errors.length) return { errors };
    try {
      return { exports: new ModuleEvaluator(this.host({ ...this.context, env: this.configEnv })).load(file), errors };
    } catch (err) {
      return { errors: [this.failureToError(err, file)] };
    }
  }

  // -------------------------------------------------------------------------------------------
  // The fast path: everything unchanged since it last passed.

  /** Loads `entries` and their imports from disk if the cache vouches for all of them. */
  private loadTrusted(entries: string[]): boolean {
    if (!this.cache || entries.length === 0) return false;
    const loaded = new Map<string, FileState>();
    const visit = (file: string): boolean => {
      if (loaded.has(file)) return true;
      const cached = this.cache!.get(file);
      if (!cached) return false;
      // Not UTF-8 (or unreadable): the checked path reports it.
      const text = readUtf8(file);
      if (text === undefined) return false;
      const hash = sha1(text);
      if (hash !== cached.hash) return false;
      loaded.set(file, {
        text,
        hash,
        deps: new Map(Object.entries(cached.deps)),
        ...(cached.code !== undefined && cached.map !== undefined ? { emitted: { code: cached.code, map: cached.map } } : {}),
      });
      return Object.values(cached.deps).every(visit);
    };
    if (!entries.every(visit)) return false;
    for (const [file, state] of loaded) this.files.set(file, state);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // The checked path.

  private typeCheck(first: boolean, changed: Iterable<string>): Pass {
    const project = this.project;
    for (const guess of this.preloaded) {
      const sf = this.workflowFiles.has(guess) ? undefined : project.getSourceFile(guess);
      if (sf) project.removeSourceFile(sf);
    }
    this.preloaded.clear();
    const missing: WfsyncError[] = [];
    for (const file of changed) {
      const abs = path.resolve(file);
      const sf = project.getSourceFile(abs);
      if (sf && sf.refreshFromFileSystemSync() === tsMorph().FileSystemRefreshResult.Deleted) this.files.delete(abs);
    }
    for (const f of [...this.workflowFiles]) {
      if (project.getSourceFile(f)) continue;
      try {
        project.addSourceFileAtPath(f);
      } catch (err) {
        missing.push(new WfsyncError("E_READ", `cannot read ${displayPath(f, this.root)}: ${(err as Error).message}`));
        this.workflowFiles.delete(f);
      }
    }
    project.resolveSourceFileDependencies();
    this.resolutions.clear();
    const dirty = this.syncStates();

    // Everything that (transitively) imports a dirty file must be checked again too: a change to
    // a module can break its importers without touching them.
    const toCheck = new Set<string>(first ? this.files.keys() : []);
    for (const f of dirty) this.files.addWithImporters(f, toCheck);

    const program = project.getProgram().compilerObject;
    const trust = new Map<string, boolean>();
    for (const file of toCheck) {
      const state = this.files.get(file);
      if (!state) continue;
      const errors = this.diagnose(program, file, trust);
      if (errors.length) state.errors = errors;
      else delete state.errors;
      delete state.definitions;
      delete state.source;
    }
    return this.toEvaluate(toCheck, missing, program);
  }

  /**
   * Brings the file states in line with the project's source files; returns the files whose
   * text is new or changed.
   */
  private syncStates(): Set<string> {
    const dirty = new Set<string>();
    const present = new Set<string>();
    for (const sf of this.project.getSourceFiles()) {
      const file = sf.getFilePath() as string;
      if (!this.isUserFile(file)) continue;
      present.add(file);
      const text = sf.getFullText();
      const state = this.files.get(file);
      if (state && state.text === text) continue;
      this.files.set(file, { text, hash: sha1(text), deps: this.resolveImports(file, text) });
      dirty.add(file);
    }
    for (const file of [...this.files.keys()]) if (!present.has(file)) this.files.delete(file);
    return dirty;
  }

  private resolveImports(file: string, text: string): Map<string, string> {
    const deps = new Map<string, string>();
    for (const imported of tsMorph().ts.preProcessFile(text, true, true).importedFiles) {
      const target = this.resolve(file, imported.fileName);
      if (target && this.isUserFile(target)) deps.set(imported.fileName, target);
    }
    return deps;
  }

  private diagnose(program: TsProgram, file: string, trust: Map<string, boolean>): WfsyncError[] {
    const node = program.getSourceFile(file);
    if (!node) return [new WfsyncError("E_READ", `${displayPath(file, this.root)} is not in the program`)];
    // Read with U+FFFD in place of bytes that are not UTF-8, which would change names silently.
    const encoding = utf8Problem(file, node.text, this.root);
    if (encoding) return [encoding];
    const syntactic = program.getSyntacticDiagnostics(node);
    if (syntactic.length) return firstSyntaxError(syntactic.map((d) => diagnosticToError(d, this.root)));
    if (this.trusted(file, trust)) return [];
    return program.getSemanticDiagnostics(node).map((d) => diagnosticToError(d, this.root));
  }

  /** The cache vouches for this file: same text as when it passed, and so for all it imports. */
  private trusted(file: string, memo: Map<string, boolean>): boolean {
    if (!this.cache) return false;
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, false); // an import cycle proves nothing
    const state = this.files.get(file);
    const cached = this.cache.get(file);
    const ok =
      !!state &&
      !!cached &&
      cached.hash === state.hash &&
      state.deps.size === Object.keys(cached.deps).length &&
      [...state.deps].every(([spec, target]) => cached.deps[spec] === target && this.trusted(target, memo));
    memo.set(file, ok);
    return ok;
  }

  // -------------------------------------------------------------------------------------------
  // Both paths: evaluate what needs it, collect the results.

  /** The workflow files of `toCheck` that passed: the ones to evaluate. */
  private toEvaluate(toCheck: Set<string>, extra: WfsyncError[], program?: TsProgram): Pass {
    const failed = this.files.failures(toCheck, this.root);
    const entries = [...this.workflowFiles].filter((file) => toCheck.has(file) && !failed.has(file));
    return { toCheck, extra, program, failed, entries };
  }

  /**
   * Takes each file's outcome as it arrives and validates it at once: this thread validates one
   * file while the worker evaluates the next.
   */
  private onEvaluated(pass: Pass): (outcome: EntryOutcome) => void {
    const locate = this.locator();
    return (outcome) => {
      this.evaluated(outcome);
      const state = this.files.get(outcome.file)!;
      if (state.errors) pass.failed.add(outcome.file);
      else if (state.definitions) this.validations.set(state.definitions, this.validate(outcome.file, state, locate));
    };
  }

  /** One file's validation (shared with the other environments' compilers when it can be). */
  private validate(file: string, state: FileState, locate: Locate): FileValidation {
    const definitions = state.definitions!;
    const own = (names: NameResolver | undefined) => validateFile({ file, definitions }, locate, names);
    if (!this.shared || state.source === undefined) return own(this.names);
    return this.shared.validate({ file, source: state.source, text: state.text, map: state.emitted?.map, names: this.names }, own);
  }

  private complete({ toCheck, extra, program, failed }: Pass): CompileResult {
    // Only modules the workflow files still import count: an import removed by an edit must not
    // keep reporting the errors of the module it pointed to.
    const reachable = new Set<string>();
    for (const file of this.workflowFiles) this.files.addWithImports(file, reachable);
    if (program) this.remember(reachable, program, failed);
    return this.assemble(failed, toCheck, extra, reachable);
  }

  /** Records files that passed in the check cache (only when every user file is a module). */
  private remember(files: Set<string>, program: TsProgram, failed: Set<string> = new Set()): void {
    if (!this.cache) return;
    for (const file of this.files.keys()) {
      const node = program.getSourceFile(file);
      // A script (no import/export) declares globals every other file sees: no caching then.
      if (node && !tsMorph().ts.isExternalModule(node)) return;
    }
    for (const file of files) {
      const state = this.files.get(file);
      if (!state) continue;
      if (state.errors || failed.has(file)) this.cache.delete(file);
      else this.cache.set(file, { hash: state.hash, deps: Object.fromEntries(state.deps), ...state.emitted });
    }
    this.cache.save();
  }

  private evaluated({ file, definitions, source, failures }: EntryOutcome): void {
    const state = this.files.get(file)!;
    if (definitions && failures.length === 0) {
      state.definitions = definitions;
      if (source === undefined) delete state.source;
      else state.source = source;
      delete state.errors;
    } else {
      state.errors = failures.map((f) => this.failureToError(f, file));
      delete state.definitions;
      delete state.source;
    }
  }

  private failureToError(err: unknown, file: string): WfsyncError {
    if (!(err instanceof EvaluationFailure)) throw err;
    const at = err.at ?? { file: err.file, line: 1, column: 1 };
    const text = this.files.get(at.file)?.text ?? "";
    const shown = displayPath(file, this.root);
    const [code, message] =
      err.kind === "rejected"
        ? ["E_UNHANDLED_REJECTION", `evaluating ${shown} left a rejected promise that nothing handled: ${err.thrown}`]
        : ["E_BUILDER_THREW", `evaluating ${shown} threw ${err.thrown}`];
    return new WfsyncError(code, message, {
      location: { file: displayPath(at.file, this.root), line: at.line, column: at.column },
      sourceText: text || undefined,
      cause: err,
    });
  }

  private assemble(failedFiles: Set<string>, checked: Set<string>, extra: WfsyncError[], reachable: Set<string>): CompileResult {
    const errors: WfsyncError[] = [...extra];
    const good: FileValidation[] = [];
    const locate = this.locator();
    const seen = new Set<string>();
    for (const [file, state] of this.files) {
      if (!reachable.has(file) || !state.errors) continue;
      for (const e of state.errors) {
        const key = `${e.code} ${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}` : ""} ${e.message}`;
        if (!seen.has(key)) errors.push(e);
        seen.add(key);
      }
    }
    for (const file of [...this.workflowFiles].sort()) {
      const state = this.files.get(file);
      if (!state?.definitions || failedFiles.has(file)) continue;
      if (state.definitions.length === 0 && this.importersOf(file).length === 0) {
        errors.push(
          new WfsyncError("E_NO_WORKFLOWS", "this workflow file exports no workflow(...); export one (default or named) or an array of them", {
            location: { file: displayPath(file, this.root), line: 1, column: 1 },
          }),
        );
        continue;
      }
      let validation = this.validations.get(state.definitions);
      if (!validation) {
        validation = this.validate(file, state, locate);
        this.validations.set(state.definitions, validation);
      }
      good.push(validation);
    }
    const validation = mergeValidations(good, this.target);
    errors.push(...this.withSourceTexts(validation.errors));
    const ofWorkflows = (files: Set<string>) => new Set([...files].filter((f) => this.workflowFiles.has(f)));
    return { ...validation, errors, failedFiles: ofWorkflows(failedFiles), checkedFiles: ofWorkflows(checked), fromCache: !this.projectInstance };
  }

  /** Validation problems get their file's text, for the same code frame as type errors. */
  private withSourceTexts(errors: readonly WfsyncError[]): WfsyncError[] {
    if (!errors.length) return [];
    const texts = new Map<string, string>();
    for (const [file, state] of this.files) texts.set(displayPath(file, this.root), state.text);
    return errors.map((e) => {
      const text = e.location && e.sourceText === undefined ? texts.get(e.location.file) : undefined;
      return text ? withSourceText(e, text) : e;
    });
  }

  private locator(): Locate {
    const evaluator = new ModuleEvaluator(this.host());
    // Every option and step is located, in a few files: each is made relative once.
    const shown = new Map<string, string>();
    const show = (file: string): string => {
      let display = shown.get(file);
      if (display === undefined) shown.set(file, (display = displayPath(file, this.root)));
      return display;
    };
    return (site, fallbackFile): SourceLocation => {
      const mapped = site ? evaluator.locate(site) : undefined;
      const state = mapped && this.files.get(mapped.file);
      let pos = mapped;
      if (mapped && state) {
        state.starts ??= lineStarts(state.text);
        pos = { file: mapped.file, ...callStart(state.text, state.starts, mapped.line, mapped.column) };
      }
      const file = pos?.file ?? fallbackFile;
      return { file: show(file), line: pos?.line ?? 1, column: pos?.column ?? 1 };
    };
  }

  private host(context: EvaluationContext = this.context): ModuleHost {
    return {
      sandbox: this.sandbox,
      context,
      ...(this.evaluationTimeoutMs === undefined ? {} : { timeoutMs: this.evaluationTimeoutMs }),
      emitted: (file) => {
        const state = this.files.get(file);
        if (!state) return undefined;
        state.emitted ??= transpileForEval(state.text, file);
        return state.emitted;
      },
      deps: (file) => this.files.get(file)?.deps,
      ...(this.shared ? { shared: this.shared } : {}),
    };
  }

  /** Module resolution as the checker does it (only used on the checked path). */
  private resolve(fromFile: string, specifier: string): string | undefined {
    if (!this.projectInstance) return undefined;
    const key = `${fromFile}\0${specifier}`;
    if (!this.resolutions.has(key)) {
      const { ts } = tsMorph();
      const resolved = ts.resolveModuleName(specifier, fromFile, this.projectInstance.getCompilerOptions(), ts.sys).resolvedModule;
      this.resolutions.set(key, resolved ? path.resolve(resolved.resolvedFileName) : undefined);
    }
    return this.resolutions.get(key);
  }

  private isUserFile(file: string): boolean {
    return !file.includes("/node_modules/") && !file.startsWith(this.dslDir + path.sep) && !file.startsWith(path.dirname(this.dslDir) + path.sep);
  }

  private forget(file: string): void {
    const sf = this.projectInstance?.getSourceFile(file);
    if (sf) this.projectInstance!.removeSourceFile(sf);
    this.files.delete(file);
  }
}

/**
 * A file's first syntax error, not its cascade: one missing `)` or `}` makes TypeScript report
 * an error at every line after it, each a consequence of the first. The first is shown with its
 * frame; how many followed is said in its detail.
 */
function firstSyntaxError(errors: readonly WfsyncError[]): WfsyncError[] {
  const sorted = [...errors].sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
  const [first, ...rest] = sorted;
  if (!first || rest.length === 0) return [...errors];
  const more = `${rest.length} more syntax ${rest.length === 1 ? "error follows" : "errors follow"} in this file, most likely caused by this one: fix it first`;
  return [
    new WfsyncError(first.code, first.message, {
      location: first.location,
      related: first.related,
      sourceText: first.sourceText,
      detail: first.detail ? `${first.detail}\n${more}` : more,
      userError: first.userError,
    }),
  ];
}
