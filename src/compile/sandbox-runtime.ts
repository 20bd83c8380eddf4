/**
 * What runs inside each evaluation context next to the user's code: the DSL, a CommonJS loader
 * for the project's modules, and the conversion of what the builders declared into a JSON string.
 *
 * Nothing of wfsync's own realm is handed into a context (a host function there is the classic
 * escape: `fn.constructor("return process")()`), so this code cannot be a closure over wfsync's
 * objects: the sandbox runs its *source text* in the context (sandboxRuntimeSource). Each function
 * whose source is taken must therefore refer only to its parameters and JavaScript's builtins.
 * It captures the builtins it uses before any user code runs, so a workflow file that tampers
 * with `JSON` or `Object` only spoils its own result (which the host checks anyway).
 */
import { callSiteOf } from "../dsl/callsite.js";
import { defineConfig } from "../dsl/config.js";
import { createDefineValues, type DefineValues, type ValuesContext } from "../dsl/values.js";
import { createDsl, type Dsl } from "../dsl/workflow.js";

/** The global through which the worker calls the runtime; neither writable nor configurable. */
export const API_GLOBAL = "__wfsync";

/** What the runtime offers the worker. Every answer is a primitive; arguments are strings. */
export interface SandboxApi {
  /** Before any user code runs: a module's compiled function (or its syntax error) and imports (JSON). */
  register(file: string, fn: Function | undefined, depsJson: string, compileError: string | undefined): void;
  /**
   * Before any user code runs: the entry files (JSON list), in order, what to read of them, and
   * the run's EvaluationContext (JSON).
   */
  plan(entriesJson: string, kind: EntryKind, contextJson: string): void;
  /** Evaluates the next entry; always a JSON string (EntryData). */
  next(): string;
  /** The error an `import()` is refused with: made in here, so it is no object of the host's. */
  importRefused(specifier: string): unknown;
  /** Keeps a value (a rejection reason) for describePosted, touching nothing of it. */
  post(value: unknown): void;
  /** Describes the posted value; a JSON string (ThrownData). */
  describePosted(): string;
  /**
   * Whether any code in this context has read the pass's EvaluationContext so far (the chosen
   * environment through `defineValues`, or `process` in the config). Until it has, nothing the
   * context computed can depend on which environment the pass is for.
   */
  contextRead(): boolean;
}

/** Workflow files give their definitions; a config file its exports, as data. */
export type EntryKind = "workflows" | "module";

