/**
 * What an agent method is and the answers all of them give: both generations' Workflow agent
 * (handlers.ts, flow-handlers.ts) and the Archive agent (archive.ts). HTTP, auth and faults are
 * http.ts's business.
 */
import { caseInsensitiveGet } from "../model/carrier.js";
import { Binder, formatProblems, isObject } from "./bind.js";
import { invalidRequestBody, soErrorBody } from "./present.js";
import type { Store } from "./store.js";

export interface AgentRequest {
  /** Query parameters with lower-cased names (the server matches them case-insensitively). */
  readonly query: ReadonlyMap<string, string>;
  /** The parsed JSON body; null when there was none. */
  readonly body: unknown;
}

/** An answer: status and body. */
export interface Answer {
  readonly status: number;
  /** undefined: no body at all (204). `null` is sent as the JSON `null`. */
  readonly body?: unknown;
}

export type AgentResponse = Answer;

export interface AgentMethod {
  readonly name: string;
  readonly description: string;
  /** True for the REST archive resource, which a GET runs (agent methods are POSTed). */
  readonly get?: boolean;
  readonly handle: (store: Store, req: AgentRequest) => AgentResponse;
}

/** Looks methods up by name case-insensitively, as ASP.NET routing does. */
export function methodTable(methods: readonly AgentMethod[]): (name: string) => AgentMethod | undefined {
  const byLowerName = new Map(methods.map((m) => [m.name.toLowerCase(), m]));
  return (name) => byLowerName.get(name.toLowerCase());
}

/**
 * A GET on an agent URL: the real server answers a short description of the method instead of
 * running it. Its exact shape is inferred.
 */
export function describeAgentMethod(agent: string, method: AgentMethod): AgentResponse {
  return ok({ Agent: agent, Method: method.name, HttpMethod: "POST", Description: method.description });
}

export function ok(body: unknown): AgentResponse {
  return { status: 200, body };
}

export function invalid(detail: string): AgentResponse {
  return { status: 400, body: invalidRequestBody(detail) };
}

/**
 * A request that binds but that the server refuses (unknown id, option on a non-Split step).
 * Status 400 with the REST error object: inferred, as no captured answer shows one.
 */
export function refused(errorType: string, message: string, source: string): AgentResponse {
  return { status: 400, body: soErrorBody(errorType, message, source) };
}

function parseIntParam(value: string): number | undefined {
  return /^\s*-?\d{1,10}\s*$/.test(value) ? Number(value) : undefined;
}

export function queryInt(req: AgentRequest, name: string): number | AgentResponse {
  const value = req.query.get(name.toLowerCase());
  if (value === undefined) return invalid(`The query parameter '${name}' is required.`);
  const n = parseIntParam(value);
  return n === undefined ? invalid(`The query parameter '${name}' must be an integer, got ${JSON.stringify(value)}.`) : n;
}

/** Methods that take a request body (`{"WorkflowStepId": N}`); the query is accepted too, for hand-written calls. */
export function bodyOrQueryInt(req: AgentRequest, name: string): number | AgentResponse {
  if (isObject(req.body)) {
    const binder = new Binder();
    const raw = caseInsensitiveGet(req.body, name.toLowerCase());
    if (raw === undefined) return invalid(`${name} is required.`);
    const n = binder.int(raw, name);
    return binder.problems.length > 0 ? invalid(formatProblems(binder.problems)) : n;
  }
  return queryInt(req, name);
}

/** Admin routes' errors: a plain `{error}` body (they are the emulator's, not the server's). */
export function adminError(status: number, message: string): Answer {
  return { status, body: { error: message } };
}
