/**
 * The engine end to end, in-process: a real emulator on 127.0.0.1, a real project folder, and
 * the same functions the CLI runs (openSession → planWorkspace → checkPlanAllowed → applyPlan).
 * Every engine made here is closed after its test.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { applyPlan, checkPlanAllowed, type ApplyResult } from "../../src/apply/apply.js";
import type { QueueEvent } from "../../src/tenant/queue.js";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { openSession, type Session, type SessionOptions } from "../../src/cli/session.js";
import { planWorkspace } from "../../src/workspace/workspace.js";
import { findWorkflowFiles } from "../../src/config/load.js";
import type { WfsyncConfig } from "../../src/dsl/config.js";
import { WfsyncErrors, formatError } from "../../src/errors.js";
import type { EmulatorOptions, OptionRecord, RunningEmulator } from "../../src/emulator/index.js";
import { isEmptyPlan, refreshOnlyPlan, type Plan } from "../../src/plan/diff.js";
import { openState } from "../../src/state/index.js";
import type { StateEntry } from "../../src/state/format.js";
import { onCleanup } from "../helpers/cleanup.js";
import { configText as configFileText } from "../helpers/config.js";
import { EMULATOR_CREDENTIALS, startTestEmulator } from "../helpers/emulator.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";


export interface EngineOptions {
  /** Workflow files (and any other project files) by relative path. */
  files: Record<string, string>;
  /** Settings written into sync.config.ts besides `url`. */
  config?: Omit<WfsyncConfig, "url">;
  emulator?: Omit<EmulatorOptions, "port" | "env">;
  session?: Pick<SessionOptions, "queueTimings">;
  /** Sees every request the client sends (below the queue): for timing and failure checks. */
  wrapApi?: (api: WorkflowApi) => WorkflowApi;
  /** Puts something between client and emulator (a fault-injecting proxy): the config URL is its URL. */
  via?: (emulatorUrl: string) => Promise<{ url: string; close(): Promise<void> }>;
}

export interface Choices {
  preferCode?: boolean;
  refreshOnly?: boolean;
}

export interface Engine {
  readonly emu: RunningEmulator;
  readonly project: TmpProject;
  readonly session: Session;
  /** Queue events of every plan and apply so far, each with the time it was seen. */
  readonly events: { at: number; event: QueueEvent }[];
  /** Writes a project file; the next plan compiles it again. */
  write(rel: string, text: string): void;
  remove(rel: string): void;
  plan(opts?: { refresh?: boolean } & Choices): Promise<Plan>;
  /** As `wfsync apply`: the config's drift policy (revert by default), `--prefer code`, `--refresh-only`. */
  apply(opts?: { allowMassDelete?: boolean } & Choices): Promise<{ plan: Plan; result: ApplyResult }>;
  /** The convergence check: a fresh plan against the server is empty. */
  expectConverged(): Promise<void>;
  /** The options on the server, top-level ones, as the emulator stores them. */
  serverOptions(): OptionRecord[];
  stateEntries(): Promise<Map<string, StateEntry>>;
}


/** The clock the queue uses, so times from events and from a wrapped api compare. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The engine tests' config: the default globs and state; the emulator is on-site, so no rate cap unless a test sets one. */
export function configText(url: string, config: Omit<WfsyncConfig, "url"> = {}): string {
  return configFileText({ url, workflows: ["workflows/**/*.ts"], state: ".wfsync/state.json", ...config });
}

export async function startEngine(options: EngineOptions): Promise<Engine> {
  const emu = await startTestEmulator(options.emulator);
  const front = options.via ? await options.via(emu.url) : undefined;
  if (front) onCleanup(() => front.close());
  const project = makeProject({ "sync.config.ts": configText(front?.url ?? emu.url, options.config), ...options.files }, "wfsync-engine-");
  onCleanup(async () => project.cleanup());
  const events: Engine["events"] = [];
  const session = openSession(
    { logLevel: "silent" },
    {
      cwd: project.dir,
      env: { ...EMULATOR_CREDENTIALS },
      onQueueEvent: (event) => events.push({ at: clock(), event }),
      ...(options.wrapApi ? { wrapApi: options.wrapApi } : {}),
      ...options.session,
    },
  );
  onCleanup(async () => session.close());
  const changed = new Set<string>();

  /** Brings the long-lived compiler up to date with the files written since the last plan. */
  const sync = (): void => {
    const { compiler, config } = session.project;
    compiler.setWorkflowFiles(findWorkflowFiles(config));
    compiler.compile([...changed]);
    changed.clear();
  };

  const plan: Engine["plan"] = async (opts = {}) => {
    sync();
    const run = await readable(planWorkspace(session, { refresh: opts.refresh ?? true, lock: false, command: "plan", ...choicesOf(opts) }));
    await run.state.close();
    return run.plan;
  };

  return {
    emu,
    project,
    session,
    events,
    write(rel, text) {
      changed.add(project.write(rel, text));
    },
    remove(rel) {
      project.remove(rel);
      changed.add(project.path(rel));
    },
    plan,
    async apply(opts = {}) {
      sync();
      const planned = await readable(planWorkspace(session, { refresh: true, lock: true, command: "wfsync apply", ...choicesOf(opts) }));
      const { state } = planned;
      const p = opts.refreshOnly ? refreshOnlyPlan(planned.plan) : planned.plan;
      try {
        checkPlanAllowed(p, { allowMassDelete: opts.allowMassDelete ?? false });
        const result = await applyPlan(p, { tenant: session.tenant, state });
        return { plan: p, result };
      } finally {
        await state.close();
      }
    },
    async expectConverged() {
      const p = await plan();
      const pending = p.changes.filter((c) => c.action !== "noop" || c.record).map((c) => `${c.action} ${c.address}${c.reason ? ` (${c.reason})` : ""}`);
      expect(pending, "a plan after apply must be empty").toEqual([]);
      expect(isEmptyPlan(p)).toBe(true);
    },
    serverOptions: () => [...emu.data().options],
    async stateEntries() {
      const store = await openState(session.config.state, { lock: false });
      try {
        return new Map(store.entries());
      } finally {
        await store.close();
      }
    },
  };
}

