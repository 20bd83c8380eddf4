/** Shared helpers: start emulators that are closed after each test, and raw HTTP calls. */
import { afterEach } from "vitest";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/index.js";

const running: RunningEmulator[] = [];

/** Closes every emulator `start` made (also run after each test). */
export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((e) => e.close()));
}

afterEach(stopAll);

/** An emulator on a free port with only the default credentials (the shell's are ignored). */
export async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, env: {}, ...options });
  running.push(emu);
  return emu;
}

export function basic(username = "wfsync", password = "wfsync"): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (for malformed JSON). */
  rawBody?: string;
  query?: string;
  authorization?: string | null;
  headers?: Record<string, string>;
  httpMethod?: string;
  /** Prefix between host and /api (a tenant-like base). */
  prefix?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** POST {base}/api/v1/Agents/Workflow/<method> with Basic wfsync:wfsync unless told otherwise. */
export async function call(emu: { url: string }, method: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json", ...options.headers };
  const auth = options.authorization === undefined ? basic() : options.authorization;
  if (auth !== null) headers.Authorization = auth;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const url = `${emu.url}${options.prefix ?? ""}/api/v1/Agents/Workflow/${method}${options.query ? `?${options.query}` : ""}`;
  const res = await fetch(url, { method: options.httpMethod ?? "POST", headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function admin(emu: { url: string }, method: string, path: string, body?: unknown): Promise<CallResult> {
  const res = await fetch(`${emu.url}/__emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

/** A minimal valid option for split 844 of workflow 679 (demo seed). */
export function vipOption(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    WorkflowStepOptionId: 0,
    WorkflowStepId: 844,
    WorkflowId: 679,
    Key: "vip",
    Name: "VIP customers",
    Rank: 1,
    Steps: [
      { StepType: "AddToList", Selection: 12 },
      { StepType: "WaitForTime", NumIntervals: 2, IntervalType: "Days", TimeWaitAlgorithm: "NumIntervals" },
    ],
    ...extra,
  };
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