/** What a pass knows of the run beyond the code: the environment chosen, and (config only) variables. */
export interface EvaluationContext extends ValuesContext {
  /**
   * What `process.env` holds while a "module" pass (the config) runs; without it `process` is
   * refused as in workflow files. Credentials are taken out before it gets here.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A user's value as JSON. Strings, booleans, finite numbers and null are themselves; arrays are
 * arrays; a plain object is itself unless it has a key "$" or "__proto__". The rest is tagged:
 * `{ $: kind, v }`. Fields the DSL always sets (key, name, rank, ids) are left out when undefined.
 */
export type Encoded =
  | string
  | number
  | boolean
  | null
  | Encoded[]
  | { [key: string]: Encoded }
  | { $: "undefined" }
  | { $: "number" | "bigint" | "symbol" | "function" | "cut"; v: string }
  | { $: "object"; v: [string, Encoded][] };

/** [index into EntryData.files, line, column] in the evaluated JavaScript (1-based); 0: unknown. */
export type SiteData = [number, number, number] | 0;

export interface StepData {
  stepType: string;
  method: string;
  fields: Encoded;
  options?: OptionData[];
  async: boolean;
  site: SiteData;
}

export interface OptionData {
  key?: Encoded;
  name?: Encoded;
  rank?: Encoded;
  /** The option's kind as written (`{ selection: 12 }`), when one was given. */
  when?: Encoded;
  position: number;
  steps: StepData[];
  async: boolean;
  site: SiteData;
}

export interface MoveData {
  from?: Encoded;
  to?: Encoded;
  site: SiteData;
}

export interface SplitData {
  workflowStepId?: Encoded;
  options: OptionData[];
  moves?: MoveData[];
  async: boolean;
  site: SiteData;
}

export interface DefinitionData {
  workflowId?: Encoded;
  splits: SplitData[];
  async: boolean;
  site: SiteData;
}

export interface ThrownData {
  /** `Name: message` of an Error, the string form of anything else. */
  text: string;
  /** Innermost first: [file, line, column] of the evaluated JavaScript. */
  frames: [string, number, number][];
  /** The innermost project module that was being loaded when it was thrown. */
  module?: string;
}

export type EntryData =
  /** `files`: the file names the sites point to (each once). */
  | { ok: true; definitions: DefinitionData[]; files: string[] }
  | { ok: true; exports: Encoded }
  | { ok: false; thrown: ThrownData };

/** The script run first in every context; its completion value is the SandboxApi. */
export function sandboxRuntimeSource(): string {
  return `"use strict";\n(${installRuntime.toString()})(globalThis, (${createDsl.toString()})(${callSiteOf.toString()}), ${defineConfig.toString()}, ${createDefineValues.toString()}, ${JSON.stringify(API_GLOBAL)});\n`;
}

/**
 * Installs the runtime in the context whose global is `global`. Self-contained (see above).
 * Also takes away what would let user code schedule work that runs after its evaluation was
 * judged (Atomics.waitAsync on shared memory, WebAssembly's async compile, finalizers): with
 * no timers either, all it can schedule is promise jobs, which finish before the entry's result
 * is taken (the context runs its microtasks after each entry) and whose rejections are reported.
 */
function installRuntime(
  global: typeof globalThis,
  dsl: Dsl,
  defineConfig: (c: unknown) => unknown,
  makeDefineValues: (context: () => ValuesContext) => DefineValues,
  apiName: string,
): SandboxApi {
  const { stringify, parse } = JSON;
  const { keys, freeze, defineProperty } = Object;
  const { isArray } = Array;
  const ErrorCtor = Error;
  const SyntaxErrorCtor = SyntaxError;
  const apply = Reflect.apply;
  const { isInteger, isFinite } = Number;
  const StringOf = String;
  const SetOf = Set;
  const MapOf = Map;

  for (const name of ["SharedArrayBuffer", "Atomics", "WebAssembly", "FinalizationRegistry"]) delete (global as Record<string, unknown>)[name];
  // Set by plan() before any user code of the pass runs.
  let context: EvaluationContext = {};
  let configProcess: unknown;
  // The context reaches user code through these two getters only (`process` and defineValues'
  // context): each says it was read, and the host reuses only results for which neither ran.
  let contextRead = false;
  defineProperty(global, "process", {
    get() {
      if (kind === "module" && configProcess !== undefined) {
        contextRead = true;
        return configProcess;
      }
      throw new ReferenceError(
        "process is not available in a workflow file: workflow files only declare options (no environment, files, network or exit); throw an Error to report a problem",
      );
    },
    configurable: false,
  });

  const defineValues = makeDefineValues(() => {
    contextRead = true;
    return context;
  });
  const exportsOfDsl = freeze({ workflow: dsl.workflow, defineConfig, defineValues });
  interface Module { fn: Function | undefined; deps: Record<string, string>; compileError: string | undefined; module?: { exports: unknown } }
  const modules = new MapOf<string, Module>();
  const failures = new WeakSet<object>();
  interface Failure { error: unknown; module: string }
  let entries: string[] = [];
  let kind: EntryKind = "workflows";
  let cursor = 0;
  let posted: unknown;

  function fail(module: string, error: unknown): Failure {
    const f = { error, module };
    failures.add(f);
    return f;
  }

  function dirname(file: string): string {
    const i = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
    return i <= 0 ? file.slice(0, i + 1) : file.slice(0, i);
  }

  function load(file: string): unknown {
    const m = modules.get(file);
    if (m === undefined) throw new ErrorCtor(`${file} is not part of the project`);
    if (m.module !== undefined) return m.module.exports;
    if (m.compileError !== undefined || m.fn === undefined) throw fail(file, new SyntaxErrorCtor(m.compileError ?? "cannot be compiled"));
    const module = { exports: {} as unknown };
    m.module = module;
    try {
      apply(m.fn, undefined, [module.exports, (specifier: string) => requireFrom(file, specifier), module, file, dirname(file)]);
    } catch (err) {
      m.module = undefined;
      throw failures.has(err as object) ? err : fail(file, err);
    }
    return module.exports;
  }

  function requireFrom(file: string, specifier: string): unknown {
    if (specifier === "wfsync") return exportsOfDsl;
    const spec = StringOf(specifier);
    if (spec.startsWith(".") || spec.startsWith("/") || /^[A-Za-z]:[\\/]/.test(spec)) {
      const target = modules.get(file)?.deps[spec];
      if (target !== undefined && modules.has(target)) return load(target);
      throw new ErrorCtor(`Cannot find module '${spec}' imported from ${file}`);
    }
    throw new ErrorCtor(`Cannot import '${spec}': workflow files may import "wfsync" and each other (they declare options; they do no I/O)`);
  }

  const UNDEFINED = freeze({ $: "undefined" as const });

  /** Kept small and monomorphic: this runs for every value of every option. */
  function encode(value: unknown, depth: number, seen: Set<object> | undefined): Encoded {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        return isFinite(value) && (value !== 0 || 1 / value > 0) ? value : { $: "number", v: value === 0 ? "-0" : StringOf(value) };
      case "undefined":
        return UNDEFINED;
      case "bigint":
        return { $: "bigint", v: StringOf(value) };
      case "symbol":
        return { $: "symbol", v: value.description ?? "" };
      case "function":
        return { $: "function", v: StringOf(value.name) };
      default:
        return value === null ? null : encodeObject(value as Record<string, unknown>, depth, seen ?? new SetOf());
    }
  }

