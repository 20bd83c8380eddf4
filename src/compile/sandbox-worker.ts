/**
 * The evaluation worker: a thread started with an empty environment that evaluates the user's
 * modules in fresh `vm` contexts (one per evaluation pass) and answers with JSON strings.
 *
 * The thread runs the source text of `sandboxWorkerMain` (an `eval` worker), so the function
 * refers to nothing outside itself but `require` and Node's globals; the messages it exchanges
 * are typed below.
 *
 * What crosses into a context: strings (module code, import maps as JSON, entry lists), the
 * functions `vm.compileFunction` compiled *in* that context, and — for describing them — the
 * rejection reasons the context itself produced. What comes out: strings only; the worker never
 * reads a property of an object user code could have made (a getter or proxy would run outside
 * the time limit, and a host object reaching user code is an escape).
 */
import type { EntryKind, SandboxApi } from "./sandbox-runtime.js";

export interface SandboxWorkerData {
  readonly runtimeSource: string;
  readonly apiGlobal: string;
  /** The host's replies port: read with `receiveMessageOnPort`, so a synchronous host can wait. */
  readonly replies: import("node:worker_threads").MessagePort;
  /** Bumped (and notified) after every reply, for a host blocked in `Atomics.wait`. */
  readonly signal: Int32Array;
}

export interface SandboxModulePayload {
  readonly file: string;
  /** Sent when the worker does not have this version of the module yet. */
  readonly code?: string;
  /** Import specifier → project file, as JSON (sent with `code`). */
  readonly deps?: string;
}

export interface SandboxRequest {
  readonly id: number;
  readonly kind: EntryKind;
  /** Files to evaluate, in order; each is judged on its own (its own time limit and rejections). */
  readonly entries: readonly string[];
  /** Every project module the entries may load. */
  readonly modules: readonly SandboxModulePayload[];
  readonly timeoutMs: number;
  /** The pass's EvaluationContext, as JSON. */
  readonly context: string;
}

export type EntryOutcomeKind = "done" | "timeout" | "crashed";

export type SandboxReply =
  | { readonly id: number; readonly type: "start"; readonly index: number }
  | {
      readonly id: number;
      readonly type: "result";
      readonly index: number;
      readonly outcome: EntryOutcomeKind;
      /** The runtime's EntryData as JSON (only when `outcome` is "done"). */
      readonly data: string;
      /** ThrownData JSON of the first few unhandled rejections, and how many there were. */
      readonly rejections: readonly string[];
      readonly rejected: number;
      /** Whether code of this entry's context had read the pass's context by the end of it. */
      readonly contextRead: boolean;
    }
  | { readonly id: number; readonly type: "done" }
  | { readonly id: number; readonly type: "failed"; readonly message: string };

/** Rejections described per entry; more are only counted. */
const MAX_DESCRIBED = 3;

/**
 * The worker's code (run as the source text of this function; see above).
 *
 * Defence in depth, should anything ever get out of a context into this thread's own realm: the
 * thread's `process.env` is empty (the host starts it with `env: {}`), the `process` methods
 * that reach the OS (kill, abort, dlopen, bindings, built-in module loading) are removed, and so
 * are the constructors of functions (no `x.constructor.constructor("…")`). What remains is
 * the risk of a V8 or Node bug that gives code execution in this thread: it shares the process,
 * so it could read `/proc/self/environ` (on Linux, wfsync's environment as it was at start,
 * credentials included) or the main thread's memory. Only an OS boundary (a container, another
 * user, no secrets in the environment of a CI job that validates untrusted pull requests) closes
 * that; see the README.
 */
