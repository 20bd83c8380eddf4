/**
 * Watch tests: a real project folder, real chokidar, an emulator in-process and `startWatch`.
 * Tests wait for runs (by predicate) — never for fixed sleeps. Everything started here is
 * stopped after each test.
 */
import type { OptionRecord, RunningEmulator } from "../../src/emulator/index.js";
import type { WfsyncConfig } from "../../src/dsl/config.js";
import { startWatch, type StartWatchOptions, type WatchHandle, type WatchNotice, type WatchReady, type WatchRun } from "../../src/watch/index.js";
import { onCleanup } from "../helpers/cleanup.js";
import { configText } from "../helpers/config.js";
import { EMULATOR_CREDENTIALS, startTestEmulator } from "../helpers/emulator.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";


export interface OptionSpec {
  key: string;
  name: string;
  rank?: number;
}

/** A workflow file with one split and the given options (each sends one mail). */
export function flowFile(workflowId: number, splitId: number, options: OptionSpec[]): string {
  const body = options
    .map(
      (o) =>
        `    split.option(${JSON.stringify(o.key)}, { name: ${JSON.stringify(o.name)}${o.rank ? `, rank: ${o.rank}` : ""} }, (path) => {\n` +
        `      path.sendEmail({ shipmentId: 3, subject: "Hello" });\n` +
        `    });\n`,
    )
    .join("");
  return `import { workflow } from "wfsync";\n\nexport default workflow(${workflowId}, (wf) => {\n  wf.split(${splitId}, (split) => {\n${body}  });\n});\n`;
}

/** The watch tests' config: no url (each test passes the emulator's), a rate that never holds a test up. */
export function configFile(config: Omit<WfsyncConfig, "url"> = {}): string {
  return configText({ workflows: ["workflows/**/*.ts"], rate: 1000, ...config });
}

export const emulator = startTestEmulator;

export function project(files: Record<string, string>): TmpProject {
  const p = makeProject({ "sync.config.ts": configFile(), ...files }, "wfsync-watch-");
  onCleanup(() => p.cleanup());
  return p;
}

/** Top-level options of one split on the emulator, by Key. */
export function serverOptions(emu: RunningEmulator, splitId: number): Map<string, OptionRecord> {
  return new Map(emu.data().options.filter((o) => o.WorkflowStepId === splitId).map((o) => [o.Key, o]));
}

export interface Watching {
  readonly handle: WatchHandle;
  readonly ready: WatchReady;
  readonly runs: WatchRun[];
  readonly notices: WatchNotice[];
  /** Resolves with the first run (already seen or still to come, after `from`) that matches. */
  waitForRun(match: (run: WatchRun) => boolean, what: string, from?: number): Promise<WatchRun>;
}

export async function watch(p: TmpProject, emu: RunningEmulator, options: Partial<StartWatchOptions> = {}): Promise<Watching> {
  const handle = startWatch({ cwd: p.dir, url: emu.url, env: { ...EMULATOR_CREDENTIALS }, retryDelayMs: 200, ...options });
  onCleanup(() => handle.close());
  const runs: WatchRun[] = [];
  const notices: WatchNotice[] = [];
  const waiters: { match: (r: WatchRun) => boolean; from: number; resolve: (r: WatchRun) => void }[] = [];
  handle.runs.on("notice", (n) => notices.push(n));
  handle.runs.on("run", (run) => {
    runs.push(run);
    for (const w of [...waiters]) {
      if (run.seq > w.from && w.match(run)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(run);
      }
    }
  });
  const ready = await handle.ready;
  return {
    handle,
    ready,
    runs,
    notices,
    waitForRun(match, what, from = 0) {
      const seen = runs.find((r) => r.seq > from && match(r));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a run: ${what}; runs so far:\n${describeRuns(runs)}`)), 20_000);
        waiters.push({ match, from, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
  };
}

export function describeRuns(runs: readonly WatchRun[]): string {
  return runs
    .map(
      (r) =>
        `#${r.seq} [${r.triggers.join(",")}] files=${r.files.join(",")} applied=${r.applied.map((c) => `${c.action}:${c.address}`).join(",")} ` +
        `errors=${r.errors.map((e) => e.code).join(",")} pending=${r.pendingDeletes.map((p) => p.change.address).join(",")}` +
        `${r.problem ? ` problem=${String(r.problem)}` : ""}`,
    )
    .join("\n");
}