  function encodeObject(object: Record<string, unknown>, depth: number, seen: Set<object>): Encoded {
    if (seen.has(object)) return { $: "cut", v: "[circular]" };
    if (depth > 16) return { $: "cut", v: "[nested too deep]" };
    seen.add(object);
    try {
      if (isArray(object)) {
        const out: Encoded[] = [];
        for (let i = 0; i < object.length; i++) out.push(encode(object[i], depth + 1, seen));
        return out;
      }
      const names = keys(object);
      if (names.includes("$") || names.includes("__proto__")) {
        return { $: "object", v: names.map((k): [string, Encoded] => [k, encode(object[k], depth + 1, seen)]) };
      }
      const out: Record<string, Encoded> = {};
      for (const k of names) out[k] = encode(object[k], depth + 1, seen);
      return out;
    } finally {
      seen.delete(object);
    }
  }

  /** key, name, rank and ids: left out when undefined (the host reads a missing one as that). */
  function encodeField(value: unknown): Encoded | undefined {
    return value === undefined ? undefined : encode(value, 0, undefined);
  }

  function list<T>(value: unknown): T[] {
    return isArray(value) ? (value as T[]) : [];
  }

  let files: string[] = [];
  let fileIndex = new MapOf<string, number>();

  function site(value: unknown): SiteData {
    const s = value as { file?: unknown; line?: unknown; column?: unknown } | undefined;
    if (!s || typeof s.file !== "string" || !isInteger(s.line) || !isInteger(s.column)) return 0;
    let i = fileIndex.get(s.file);
    if (i === undefined) {
      i = files.length;
      files.push(s.file);
      fileIndex.set(s.file, i);
    }
    return [i, s.line as number, s.column as number];
  }

  function optionData(o: Record<string, unknown>): OptionData {
    return {
      key: encodeField(o.key),
      name: encodeField(o.name),
      rank: encodeField(o.rank),
      when: encodeField(o.when),
      position: isInteger(o.position) ? (o.position as number) : 0,
      steps: list<Record<string, unknown>>(o.steps).map(stepData),
      async: o.async === true,
      site: site(o.site),
    };
  }

  function stepData(s: Record<string, unknown>): StepData {
    const data: StepData = { stepType: StringOf(s.stepType), method: StringOf(s.method), fields: encode(s.fields, 0, undefined), async: s.async === true, site: site(s.site) };
    if (s.options !== undefined) data.options = list<Record<string, unknown>>(s.options).map(optionData);
    return data;
  }

  function splitData(s: Record<string, unknown>): SplitData {
    const data: SplitData = { workflowStepId: encodeField(s.workflowStepId), options: list<Record<string, unknown>>(s.options).map(optionData), async: s.async === true, site: site(s.site) };
    if (s.moves !== undefined) data.moves = list<Record<string, unknown>>(s.moves).map((m) => ({ from: encodeField(m.from), to: encodeField(m.to), site: site(m.site) }));
    return data;
  }