export function sandboxWorkerMain(maxDescribed: number): void {
  const vm = require("node:vm") as typeof import("node:vm");
  const { parentPort, workerData } = require("node:worker_threads") as typeof import("node:worker_threads");
  const { types } = require("node:util") as typeof import("node:util");
  const { runtimeSource, apiGlobal, replies, signal } = workerData as SandboxWorkerData;
  const PARAMS = ["exports", "require", "module", "__filename", "__dirname"];
  /** Describing a rejection reason runs its getters: a second is plenty. */
  const DESCRIBE_LIMIT_MS = 1000;
  const runtime = new vm.Script(runtimeSource, { filename: "wfsync:sandbox-runtime" });
  const entryScript = new vm.Script(`${apiGlobal}.next()`, { filename: "wfsync:entry" });
  const describeScript = new vm.Script(`${apiGlobal}.describePosted()`, { filename: "wfsync:describe" });
  const drainScript = new vm.Script("void 0", { filename: "wfsync:drain" });
  const OwnObjectPrototype = Object.prototype;
  const OwnFunctionPrototype = Function.prototype;
  const modules = new Map<string, { code: string; deps: string }>();
  interface Context { context: import("node:vm").Context; api: SandboxApi }
  /** Rejection reasons Node reported while an entry is being judged; untouched. */
  let judged: unknown[] | undefined;
  /** `import()`s refused since the context last ran its microtasks. */
  let imports = 0;

  process.on("unhandledRejection", (reason) => {
    judged?.push(reason);
  });

  function reply(message: SandboxReply): void {
    replies.postMessage(message);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
    parentPort!.postMessage(0);
  }

  /** Whether `value` is an object of this realm (checked without running any code of its). */
  function isOwnObject(value: unknown): boolean {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
    let p: unknown = value;
    while (p !== null) {
      if (types.isProxy(p)) return false;
      if (p === OwnObjectPrototype || p === OwnFunctionPrototype) return true;
      p = Object.getPrototypeOf(p);
    }
    return false;
  }

  /**
   * Node makes the timeout error in the context (so its prototype is the context's, which user
   * code may have changed): its own `code` is read through a descriptor, which runs no code.
   */
  function isTimeout(err: unknown): boolean {
    if (err === null || typeof err !== "object" || types.isProxy(err)) return false;
    return Object.getOwnPropertyDescriptor(err, "code")?.value === "ERR_SCRIPT_EXECUTION_TIMEOUT";
  }

  function open(req: SandboxRequest, from: number): Context {
    const context = vm.createContext(Object.create(null), {
      name: "wfsync workflow",
      codeGeneration: { strings: false, wasm: false },
      microtaskMode: "afterEvaluate",
    });
    // No user code has run in this context yet: what the runtime returns is still its own.
    const api = runtime.runInContext(context) as SandboxApi;
    const importModuleDynamically = (specifier: string): never => {
      imports++;
      throw api.importRefused(String(specifier));
    };
    for (const { file } of req.modules) {
      const m = modules.get(file);
      let fn: Function | undefined;
      let compileError: string | undefined = m ? undefined : "its code was not sent to the evaluation worker";
      if (m) {
        try {
          fn = vm.compileFunction(m.code, PARAMS, { filename: file, parsingContext: context, importModuleDynamically: importModuleDynamically as never });
        } catch (err) {
          compileError = String((err as { message?: unknown } | null)?.message ?? err);
        }
      }
      api.register(file, fn, m?.deps ?? "{}", compileError);
    }
    api.plan(JSON.stringify(req.entries.slice(from)), req.kind, req.context);
    return { context, api };
  }

  function describe(ctx: Context, reason: unknown, timeoutMs: number): string {
    if (isOwnObject(reason)) return JSON.stringify({ text: "an internal error of wfsync's sandbox", frames: [] });
    ctx.api.post(reason);
    try {
      const text = describeScript.runInContext(ctx.context, { timeout: timeoutMs });
      return typeof text === "string" ? text : "";
    } catch {
      return "";
    }
  }

  async function serve(req: SandboxRequest): Promise<void> {
    for (const m of req.modules) if (m.code !== undefined) modules.set(m.file, { code: m.code, deps: m.deps ?? "{}" });
    let ctx: Context | undefined;
    for (let index = 0; index < req.entries.length; index++) {
      reply({ id: req.id, type: "start", index });
      ctx ??= open(req, index);
      judged = [];
      let outcome: EntryOutcomeKind = "done";
      let data = "";
      // One budget for the entry and the promise jobs it leaves.
      const deadline = performance.now() + req.timeoutMs;
      const left = () => Math.max(1, Math.ceil(deadline - performance.now()));
      try {
        const out = entryScript.runInContext(ctx.context, { timeout: req.timeoutMs });
        if (typeof out === "string") data = out;
        else outcome = "crashed";
      } catch (err) {
        outcome = isTimeout(err) ? "timeout" : "crashed";
      }
      // Node reports the rejections nothing handled once this task is over: after one turn,
      // every rejection of this entry (its microtasks all ran) has been reported.
      await turn();
      // Except after an import(): Node refuses it through a promise of this realm, which settles
      // the context's promise only after that turn. Run those jobs too (a few rounds at most).
      for (let round = 0; imports > 0 && round < 3 && outcome === "done"; round++) {
        imports = 0;
        try {
          drainScript.runInContext(ctx.context, { timeout: left() });
        } catch (err) {
          outcome = isTimeout(err) ? "timeout" : "crashed";
        }
        await turn();
      }
      imports = 0;
      const reasons = judged;
      judged = undefined;
      const rejections = reasons.slice(0, maxDescribed).map((reason) => describe(ctx!, reason, DESCRIBE_LIMIT_MS));
      // After describing (which runs the reasons' getters): whatever this context ran so far.
      const contextRead = ctx.api.contextRead() !== false;
      // A context stopped mid-way has half-run modules: the next entry gets a fresh one.
      if (outcome !== "done") ctx = undefined;
      reply({ id: req.id, type: "result", index, outcome, data, rejections, rejected: reasons.length, contextRead });
    }
    reply({ id: req.id, type: "done" });
  }

  function turn(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  function harden(): void {
    const proc = process as unknown as Record<string, unknown>;
    // An own undefined property: it also hides one inherited from a prototype.
    const remove = (target: Record<string, unknown>, name: string): void => {
      try {
        Object.defineProperty(target, name, { value: undefined, writable: false, configurable: false });
      } catch {
        // Not configurable: left as it is.
      }
    };
    for (const name of ["kill", "abort", "binding", "_linkedBinding", "dlopen", "getBuiltinModule", "chdir", "setuid", "setgid", "seteuid", "setegid", "setgroups", "initgroups"]) {
      if (name in proc) remove(proc, name);
    }
    for (const name of ["require", "module", "exports", "fetch"]) remove(globalThis as Record<string, unknown>, name);
    for (const fn of [function () {}, async function () {}, function* () {}, async function* () {}]) {
      Object.defineProperty(Object.getPrototypeOf(fn), "constructor", { value: undefined, writable: false, configurable: false });
    }
  }

  harden();
  let queue = Promise.resolve();
  parentPort!.on("message", (req: SandboxRequest) => {
    queue = queue.then(() =>
      serve(req).catch((err: unknown) => reply({ id: req.id, type: "failed", message: isOwnObject(err) ? String((err as Error).stack ?? err) : "unknown" })),
    );
  });
}

/** The worker's source: `sandboxWorkerMain` called with its settings. */
export function sandboxWorkerSource(): string {
  // Strict, so that no frame of this realm hands out its function or receiver through the
  // stack-trace API (CallSite#getFunction, #getThis) to code in a context.
  return `"use strict";\n(${sandboxWorkerMain.toString()})(${MAX_DESCRIBED});\n`;
}
