/**
 * Runs the built CLI (`node bin/wfsync.js`, which runs dist/: `npm run build` first; `npm test`
 * does it) as a child process. Always asynchronous, so an emulator in this process keeps answering.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach } from "vitest";
import { EMULATOR_CREDENTIALS } from "./emulator.js";

const root = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(root, "bin/wfsync.js");

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output is read to the end. */
  readonly done: Promise<CliResult>;
  /** stdout and stderr read so far. */
  output(): string;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `wfsync ...args` in `cwd`, with the emulator's default credentials unless `env` says otherwise
 * (WFSYNC_* variables of this process are never passed on). stdin is not a terminal.
 */
export function startCli(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliRun {
  if (!existsSync(path.join(root, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does it in pretest)");
  // Nor GitHub Actions' variables: a CLI under test must not annotate the job or append to its summary.
  const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_") && !k.startsWith("GITHUB_")));
  Object.assign(env, { NO_COLOR: "1" }, options.env ?? EMULATOR_CREDENTIALS);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  child.stdin!.end();
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return startCli(args, options).done;
}
