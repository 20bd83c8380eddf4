/**
 * One JSON POST over node:http(s) with a keep-alive agent (measured faster than global fetch at
 * our concurrency). Only transport faults are decided here (network, timeout, an answer too large
 * to hold); what a status or body means is for response.ts.
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
  /** The agent method (or what is asked, e.g. "sign-in"), for errors. */
  readonly method: string;
  /** Default POST; the Online state API and OpenID metadata are read with GET. */
  readonly verb?: "GET" | "POST";
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Already serialised; `undefined` sends an empty body. */
  readonly body?: string | undefined;
  readonly timeoutMs: number;
  readonly agent: http.Agent;
  /** An answer larger than this is not read to the end: the request fails (see tooLarge). */
  readonly maxResponseBytes: number;
  /** The request may change data, so a fault after sending leaves its outcome unknown. */
  readonly write: boolean;
}

/** Node error codes that prove the request never reached the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ECONNABORTED"]);

/**
 * How long an idle keep-alive socket is kept. A server closes idle connections after its own
 * time (Node, and so the emulator: 5 s; IIS 120 s; proxies and load balancers often a few
 * minutes); a request sent on a socket the server is closing at that moment fails with
 * ECONNRESET. Retiring sockets sooner than any of those, and sooner still when an answer's
 * `Keep-Alive: timeout=N` says so (Node's agent then keeps them N − 1 s), avoids that race.
 */
export const IDLE_SOCKET_MS = 4000;

export function createAgent(url: URL, idleMs = IDLE_SOCKET_MS): http.Agent {
  // `timeout` is the free socket's idle time (an in-use one only emits an event nobody acts on:
  // httpPost has its own timer), and without it Node ignores the server's Keep-Alive hint.
  const options = { keepAlive: true, keepAliveMsecs: 1000, timeout: idleMs };
  return url.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
}

/**
 * A read sent on a kept-alive socket that the server closed at that very moment fails before
 * any answer (ECONNRESET, EPIPE). Nothing was processed that matters (a read changes nothing),
 * so it is sent once more on a new connection, quietly: a healthy server never causes a
 * warning. A write is never sent again here; its outcome is unknown (see the queue).
 */
export async function httpPost(init: HttpPostInit): Promise<HttpResponse> {
  try {
    return await postOnce(init);
  } catch (err) {
    if (err instanceof StaleSocketError && !init.write) return postOnce(init, true);
    throw err instanceof StaleSocketError ? err.error : err;
  }
}

/** A fault on a reused socket before any answer arrived, carrying the error to report. */
class StaleSocketError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

function postOnce(init: HttpPostInit, fresh = false): Promise<HttpResponse> {
  const { url, method } = init;
  const body = init.body === undefined ? undefined : Buffer.from(init.body, "utf8");
  const transport = url.protocol === "https:" ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    // True once bytes of this request may have left: the socket was connected (or reused).
    let mayHaveReachedServer = false;
    let timedOut = false;
    let settled = false;
    let answered = false;
    const fail = (err: ApiError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };

    const req = transport.request(url, {
      method: init.verb ?? "POST",
      // The second try of a read never takes a kept-alive socket again.
      agent: fresh ? false : init.agent,
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
      const stale = req.reusedSocket && !answered && (err.code === "ECONNRESET" || err.code === "EPIPE");
      const error = new ApiError({
        kind: "network",
        method,
        message: `${method}: could not talk to ${url.origin} (${err.code ?? err.message})${unknown ? "; the server may have received the request" : ""}.`,
        outcomeUnknown: unknown,
        cause: err,
      });
      if (stale && !settled) {
        settled = true;
        clearTimeout(timer);
        reject(new StaleSocketError(error));
      } else fail(error);
    });

    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const declared = Number(res.headers["content-length"]);
      if (declared > init.maxResponseBytes) {
        fail(tooLarge(init, res.statusCode));
        req.destroy();
        return;
      }
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > init.maxResponseBytes) {
          // Stop reading at once: holding a runaway answer is what takes the process down.
          fail(tooLarge(init, res.statusCode));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
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

/**
 * No SuperOffice answer wfsync asks for comes near the limit (a split with its options is
 * kilobytes): a larger one is a server or proxy gone wrong, and retrying would fetch it again.
 */
function tooLarge(init: HttpPostInit, status: number | undefined): ApiError {
  const mib = Math.round((init.maxResponseBytes / 1024 / 1024) * 100) / 100;
  return new ApiError({
    kind: "rejected",
    method: init.method,
    status,
    outcomeUnknown: init.write,
    message:
      `${init.method}: the server misbehaved: its answer is larger than ${mib} MiB, so wfsync stopped reading it` +
      `${init.write ? "; the server may have acted on the request" : ""}. Check the URL (it must be the installation base) or ask the server's administrator.`,
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
