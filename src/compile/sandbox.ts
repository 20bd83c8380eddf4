/**
 * The host side of the sandbox: one long-lived evaluation worker per compiler (started at once,
 * so its start-up overlaps the type check), fed only the modules it does not have yet.
 *
 * One-shot commands wait for it synchronously (`Atomics.wait`, answers read with
 * `receiveMessageOnPort`), so the compiler's API stays synchronous; the watch daemon waits
 * asynchronously, so its event loop (signals, file events, the apply in flight) stays responsive
 * while a workflow file runs. Either way the worker enforces the time limit of each file itself
 * (`vm` timeout), and the host terminates and replaces a worker that stops answering (a limit it
 * could not enforce, a crash, memory exhaustion): the file in progress fails, the rest go on.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
/** A workflow file as emitted for evaluation: CommonJS and its source map. */
export interface EmittedModule {
  readonly code: string;
  readonly map: string;
}
import { API_GLOBAL, sandboxRuntimeSource, type EntryKind, type EvaluationContext } from "./sandbox-runtime.js";
import { sandboxWorkerSource, type EntryOutcomeKind, type SandboxModulePayload, type SandboxReply, type SandboxRequest, type SandboxWorkerData } from "./sandbox-worker.js";

export interface SandboxModule {
  readonly file: string;
  readonly emitted: EmittedModule;
  /** Import specifier → project file. */
  readonly deps: ReadonlyMap<string, string>;
}

export interface SandboxJob {
  readonly kind: EntryKind;
  readonly entries: readonly string[];
  readonly modules: readonly SandboxModule[];
  readonly timeoutMs: number;
  /** What the pass knows of the run (environment; the config's variables). */
  readonly context?: EvaluationContext;
  /**
   * Called with each entry's result as soon as it is there, while the worker goes on with the
   * next entry: the host can decode and validate one file while the next is evaluated.
   */
  readonly onResult?: (index: number, result: SandboxEntryResult) => void;
}

export interface SandboxEntryResult {
  /** "stopped": the sandbox was closed before this entry ran. */
  readonly outcome: EntryOutcomeKind | "stopped";
  readonly data: string;
  readonly rejections: readonly string[];
  readonly rejected: number;
  /** Why a worker failed, when that is known (crashed). */
  readonly reason?: string;
  /**
   * Whether code of the entry's context had read the job's EvaluationContext by the end of it
   * (unknown, so true, for an entry that did not run to an answer).
   */
  readonly contextRead?: boolean;
}

export interface SandboxOptions {
  /**
   * Keep the last job's results and answer the same job (same entries, same code) from them,
   * without running it, when no code of it read its context (see `reusable`). For a fleet run:
   * the same workflow files evaluated once per environment give the same results unless they
   * ask which environment it is (`defineValues`). Off by default (the watch daemon's jobs are
   * never the same twice, and keeping results costs memory).
   */
  readonly reuseContextFree?: boolean;
}

/** Heap of the worker; far above what evaluating 10,000 options takes (tens of MB). */
const WORKER_HEAP_MB = 1024;
/**
 * Extra time the host grants an entry beyond the worker's own limit before replacing it: the
 * worker's overhead, and describing up to three rejections (a second each at most).
 */
const GRACE_MS = 5_000;
/** Start-up of a worker and compiling the modules of a pass (before its first entry starts). */
const START_LIMIT_MS = 60_000;
/**
 * Why a worker was replaced when it missed the host's deadline: the worker stops endless loops
 * itself, so this is a crash it could not report (memory exhaustion, in a synchronous wait that
 * cannot see the worker's exit event).
 */
const STOPPED_ANSWERING = "the evaluation worker stopped answering; did it run out of memory?";

let runtimeSource: string | undefined;
let workerSource: string | undefined;

/** The state of one job while the worker works on it. */
interface Run {
  readonly job: SandboxJob;
  readonly results: (SandboxEntryResult | undefined)[];
  id: number;
  /** The job's index of each entry of the request in flight. */
  offsets: number[];
  /** Index of the entry in progress (started, no result yet), or -1 between entries. */
  current: number;
  /** Whether the current worker started an entry of this run at all. */
  progressed: boolean;
  deadline: number;
  finished: boolean;
}

export class EvaluationSandbox {
  private worker: Worker | undefined;
  private replies: MessagePort | undefined;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  /** What the current worker holds of each module. */
  private readonly held = new Map<string, { emitted: EmittedModule; deps: string }>();
  private nextId = 0;
  private run: Run | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly reuseContextFree: boolean;
  /** The last job run whose every result is reusable (see SandboxOptions.reuseContextFree). */
  private kept: { job: SandboxJob; results: readonly SandboxEntryResult[] } | undefined;
  /** How many jobs were answered from kept results (for tests and diagnostics). */
  reused = 0;

