/**
 * JSON requests to a SuperOffice Online environment host (Login, the tenant state API, OpenID
 * metadata), not to a tenant. They run inside a tenant call (a sign-in before a save), so their
 * faults say the tenant call was not sent: `outcomeUnknown` is always false, and throttling,
 * 5xx and network faults stay retryable for the queue.
 */
import type http from "node:http";
import { ApiError } from "./errors.js";
import { createAgent, httpPost } from "./http.js";

export interface EnvironmentAnswer {
  readonly status: number;
  /** The parsed body; undefined when it is not JSON. */
  readonly json: unknown;
}

export type EnvironmentCall = (verb: "GET" | "POST", url: string, body: unknown, what: string) => Promise<EnvironmentAnswer>;

export interface EnvironmentCaller {
  readonly call: EnvironmentCall;
  close(): void;
}

export function createEnvironmentCaller(opts: { timeoutMs: number; maxResponseBytes: number }): EnvironmentCaller {
  const agents = new Map<string, http.Agent>();
  const agentFor = (url: URL): http.Agent => {
    let agent = agents.get(url.origin);
    if (!agent) agents.set(url.origin, (agent = createAgent(url)));
    return agent;
  };
  return {
    async call(verb, target, body, what) {
      const url = new URL(target);
      let res;
      try {
        res = await httpPost({
          method: what,
          verb,
          url,
          headers: { Accept: "application/json", "User-Agent": "wfsync", ...(body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: opts.timeoutMs,
          agent: agentFor(url),
          maxResponseBytes: opts.maxResponseBytes,
          write: false,
        });
      } catch (err) {
        if (err instanceof ApiError) throw notSent(err);
        throw err;
      }
      if (res.status === 429 || res.status === 503 || res.status >= 500) {
        throw new ApiError({
          kind: res.status === 429 || res.status === 503 ? "throttled" : "server",
          method: what,
          status: res.status,
          outcomeUnknown: false,
          message: `${what} failed at ${url.origin} (${res.status}).`,
        });
      }
      let json: unknown;
      try {
        json = res.text.trim() === "" ? null : (JSON.parse(res.text) as unknown);
      } catch {
        json = undefined;
      }
      return { status: res.status, json };
    },
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

function notSent(err: ApiError): ApiError {
  return new ApiError({ kind: err.kind, method: err.method, status: err.status, message: err.message, outcomeUnknown: false, cause: err.cause });
}

/** A property of a JSON object, its name matched case-insensitively (SuperOffice answers PascalCase). */
export function field(value: unknown, name: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(value)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