function choicesOf(opts: Choices): Choices {
  return { ...(opts.preferCode ? { preferCode: true } : {}), ...(opts.refreshOnly ? { refreshOnly: true } : {}) };
}

/** A compile error's message alone says "1 problem"; a failing test should show which. */
async function readable<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WfsyncErrors) err.message = formatError(err);
    throw err;
  }
}

/** Fails unless the apply went through without a failed or unsent operation. */
export function expectApplied(result: ApplyResult): void {
  const failed = result.failed.map(({ change, error }) => `${change.address}: ${(error as Error).message}`);
  expect(failed).toEqual([]);
  expect(result.cancelled).toEqual([]);
}

/** Options per `split/key` on the server: more than one is a duplicate. */
export function duplicateKeys(options: readonly OptionRecord[]): string[] {
  const count = new Map<string, number>();
  for (const o of options) {
    const k = `${o.WorkflowId}/${o.WorkflowStepId}/${o.Key}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  return [...count].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/** Every state entry names an option that exists on the server under the same address. */
export function expectStateMatchesServer(entries: ReadonlyMap<string, StateEntry>, options: readonly OptionRecord[]): void {
  const byId = new Map(options.map((o) => [o.WorkflowStepOptionId, o]));
  const wrong: string[] = [];
  for (const [address, e] of entries) {
    const o = byId.get(e.id);
    const there = o ? `${o.WorkflowId}/${o.WorkflowStepId}/${o.Key}` : "nothing";
    if (there !== address) wrong.push(`${address} → id ${e.id} is ${there} on the server`);
  }
  expect(wrong).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Workflow files

export interface OptionSpec {
  key: string;
  name?: string;
  rank?: number;
  /** Statements on `p`, the path builder. */
  body?: string;
}

/** One workflow file: `splits` maps a split's WorkflowStepId to its options. */
export function workflowFile(workflowId: number, splits: Record<number, readonly OptionSpec[]>): string {
  const lines = [`import { workflow } from "wfsync";`, "", `export default workflow(${workflowId}, (wf) => {`];
  for (const [splitId, options] of Object.entries(splits)) {
    lines.push(`  wf.split(${splitId}, (split) => {`);
    for (const o of options) {
      const props = `{ name: ${JSON.stringify(o.name ?? `Option ${o.key}`)}${o.rank === undefined ? "" : `, rank: ${o.rank}`} }`;
      lines.push(`    split.option(${JSON.stringify(o.key)}, ${props}, (p) => {`, `      ${o.body ?? "p.addToList({ selection: 1 });"}`, "    });");
    }
    lines.push("  });");
  }
  lines.push("});", "");
  return lines.join("\n");
}

/** `count` options `${prefix}0`, `${prefix}1`, … with one step each. */
export function manyOptions(count: number, prefix = "o"): OptionSpec[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, body: `p.addToList({ selection: ${i + 1} });` }));
}

/** A seed with `flows` workflows of `splitsPerFlow` Split steps each: workflow ids 1.., split ids 100... */
export function splitSeed(flows: number, splitsPerFlow: number): { seed: unknown; splits: { workflowId: number; splitId: number }[] } {
  const splits: { workflowId: number; splitId: number }[] = [];
  const workflows = Array.from({ length: flows }, (_, f) => {
    const workflowId = f + 1;
    const steps = Array.from({ length: splitsPerFlow }, (_, s) => {
      const splitId = 100 + f * splitsPerFlow + s;
      splits.push({ workflowId, splitId });
      return { workflowStepId: splitId, stepType: "Split", options: [] };
    });
    return { workflowId, emailFlowId: 5000 + workflowId, name: `Flow ${workflowId}`, steps };
  });
  return { seed: { workflows }, splits };
}

/** A small deterministic PRNG (mulberry32), for the emulator's fail rate. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A call to the emulator's admin API (`/__emulator/...`): drift, out-of-band options, counters. */
export async function admin(emu: { url: string }, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.url}/__emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
}

export interface ProxyHooks {
  /** Awaited before a request is passed on (a gate that holds requests). */
  beforeForward?: (path: string) => Promise<void>;
  /** True: the emulator acts on the request, but the client's connection is cut instead of answered. */
  loseAnswer?: (path: string) => boolean;
}

/** A proxy in front of the emulator, for faults the emulator cannot make itself. */
export async function startProxy(target: string, hooks: ProxyHooks): Promise<{ url: string; close(): Promise<void> }> {
  const hop = new Set(["host", "connection", "keep-alive", "content-length", "transfer-encoding"]);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const path = req.url ?? "/";
      await hooks.beforeForward?.(path);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !hop.has(k))) as Record<string, string>;
      const upstream = await fetch(`${target}${path}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (hooks.loseAnswer?.(path)) {
        req.socket.destroy();
        return;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!hop.has(k)) out[k] = v;
      });
      res.writeHead(upstream.status, out).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