  constructor(options: SandboxOptions = {}) {
    this.reuseContextFree = options.reuseContextFree ?? false;
  }

  /** Starts the worker now, so that its start-up overlaps whatever the host does next. */
  warm(): void {
    if (!this.closed) this.ensure();
  }

  /** Evaluates synchronously (blocks this thread until the worker answers). */
  runSync(job: SandboxJob): SandboxEntryResult[] {
    const run = this.begin(job);
    try {
      while (!run.finished) {
        const seen = Atomics.load(this.signal, 0);
        this.drain(run);
        if (run.finished) break;
        const left = run.deadline - performance.now();
        if (left <= 0 || Atomics.wait(this.signal, 0, seen, left) === "timed-out") {
          if (performance.now() >= run.deadline && Atomics.load(this.signal, 0) === seen) this.replace(run, STOPPED_ANSWERING);
        }
      }
    } finally {
      this.run = undefined;
    }
    return this.end(run);
  }

  /** Evaluates without blocking this thread. */
  evaluate(job: SandboxJob): Promise<SandboxEntryResult[]> {
    return new Promise((resolve, reject) => {
      const run = this.begin(job);
      let timer: NodeJS.Timeout | undefined;
      const step = (): void => {
        clearTimeout(timer);
        try {
          this.drain(run);
          if (!run.finished && performance.now() >= run.deadline) this.replace(run, STOPPED_ANSWERING);
        } catch (err) {
          this.run = this.wake = undefined;
          reject(err);
          return;
        }
        if (run.finished) {
          this.wake = undefined;
          resolve(this.end(run));
          return;
        }
        // A ref'd timer: it also keeps a process with nothing else to do alive meanwhile.
        timer = setTimeout(step, Math.max(1, run.deadline - performance.now()));
      };
      this.wake = step;
      step();
    });
  }

  /** Ends the worker. A job in progress finishes at once, its remaining entries "stopped". */
  close(): void {
    this.closed = true;
    this.stopWorker();
    const run = this.run;
    if (run) {
      this.settleRemaining(run, { outcome: "stopped", data: "", rejections: [], rejected: 0 });
      this.wake?.();
    }
  }

  private begin(job: SandboxJob): Run {
    if (this.run) throw new Error("the evaluation sandbox is already running a job");
    const run: Run = { job, results: job.entries.map(() => undefined), id: 0, offsets: [], current: -1, progressed: false, deadline: 0, finished: false };
    this.run = run;
    const kept = this.kept;
    if (this.closed) this.settleRemaining(run, { outcome: "stopped", data: "", rejections: [], rejected: 0 });
    else if (kept && sameJob(kept.job, job)) {
      this.reused++;
      kept.results.forEach((result, index) => this.settle(run, index, result));
      run.finished = true;
    } else this.send(run);
    return run;
  }

  private end(run: Run): SandboxEntryResult[] {
    this.run = undefined;
    this.settleRemaining(run, { outcome: "crashed", data: "", rejections: [], rejected: 0 });
    const results = run.results as SandboxEntryResult[];
    if (this.reuseContextFree) this.kept = results.every(reusable) ? { job: run.job, results: results.map((r) => Object.freeze({ ...r, rejections: Object.freeze([...r.rejections]) })) } : undefined;
    return results;
  }

  /** Sends the entries without a result yet to the (current) worker. */
  private send(run: Run): void {
    const pending = run.results.flatMap((r, i) => (r ? [] : [i]));
    if (pending.length === 0) {
      run.finished = true;
      return;
    }
    this.ensure();
    run.id = ++this.nextId;
    run.current = -1;
    run.progressed = false;
    run.deadline = performance.now() + START_LIMIT_MS;
    const request: SandboxRequest = {
      id: run.id,
      kind: run.job.kind,
      entries: pending.map((i) => run.job.entries[i]!),
      modules: run.job.modules.map((m) => this.payload(m)),
      timeoutMs: run.job.timeoutMs,
      context: JSON.stringify(run.job.context ?? {}),
    };
    run.offsets = pending;
    this.worker!.postMessage(request);
  }

  /** A module's code is sent only when the worker does not hold this version of it. */
  private payload(m: SandboxModule): SandboxModulePayload {
    const deps = JSON.stringify(Object.fromEntries(m.deps));
    const held = this.held.get(m.file);
    if (held && held.emitted === m.emitted && held.deps === deps) return { file: m.file };
    this.held.set(m.file, { emitted: m.emitted, deps });
    return { file: m.file, code: m.emitted.code, deps };
  }

