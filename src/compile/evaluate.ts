/**
 * Evaluates the user's emitted CommonJS — workflow files, the modules they import, the config
 * file — in the sandbox (sandbox.ts: a worker thread with an empty environment, a fresh `vm`
 * context per pass holding nothing of wfsync's), and turns its answers into what the compiler
 * works with: each file's definitions (or a config file's exports), or failures located in the
 * user's TypeScript through the source maps. The source maps never leave this thread.
 */
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import type { CallSite } from "../dsl/callsite.js";
import type { WorkflowDefinition } from "../dsl/workflow.js";
import { decodeDefinitions, decodeValue } from "./decode.js";
import type { EntryData, EntryKind, EvaluationContext, ThrownData } from "./sandbox-runtime.js";
import type { EmittedModule, EvaluationSandbox, SandboxEntryResult, SandboxJob, SandboxModule } from "./sandbox.js";
import type { SharedResults } from "./shared.js";

export type { EmittedModule } from "./sandbox.js";

export interface ModuleHost {
  /** The emitted code of a project file (absolute path), or undefined if it is not one. */
  emitted(file: string): EmittedModule | undefined;
  /** The project files a project file imports: specifier → absolute path. */
  deps(file: string): ReadonlyMap<string, string> | undefined;
  /** Where the code runs (long-lived: one per compiler). */
  readonly sandbox: EvaluationSandbox;
  /** How long one evaluation (a file, its imports and its builders) may run; default 30 s. */
  readonly timeoutMs?: number;
  /** What the user's code is told of the run (the environment chosen; the config's variables). */
  readonly context?: EvaluationContext;
  /** Definitions decoded by the other compilers of a fleet run (see shared.ts). */
  readonly shared?: Pick<SharedResults, "decodedFrom" | "keepDecoded">;
}

/** Long enough for any real project (1,000 options evaluate in milliseconds). */
export const DEFAULT_EVALUATION_TIMEOUT_MS = 30_000;

type Position = { file: string; line: number; column: number };

/** A failure while evaluating: where (in the user's TypeScript) and what was thrown. */
export class EvaluationFailure extends Error {
  constructor(
    readonly file: string,
    /** Where it was thrown, in the TypeScript of `at.file` (which may be a module `file` imports). */
    readonly at: Position | undefined,
    /** `Name: message` of the Error thrown, or the string form of another value. */
    readonly thrown: string,
    /** Thrown while evaluating, or a promise it rejected that nothing handled. */
    readonly kind: "threw" | "rejected" = "threw",
  ) {
    super(thrown);
  }
}

export interface EntryOutcome {
  readonly file: string;
  /** A workflow file's definitions, when it evaluated. */
  readonly definitions?: WorkflowDefinition[];
  /** The sandbox's answer (JSON) the definitions were decoded from. */
  readonly source?: string;
  /** A module's exports (as data), when it evaluated. */
  readonly exports?: Record<string, unknown>;
  /** Empty when the file evaluated cleanly. */
  readonly failures: readonly EvaluationFailure[];
}

/** One evaluation pass: its modules evaluate once, in one context, shared by its entries. */
export class ModuleEvaluator {
  private readonly maps = new Map<string, TraceMap>();

  constructor(private readonly host: ModuleHost) {}

  /**
   * Evaluates `entries` in order, blocking until the sandbox answers. `onOutcome` gets each
   * entry's outcome as soon as it is there (the worker evaluates the next one meanwhile).
   */
  evaluateSync(entries: readonly string[], kind: EntryKind, onOutcome?: (outcome: EntryOutcome) => void): EntryOutcome[] {
    if (entries.length === 0) return [];
    const { job, outcomes } = this.job(entries, kind, onOutcome);
    this.host.sandbox.runSync(job);
    return outcomes;
  }

  /** Evaluates `entries` in order without blocking this thread. */
  async evaluate(entries: readonly string[], kind: EntryKind, onOutcome?: (outcome: EntryOutcome) => void): Promise<EntryOutcome[]> {
    if (entries.length === 0) return [];
    const { job, outcomes } = this.job(entries, kind, onOutcome);
    await this.host.sandbox.evaluate(job);
    return outcomes;
  }

