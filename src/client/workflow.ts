/**
 * The SuperOffice agent calls wfsync uses, for both API generations: the per-option calls of
 * 10.2.4–10.2.9, the whole-flow calls of the current generation (10.2.10 → 12.x), and the
 * EmailFlows archive provider both have. Which are used is the tenant adapter's business.
 */
import type http from "node:http";
import type { OptionCarrier } from "../model/option.js";
import { ApiError } from "./errors.js";
import { authHeaders, describeCredentials, scrubSecrets, secretValues, type Credentials } from "./credentials.js";
import { createAgent, httpPost } from "./http.js";
import { interpretResponse } from "./response.js";
import { normaliseBaseUrl } from "./url.js";

export interface WorkflowApi {
  /** A step; a Split carries `Options`. `null` when there is no such step. */
  getWorkflowStep(workflowStepId: number): Promise<unknown | null>;
  /** `null` when there is no such option. */
  getWorkflowStepOption(id: number): Promise<unknown | null>;
  /** Creates (id 0 or absent) or replaces an option; resolves to the saved option. */
  saveWorkflowStepOption(option: OptionCarrier): Promise<unknown>;
  deleteWorkflowStepOption(id: number): Promise<void>;
  createDefaultWorkflowStepOption(): Promise<unknown>;
  /** The flow with its steps; `null` when there is no such flow. */
  getEmailFlow(emailFlowId: number): Promise<unknown | null>;
  /** Replaces the whole flow (current generation); resolves to the saved flow. */
  saveEmailFlow(flow: unknown): Promise<unknown>;
  /** One page of an archive provider's rows (`Agents/Archive/GetArchiveListByColumns`). */
  getArchiveList(request: ArchiveListRequest): Promise<unknown>;
}

export interface ArchiveListRequest {
  readonly ProviderName: string;
  readonly Columns: readonly string[];
  readonly SortOrder: readonly unknown[];
  readonly Restriction: readonly unknown[];
  readonly Entities: readonly string[];
  readonly Page: number;
  readonly PageSize: number;
}

/** What the client logs through (a pino logger fits). */
export interface DebugLogger {
  debug(obj: object, msg?: string): void;
}

export interface WorkflowClientOptions {
  /** The installation base, e.g. `https://online.superoffice.com/Cust12345`. */
  baseUrl: string;
  credentials: Credentials;
  /** Per request, connect to last byte of the answer. Default 30 s. */
  timeoutMs?: number;
  /** Answers larger than this fail instead of being read (default 64 MiB). */
  maxResponseBytes?: number;
  logger?: DebugLogger;
  /** A keep-alive agent of your own (not destroyed by `close()`). */
  agent?: http.Agent;
  /** For Retry-After dates; default Date.now. */
  now?: () => number;
}

export interface WorkflowClient extends WorkflowApi {
  readonly baseUrl: string;
  /** Closes idle keep-alive connections (of the agent the client made). */
  close(): void;
}

const AGENT_PATH = "/api/v1/Agents/Workflow/";
const ARCHIVE_AGENT_PATH = "/api/v1/Agents/Archive/";
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Far above any real answer (a split is kilobytes), far below what exhausts the heap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const WRITES = new Set(["SaveWorkflowStepOption", "DeleteWorkflowStepOption", "SaveEmailFlow"]);

export function createWorkflowClient(opts: WorkflowClientOptions): WorkflowClient {
  const baseUrl = normaliseBaseUrl(opts.baseUrl);
  const base = new URL(baseUrl);
  const agent = opts.agent ?? createAgent(base);
  const ownAgent = opts.agent === undefined;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = opts.now ?? Date.now;
  const secrets = secretValues(opts.credentials);
  const scrub = (text: string): string => scrubSecrets(text, secrets);
  const credentialsDescription = describeCredentials(opts.credentials);
  const headers = {
    Accept: "application/json",
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "wfsync",
    ...authHeaders(opts.credentials),
  };

  async function call(method: string, args: { query?: Record<string, number>; body?: unknown; agentPath?: string }): Promise<unknown> {
    const url = new URL(`${baseUrl}${args.agentPath ?? AGENT_PATH}${method}`);
    for (const [k, v] of Object.entries(args.query ?? {})) url.searchParams.set(k, String(v));
    const started = now();
    const log = (fields: object): void => opts.logger?.debug({ method, ms: now() - started, ...fields }, "api request");
    try {
      const res = await httpPost({
        method,
        url,
        headers,
        body: args.body === undefined ? undefined : JSON.stringify(args.body),
        timeoutMs,
        agent,
        maxResponseBytes,
        write: WRITES.has(method),
      });
      const value = interpretResponse(res, { method, credentialsDescription, scrub, now });
      log({ status: res.status });
      return value;
    } catch (err) {
      if (err instanceof ApiError) log({ status: err.status, error: err.code, outcomeUnknown: err.outcomeUnknown });
      throw err;
    }
  }

  function expectObject(method: string, value: unknown): unknown {
    if (value !== null && typeof value === "object") return value;
    throw new ApiError({
      kind: "server",
      method,
      status: 200,
      // A save that answers nothing may still have saved.
      outcomeUnknown: WRITES.has(method),
      message: `${method}: the server answered ${JSON.stringify(value)} instead of an option.`,
    });
  }

  return {
    baseUrl,
    getWorkflowStep: (workflowStepId) => call("GetWorkflowStep", { body: { WorkflowStepId: workflowStepId } }),
    getWorkflowStepOption: (id) => call("GetWorkflowStepOption", { query: { workflowStepOptionId: id } }),
    saveWorkflowStepOption: async (option) =>
      expectObject("SaveWorkflowStepOption", await call("SaveWorkflowStepOption", { body: option })),
    deleteWorkflowStepOption: async (id) => {
      await call("DeleteWorkflowStepOption", { query: { WorkflowStepOptionId: id } });
    },
    createDefaultWorkflowStepOption: async () =>
      expectObject("CreateDefaultWorkflowStepOption", await call("CreateDefaultWorkflowStepOption", {})),
    getEmailFlow: (emailFlowId) => call("GetEmailFlow", { query: { emailFlowId } }),
    saveEmailFlow: async (flow) => expectObject("SaveEmailFlow", await call("SaveEmailFlow", { body: flow })),
    getArchiveList: (request) => call("GetArchiveListByColumns", { body: request, agentPath: ARCHIVE_AGENT_PATH }),
    close: () => {
      if (ownAgent) agent.destroy();
    },
  };
}