  function definitionData(d: Record<string, unknown>): DefinitionData {
    return { workflowId: encodeField(d.workflowId), splits: list<Record<string, unknown>>(d.splits).map(splitData), async: d.async === true, site: site(d.site) };
  }

  function definitionsOf(exports: unknown): DefinitionData[] {
    const out: DefinitionData[] = [];
    if (exports === null || (typeof exports !== "object" && typeof exports !== "function")) return out;
    const record = exports as Record<string, unknown>;
    for (const name of keys(record)) {
      const value = record[name];
      for (const item of isArray(value) ? value : [value]) if (dsl.isWorkflowDefinition(item)) out.push(definitionData(item as unknown as Record<string, unknown>));
    }
    return out;
  }

  function framesOf(thrown: unknown): [string, number, number][] {
    if (thrown === null || (typeof thrown !== "object" && typeof thrown !== "function")) return [];
    const saved = ErrorCtor.prepareStackTrace;
    ErrorCtor.prepareStackTrace = (_err, callSites) =>
      callSites.map((c): [string, number, number] => [StringOf(c.getFileName() ?? ""), c.getLineNumber() ?? 0, c.getColumnNumber() ?? 0]);
    let stack: unknown;
    try {
      stack = (thrown as { stack?: unknown }).stack;
    } catch {
      stack = undefined;
    } finally {
      ErrorCtor.prepareStackTrace = saved;
    }
    if (isArray(stack)) return stack.filter((f): f is [string, number, number] => isArray(f) && typeof f[0] === "string" && f[0] !== "");
    if (typeof stack !== "string") return [];
    const frames: [string, number, number][] = [];
    for (const m of stack.matchAll(/\(?([^\s()]+):(\d+):(\d+)\)?$/gm)) frames.push([m[1]!, Number(m[2]), Number(m[3])]);
    return frames;
  }

  function describe(thrown: unknown, module?: string): ThrownData {
    let text: string;
    try {
      text = thrown instanceof ErrorCtor ? `${StringOf(thrown.name)}: ${StringOf(thrown.message)}` : StringOf(thrown);
    } catch {
      text = "a value that cannot be shown";
    }
    return { text, frames: framesOf(thrown), ...(module === undefined ? {} : { module }) };
  }

  function next(): string {
    const file = entries[cursor++]!;
    try {
      const exports = load(file);
      files = [];
      fileIndex = new MapOf();
      const data: EntryData = kind === "module" ? { ok: true, exports: encode(exports, 0, undefined) } : { ok: true, definitions: definitionsOf(exports), files };
      return stringify(data);
    } catch (err) {
      const failure = failures.has(err as object) ? (err as Failure) : { error: err, module: file };
      try {
        return stringify({ ok: false, thrown: describe(failure.error, failure.module) } satisfies EntryData);
      } catch {
        return stringify({ ok: false, thrown: { text: "a value that cannot be shown", frames: [], module: failure.module } } satisfies EntryData);
      }
    }
  }

  const api: SandboxApi = freeze({
    register(file: string, fn: Function | undefined, depsJson: string, compileError: string | undefined) {
      modules.set(file, { fn, deps: parse(depsJson) as Record<string, string>, compileError });
    },
    plan(entriesJson: string, entryKind: EntryKind, contextJson: string) {
      entries = parse(entriesJson) as string[];
      kind = entryKind;
      context = parse(contextJson) as EvaluationContext;
      const env = context.env;
      configProcess = env === undefined ? undefined : freeze({ env: freeze({ ...env }) });
      cursor = 0;
    },
    next,
    importRefused(specifier: string) {
      return new ErrorCtor(`Cannot import '${specifier}': import() is not available in workflow files; use a static import of "wfsync" or a project file`);
    },
    post(value: unknown) {
      posted = value;
    },
    describePosted() {
      const value = posted;
      posted = undefined;
      try {
        return stringify(describe(value));
      } catch {
        return stringify({ text: "a value that cannot be shown", frames: [] } satisfies ThrownData);
      }
    },
    contextRead() {
      return contextRead;
    },
  });
  defineProperty(global, apiName, { value: api, writable: false, enumerable: false, configurable: false });
  return api;
}