  /** Evaluates one module; returns its exports as data or throws its first EvaluationFailure. */
  load(file: string): Record<string, unknown> {
    const [outcome] = this.evaluateSync([file], "module");
    if (outcome!.failures.length) throw outcome!.failures[0];
    return outcome!.exports ?? {};
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
  locate(site: CallSite): Position | undefined {
    const pos = this.original(site.file, site.line, site.column);
    return pos ? { file: site.file, ...pos } : undefined;
  }

  /**
   * The entries and every project module they import (transitively), with their code; each
   * result is decoded into `outcomes` as it arrives.
   */
  private job(entries: readonly string[], kind: EntryKind, onOutcome?: (outcome: EntryOutcome) => void): { job: SandboxJob; outcomes: EntryOutcome[] } {
    const modules: SandboxModule[] = [];
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const emitted = this.host.emitted(file);
      if (!emitted) return;
      const deps = this.host.deps(file) ?? new Map<string, string>();
      modules.push({ file, emitted, deps });
      for (const dep of deps.values()) visit(dep);
    };
    for (const file of entries) visit(file);
    const outcomes: EntryOutcome[] = [];
    const timeoutMs = this.host.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
    const onResult = (index: number, result: SandboxEntryResult): void => {
      const outcome = this.outcome(entries[index]!, kind, timeoutMs, result);
      outcomes[index] = outcome;
      onOutcome?.(outcome);
    };
    const context = this.host.context;
    return { job: { kind, entries, modules, timeoutMs, onResult, ...(context ? { context } : {}) }, outcomes };
  }

  private outcome(file: string, kind: EntryKind, timeoutMs: number, result: SandboxEntryResult): EntryOutcome {
    const failures: EvaluationFailure[] = [];
    const fail = (message: string) => failures.push(new EvaluationFailure(file, undefined, message));
    let entry: EntryOutcome = { file, failures };
    switch (result.outcome) {
      case "timeout":
        fail(`Error: it did not finish within ${timeoutMs / 1000} s; is there an endless loop at its top level or in a builder?`);
        break;
      case "crashed":
        fail(`Error: the evaluation stopped unexpectedly${result.reason ? ` (${result.reason})` : ""}`);
        break;
      case "stopped":
        fail("Error: the evaluation was stopped (wfsync is shutting down)");
        break;
      case "done":
        entry = this.decode(file, kind, result.data, failures);
        break;
      default: {
        const never: never = result.outcome;
        return never;
      }
    }
    for (const text of result.rejections) {
      const thrown = parseThrown(text);
      failures.push(new EvaluationFailure(file, thrown && this.userFrame(thrown), thrown?.text ?? "a value that cannot be shown", "rejected"));
    }
    const unshown = result.rejected - result.rejections.length;
    if (unshown > 0) failures.push(new EvaluationFailure(file, undefined, `${unshown} more`, "rejected"));
    return entry;
  }

  private decode(file: string, kind: EntryKind, text: string, failures: EvaluationFailure[]): EntryOutcome {
    const shared = kind === "workflows" ? this.host.shared : undefined;
    const known = shared?.decodedFrom(file, text);
    if (known) return { file, definitions: known, source: text, failures };
    try {
      const data = JSON.parse(text) as EntryData;
      if (!data.ok) {
        const thrown = data.thrown;
        const module = typeof thrown.module === "string" ? thrown.module : file;
        failures.push(new EvaluationFailure(module, this.userFrame(thrown), String(thrown.text)));
        return { file, failures };
      }
      if (kind === "module") {
        const exports = decodeValue("exports" in data ? data.exports : null);
        return { file, exports: (exports !== null && typeof exports === "object" ? exports : {}) as Record<string, unknown>, failures };
      }
      const definitions = "definitions" in data ? decodeDefinitions(data.definitions, data.files) : decodeDefinitions(undefined, undefined);
      return { file, definitions: shared ? shared.keepDecoded(file, text, definitions) : definitions, source: text, failures };
    } catch {
      failures.push(new EvaluationFailure(file, undefined, "Error: what its builders declared could not be read (was a DSL object tampered with?)"));
      return { file, failures };
    }
  }

  /**
   * The innermost stack frame of a thrown error that is in a project file, mapped: the user's
   * throw site, even when a helper module threw (frames in the DSL or the sandbox are skipped).
   */
  private userFrame(thrown: ThrownData): Position | undefined {
    const frames = Array.isArray(thrown.frames) ? thrown.frames : [];
    const own = frames.find((f) => Array.isArray(f) && typeof f[0] === "string" && this.host.emitted(f[0]));
    if (!own) return undefined;
    const [file, line, column] = own;
    const pos = this.original(file, Number(line), Number(column));
    return pos ? { file, ...pos } : undefined;
  }
}

function parseThrown(text: string): ThrownData | undefined {
  try {
    const data = JSON.parse(text) as ThrownData;
    return data && typeof data === "object" && typeof data.text === "string" ? data : undefined;
  } catch {
    return undefined;
  }
}
