/**
 * Runs emitted CommonJS with `vm.compileFunction` and a custom `require`: faster than writing
 * files and `import()`-ing them, and nothing accumulates in an ES module cache over the life of a
 * watch daemon (each evaluation's modules are garbage once its result is dropped).
 */
import { createRequire, isBuiltin } from "node:module";
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
}

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
const nodeRequire = createRequire(import.meta.url);

/** One evaluation pass: a module cache that lives as long as this object. */
export class ModuleEvaluator {
  private readonly cache = new Map<string, { exports: unknown }>();
  private readonly maps = new Map<string, TraceMap>();

  constructor(private readonly host: ModuleHost) {}

  /** Evaluates a project file (and what it imports); throws EvaluationFailure. */
  load(file: string): unknown {
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
    if (isBuiltin(specifier)) return nodeRequire(specifier);
    throw new Error(
      `Cannot import '${specifier}': workflow files may import "wfsync", Node's built-in modules and each other`,
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
