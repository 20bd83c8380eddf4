/**
 * Runs emitted CommonJS with `vm.compileFunction` and a custom `require`: faster than writing
 * files and `import()`-ing them, and nothing accumulates in an ES module cache over the life of a
 * watch daemon (each evaluation's modules are garbage once its result is dropped).
 */
import path from "node:path";
import vm from "node:vm";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import type { CallSite } from "../dsl/callsite.js";

export interface EmittedModule {
  readonly code: string;
  readonly map: string;
}

export interface ModuleHost {
  /** The emitted code of a project file (absolute path), or undefined if it is not one. */
  emitted(file: string): EmittedModule | undefined;
  /** Resolves a relative import to a project file (absolute path). */
  resolve(fromFile: string, specifier: string): string | undefined;
  /** What `require("wfsync")` returns. */
  readonly dsl: unknown;
  /** How long one evaluation (a file, its imports and its builders) may run; default 30 s. */
  readonly timeoutMs?: number;
}

/** Long enough for any real project (1,000 options evaluate in milliseconds). */
export const DEFAULT_EVALUATION_TIMEOUT_MS = 30_000;

/** A failure while evaluating: where (in the user's TypeScript) and what was thrown. */
export class EvaluationFailure extends Error {
  constructor(
    readonly file: string,
    /** Where it was thrown, in the TypeScript of `at.file` (which may be a module `file` imports). */
    readonly at: { file: string; line: number; column: number } | undefined,
    readonly thrown: unknown,
  ) {
    super(thrown instanceof Error ? thrown.message : String(thrown));
  }
}

const PARAMS = ["exports", "require", "module", "__filename", "__dirname"];

/**
 * Runs the function stored under RUN_KEY. A vm script is the only way to put a time limit on
 * synchronous JavaScript: an endless loop in a workflow file would otherwise hang validate,
 * plan and a watch daemon for ever, with no message.
 */
const RUN_KEY = Symbol.for("wfsync.evaluate.run");
const RUN_SCRIPT = new vm.Script(`globalThis[Symbol.for("wfsync.evaluate.run")]()`, { filename: "wfsync:evaluate" });

/** `process` methods that would end wfsync itself; refused while user code runs. */
const PROCESS_ENDERS = ["exit", "abort", "reallyExit"] as const;

/** One evaluation pass: a module cache that lives as long as this object. */
export class ModuleEvaluator {
  private readonly cache = new Map<string, { exports: unknown }>();
  private readonly maps = new Map<string, TraceMap>();
  private running = false;

  constructor(private readonly host: ModuleHost) {}

  /**
   * Evaluates a project file (and what it imports); throws EvaluationFailure. Evaluation is
   * synchronous, so for its length nothing else of wfsync runs: `process.exit()` and friends
   * are swapped for functions that throw (a workflow file must not end an apply or a daemon,
   * least of all with exit code 0), and it is stopped after `timeoutMs`.
   */
  load(file: string): unknown {
    if (this.running) return this.loadModule(file);
    const g = globalThis as unknown as Record<symbol, unknown>;
    const proc = process as unknown as Record<string, unknown>;
    const saved = PROCESS_ENDERS.map((name) => [name, proc[name]] as const);
    const { prepareStackTrace, stackTraceLimit } = Error;
    let result: unknown;
    this.running = true;
    for (const [name, original] of saved) {
      if (typeof original !== "function") continue;
      proc[name] = () => {
        throw new Error(`a workflow file may not end the process (process.${name}); throw an Error to report a problem`);
      };
    }
    g[RUN_KEY] = () => {
      result = this.loadModule(file);
    };
    const timeoutMs = this.host.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
    try {
      RUN_SCRIPT.runInThisContext({ timeout: timeoutMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException | null)?.code !== "ERR_SCRIPT_EXECUTION_TIMEOUT") throw err;
      // Stopped mid-way, no `finally` of the user's code (or ours) ran: forget every module.
      this.cache.clear();
      Error.prepareStackTrace = prepareStackTrace;
      Error.stackTraceLimit = stackTraceLimit;
      throw new EvaluationFailure(
        file,
        undefined,
        new Error(`it did not finish within ${timeoutMs / 1000} s; is there an endless loop at its top level or in a builder?`),
      );
    } finally {
      delete g[RUN_KEY];
      for (const [name, original] of saved) proc[name] = original;
      this.running = false;
    }
    return result;
  }

  private loadModule(file: string): unknown {
    const cached = this.cache.get(file);
    if (cached) return cached.exports;
    const emitted = this.host.emitted(file);
    if (!emitted) throw new EvaluationFailure(file, undefined, new Error(`${file} is not part of the project`));
    const module = { exports: {} as unknown };
    this.cache.set(file, module);
    let fn: Function;
    try {
      fn = vm.compileFunction(emitted.code, PARAMS, { filename: file });
    } catch (err) {
      throw new EvaluationFailure(file, undefined, err);
    }
    try {
      fn(module.exports, (spec: string) => this.require(file, spec), module, file, path.dirname(file));
    } catch (err) {
      this.cache.delete(file);
      if (err instanceof EvaluationFailure) throw err;
      throw new EvaluationFailure(file, this.userFrame(err), err);
    }
    return module.exports;
  }

  /** Maps a position in emitted JavaScript back to the TypeScript source (1-based). */
  original(file: string, line: number, column: number): { line: number; column: number } | undefined {
    let map = this.maps.get(file);
    if (!map) {
      const emitted = this.host.emitted(file);
      if (!emitted?.map) return undefined;
      map = new TraceMap(emitted.map);
      this.maps.set(file, map);
    }
    const pos = originalPositionFor(map, { line, column: Math.max(0, column - 1) });
    if (pos.line === null) return undefined;
    return { line: pos.line, column: pos.column + 1 };
  }

  /** A CallSite recorded by the DSL, mapped to file:line:col of the TypeScript. */
  locate(site: CallSite): { file: string; line: number; column: number } | undefined {
    const pos = this.original(site.file, site.line, site.column);
    return pos ? { file: site.file, ...pos } : undefined;
  }

  private require(fromFile: string, specifier: string): unknown {
    if (specifier === "wfsync") return this.host.dsl;
    if (specifier.startsWith(".") || path.isAbsolute(specifier)) {
      const target = this.host.resolve(fromFile, specifier);
      if (target) return this.load(target);
      throw new Error(`Cannot find module '${specifier}' imported from ${fromFile}`);
    }
    throw new Error(
      `Cannot import '${specifier}': workflow files may import "wfsync" and each other (they declare options; they do no I/O)`,
    );
  }

  /**
   * The innermost stack frame of a thrown error that is in a project file, mapped: the user's
   * throw site, even when a helper module threw (frames in the DSL or Node are skipped).
   */
  private userFrame(err: unknown): { file: string; line: number; column: number } | undefined {
    const stack = err instanceof Error && typeof err.stack === "string" ? err.stack : "";
    const frames: { file: string; line: number; column: number }[] = [];
    for (const m of stack.matchAll(/\(?([^\s()]+):(\d+):(\d+)\)?$/gm)) {
      frames.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]) });
    }
    const own = frames.find((f) => this.host.emitted(f.file));
    if (!own) return undefined;
    const pos = this.original(own.file, own.line, own.column);
    return pos ? { file: own.file, ...pos } : undefined;
  }
}
