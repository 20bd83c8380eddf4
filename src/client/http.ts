/**
 * One JSON POST over node:http(s) with a keep-alive agent (measured faster than global fetch at
 * our concurrency). Only transport faults are decided here (network, timeout); what a status or
 * body means is for response.ts.
 */
import http from "node:http";
import https from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { ApiError } from "./errors.js";

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface HttpPostInit {
  /** The agent method, for errors. */
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Already serialised; `undefined` sends an empty body. */
  readonly body?: string | undefined;
  readonly timeoutMs: number;
  readonly agent: http.Agent;
}

/** Node error codes that prove the request never reached the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ECONNABORTED"]);

export function createAgent(url: URL): http.Agent {
  const options = { keepAlive: true, keepAliveMsecs: 1000 };
  return url.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
}

export function httpPost(init: HttpPostInit): Promise<HttpResponse> {
  const { url, method } = init;
  const body = init.body === undefined ? undefined : Buffer.from(init.body, "utf8");
  const transport = url.protocol === "https:" ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    // True once bytes of this request may have left: the socket was connected (or reused).
    let mayHaveReachedServer = false;
    let timedOut = false;
    let settled = false;
    const fail = (err: ApiError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };

    const req = transport.request(url, {
      method: "POST",
      agent: init.agent,
      headers: { ...init.headers, "Content-Length": String(body?.length ?? 0) },
    });

    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, init.timeoutMs);

    req.on("socket", (socket: Socket) => {
      if (!socket.connecting) {
        mayHaveReachedServer = true;
        return;
      }
      socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => {
        mayHaveReachedServer = true;
      });
    });

    req.on("error", (err: NodeJS.ErrnoException) => {
      if (timedOut) {
        fail(timeoutError(init, mayHaveReachedServer, err));
        return;
      }
      const unknown = mayHaveReachedServer && !NOT_SENT.has(err.code ?? "");
      fail(
        new ApiError({
          kind: "network",
          method,
          message: `${method}: could not talk to ${url.origin} (${err.code ?? err.message})${unknown ? "; the server may have received the request" : ""}.`,
          outcomeUnknown: unknown,
          cause: err,
        }),
      );
    });

    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", () => undefined); // reported through "aborted"/"close" below
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("close", () => {
        if (settled) return;
        // Headers arrived but the body did not: the server acted on the request, or may have.
        fail(
          timedOut
            ? timeoutError(init, true, undefined)
            : new ApiError({
                kind: "network",
                method,
                status: res.statusCode,
                message: `${method}: the connection closed before the whole answer arrived; the server may have acted on the request.`,
                outcomeUnknown: true,
              }),
        );
      });
    });

    req.end(body);
  });
}

function timeoutError(init: HttpPostInit, sent: boolean, cause: unknown): ApiError {
  const secs = init.timeoutMs / 1000;
  return new ApiError({
    kind: "timeout",
    method: init.method,
    message: sent
      ? `${init.method}: no answer from ${init.url.origin} within ${secs} s; the server may have received the request.`
      : `${init.method}: could not connect to ${init.url.origin} within ${secs} s.`,
    outcomeUnknown: sent,
    cause,
  });
}