  /** Takes every reply that has arrived for this run. */
  private drain(run: Run): void {
    const port = this.replies;
    if (!port) return;
    for (let got = receiveMessageOnPort(port); got; got = receiveMessageOnPort(port)) {
      const reply = got.message as SandboxReply;
      if (reply.id !== run.id || run.finished) continue;
      const offsets = run.offsets;
      switch (reply.type) {
        case "start":
          run.current = offsets[reply.index] ?? -1;
          run.progressed = true;
          run.deadline = performance.now() + run.job.timeoutMs + GRACE_MS;
          break;
        case "result":
          run.current = -1;
          this.settle(run, offsets[reply.index]!, { outcome: reply.outcome, data: reply.data, rejections: reply.rejections, rejected: reply.rejected, contextRead: reply.contextRead });
          run.deadline = performance.now() + START_LIMIT_MS;
          break;
        case "done":
          run.finished = true;
          break;
        case "failed":
          this.replace(run, reply.message);
          return; // that port is closed now
        default: {
          const never: never = reply;
          return never;
        }
      }
    }
  }

  /**
   * The worker stopped answering (or crashed): the entry in progress fails, a new worker takes
   * the rest. Every entry gets one attempt, so this ends; a worker that failed before starting
   * any entry (it could not start, say) takes all of them down, rather than each in turn.
   */
  private replace(run: Run, reason: string): void {
    this.stopWorker();
    const crashed: SandboxEntryResult = { outcome: "crashed", data: "", rejections: [], rejected: 0, reason };
    if (!run.progressed) return this.settleRemaining(run, crashed);
    const index = run.current >= 0 ? run.current : run.results.findIndex((r) => !r);
    if (index >= 0) this.settle(run, index, crashed);
    if (this.closed) this.settleRemaining(run, { outcome: "stopped", data: "", rejections: [], rejected: 0 });
    else this.send(run);
  }

  private settle(run: Run, index: number, result: SandboxEntryResult): void {
    if (run.results[index]) return;
    run.results[index] = result;
    run.job.onResult?.(index, result);
  }

  private settleRemaining(run: Run, result: SandboxEntryResult): void {
    for (let i = 0; i < run.results.length; i++) this.settle(run, i, result);
    run.finished = true;
  }

  private ensure(): void {
    if (this.worker) return;
    runtimeSource ??= sandboxRuntimeSource();
    workerSource ??= sandboxWorkerSource();
    const { port1, port2 } = new MessageChannel();
    const workerData: SandboxWorkerData = { runtimeSource, apiGlobal: API_GLOBAL, replies: port1, signal: this.signal };
    const worker = new Worker(workerSource, {
      eval: true,
      workerData,
      transferList: [port1],
      // Nothing of wfsync's environment (credentials!) is visible in the worker's process.env.
      env: {},
      // Lets the worker answer `import()` with an error made inside the context (see sandbox-worker.ts).
      execArgv: ["--experimental-vm-modules", "--no-warnings"],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const onGone = (err?: Error) => {
      if (this.worker !== worker) return;
      const run = this.run;
      const reason = err ? describeWorkerError(err) : "the evaluation worker exited";
      this.stopWorker();
      if (run && !run.finished) {
        this.replace(run, reason);
        this.wake?.();
      }
    };
    worker.on("message", () => this.wake?.());
    worker.on("error", (err) => onGone(err));
    worker.on("exit", () => onGone());
    // After the listeners (adding one refs the port again): a one-shot command exits when done.
    worker.unref();
    port2.unref();
    this.worker = worker;
    this.replies = port2;
  }

  private stopWorker(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.replies?.close();
    this.replies = undefined;
    this.held.clear();
    void worker.terminate();
  }
}

/**
 * A result another run of the same job would give too, whatever its context: the entry ran to
 * its answer (its builders' definitions, or the error it threw), and no code of its context had
 * read the context by then. The context is the only input of a job besides its code (the
 * worker's realm holds nothing of earlier jobs: each job runs in contexts of its own), so such a
 * result depends on the code alone. Nothing is taken from outside the code: ids come from the
 * code's literals, which are the same for every environment because the user wrote them so.
 * (Code that reads the clock or a random number would see another value on another run; it sees
 * one value for all environments instead, as if they had been evaluated at the same moment.)
 */
function reusable(result: SandboxEntryResult): boolean {
  return result.outcome === "done" && result.contextRead === false;
}

/** The same entries, in order, of the same kind and time limit, over the same code. */
function sameJob(a: SandboxJob, b: SandboxJob): boolean {
  if (a.kind !== b.kind || a.timeoutMs !== b.timeoutMs || a.entries.length !== b.entries.length || a.modules.length !== b.modules.length) return false;
  if (a.entries.some((file, i) => file !== b.entries[i])) return false;
  return a.modules.every((m, i) => {
    const n = b.modules[i]!;
    if (m.file !== n.file || m.emitted.code !== n.emitted.code || m.deps.size !== n.deps.size) return false;
    for (const [spec, target] of m.deps) if (n.deps.get(spec) !== target) return false;
    return true;
  });
}

function describeWorkerError(err: Error): string {
  if ((err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") return `it used more than ${WORKER_HEAP_MB} MB of memory`;
  return err.message;
}
