import http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, createWorkflowClient, credentialsFromEnv, parseRetryAfter, type Credentials, type WorkflowClient } from "../../src/client/index.js";
import { redactUrl } from "../../src/redact.js";
import { WfsyncError } from "../../src/errors.js";
import { createAgent, httpPost } from "../../src/client/http.js";
import { json, startServer, type Handler, type TestServer } from "./server.js";

const TOKEN = "8A:Cust12345.SECRET-bearer-token-value";
const bearer: Credentials = credentialsFromEnv({ WFSYNC_TOKEN: TOKEN });

let server: TestServer | undefined;
let client: WorkflowClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, credentials: Credentials = bearer, timeoutMs?: number): Promise<{ server: TestServer; client: WorkflowClient }> {
  server = await startServer(handler);
  client = createWorkflowClient({ baseUrl: `${server.url}/`, credentials, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return { server, client };
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("calls", () => {
  it("posts each method to the agent path with its argument", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.path.endsWith("/DeleteWorkflowStepOption")) {
        res.writeHead(204).end();
        return;
      }
      json(res, 200, { WorkflowStepOptionId: 7, Echo: req.body === "" ? null : (JSON.parse(req.body) as unknown) });
    });
    const option = { WorkflowStepOptionId: 0, WorkflowStepId: 844, WorkflowId: 679, Key: "vip", Name: "VIP", Rank: 1, Steps: [] };
    await expect(client.getWorkflowStep(844)).resolves.toMatchObject({ Echo: { WorkflowStepId: 844 } });
    await client.getWorkflowStepOption(12);
    await expect(client.saveWorkflowStepOption(option)).resolves.toMatchObject({ WorkflowStepOptionId: 7, Echo: option });
    await expect(client.deleteWorkflowStepOption(12)).resolves.toBeUndefined();
    await expect(client.createDefaultWorkflowStepOption()).resolves.toMatchObject({ Echo: null });
    await client.getEmailFlow(3);

    const base = "/Cust12345/api/v1/Agents/Workflow/";
    expect(server.requests.map((r) => `${r.method} ${r.path}?${r.query.toString()}`)).toEqual([
      `POST ${base}GetWorkflowStep?`,
      `POST ${base}GetWorkflowStepOption?workflowStepOptionId=12`,
      `POST ${base}SaveWorkflowStepOption?`,
      `POST ${base}DeleteWorkflowStepOption?WorkflowStepOptionId=12`,
      `POST ${base}CreateDefaultWorkflowStepOption?`,
      `POST ${base}GetEmailFlow?emailFlowId=3`,
    ]);
    for (const r of server.requests) {
      expect(r.headers.accept).toBe("application/json");
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
    }
  });

  it("returns null for a missing entity (200 + null)", async () => {
    const { client } = await setup((_req, res) => json(res, 200, null));
    await expect(client.getWorkflowStepOption(1)).resolves.toBeNull();
    await expect(client.getWorkflowStep(1)).resolves.toBeNull();
    await expect(client.getEmailFlow(1)).resolves.toBeNull();
  });

  it("does not mistake a step carrying a Message field for an error", async () => {
    const step = { WorkflowStepId: 5, StepType: "CreateRequest", Message: "Hello", Title: "t" };
    const { client } = await setup((_req, res) => json(res, 200, step));
    await expect(client.getWorkflowStep(5)).resolves.toEqual(step);
  });

  it("reuses one keep-alive connection for sequential requests", async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, { ok: 1 }));
    for (let i = 0; i < 5; i++) await client.getWorkflowStep(i);
    expect(server.requests).toHaveLength(5);
    expect(server.connections).toBe(1);
  });
});

describe("idle sockets", () => {
  it("the idle time retires a free socket only: an answer slower than it still arrives", async () => {
    const server = await startServer((_req, res) => setTimeout(() => json(res, 200, { ok: 1 }), 300));
    const url = new URL(`${server.url}/x`);
    const agent = createAgent(url, 50);
    const post = () => httpPost({ method: "M", url, headers: {}, timeoutMs: 10_000, agent, maxResponseBytes: 1 << 20, write: false });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    agent.destroy();
    await server.close();
  });
});

describe("a kept-alive socket the server closed", () => {
  /** Answers each connection's first request; the second one on a connection is cut off unanswered. */
  async function closingServer(): Promise<{ server: TestServer; cut: () => number }> {
    const perSocket = new WeakMap<object, number>();
    let cut = 0;
    const server = await startServer((_req, res, raw) => {
      const n = (perSocket.get(raw.socket) ?? 0) + 1;
      perSocket.set(raw.socket, n);
      if (n === 2) {
        cut++;
        raw.socket.destroy();
      } else json(res, 200, { ok: n });
    });
    return { server, cut: () => cut };
  }

  it("a read is sent once more on a new connection, quietly", async () => {
    const { server, cut } = await closingServer();
    const url = new URL(`${server.url}/x`);
    const agent = createAgent(url);
    const post = () => httpPost({ method: "GetWorkflowStep", url, headers: {}, timeoutMs: 10_000, agent, maxResponseBytes: 1 << 20, write: false });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    expect(cut()).toBe(1);
    expect(server.requests).toHaveLength(3);
    agent.destroy();
    await server.close();
  });

  it("a write is not sent again: its outcome is unknown", async () => {
    const { server } = await closingServer();
    const url = new URL(`${server.url}/x`);
    const agent = createAgent(url);
    const post = () => httpPost({ method: "SaveWorkflowStepOption", url, headers: {}, timeoutMs: 10_000, agent, maxResponseBytes: 1 << 20, write: true });
    expect((await post()).status).toBe(200);
    const err = await post().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: "network", outcomeUnknown: true });
    expect(server.requests).toHaveLength(2);
    agent.destroy();
    await server.close();
  });
});

describe("credentials", () => {
  it.each([
    [{ WFSYNC_USERNAME: "anna", WFSYNC_PASSWORD: "pw:1" }, `Basic ${Buffer.from("anna:pw:1").toString("base64")}`, undefined],
    [{ WFSYNC_TOKEN: "8A:abc" }, "Bearer 8A:abc", undefined],
    [{ WFSYNC_TICKET: "7T:xyz", WFSYNC_APP_TOKEN: "app-secret" }, "SOTicket 7T:xyz", "app-secret"],
  ])("sends %j as the right headers", async (env, authorization, appToken) => {
    const { server, client } = await setup((_req, res) => json(res, 200, {}), credentialsFromEnv(env));
    await client.getWorkflowStep(1);
    expect(server.requests[0]?.headers.authorization).toBe(authorization);
    expect(server.requests[0]?.headers["so-apptoken"]).toBe(appToken);
  });

  it("names every variable when none is set", () => {
    const err = catchSync(() => credentialsFromEnv({ WFSYNC_APP_TOKEN: "x" }));
    expect(err.code).toBe("E_NO_CREDENTIALS");
    const text = `${err.message}\n${err.detail ?? ""}`;
    for (const v of ["WFSYNC_USERNAME", "WFSYNC_PASSWORD", "WFSYNC_TOKEN", "WFSYNC_TICKET", "WFSYNC_APP_TOKEN"]) expect(text).toContain(v);
  });

  it("refuses half a Basic pair and two schemes at once", () => {
    expect(catchSync(() => credentialsFromEnv({ WFSYNC_USERNAME: "anna" })).message).toContain("WFSYNC_PASSWORD");
    expect(catchSync(() => credentialsFromEnv({ WFSYNC_TOKEN: "a", WFSYNC_TICKET: "b" })).code).toBe("E_CREDENTIALS_AMBIGUOUS");
  });

  it("never shows a secret when serialised or inspected", () => {
    const c = credentialsFromEnv({ WFSYNC_USERNAME: "anna", WFSYNC_PASSWORD: "hunter2-secret", WFSYNC_APP_TOKEN: "app-secret" });
    for (const text of [JSON.stringify(c), inspect(c), JSON.stringify({ nested: c })]) {
      expect(text).not.toContain("hunter2-secret");
      expect(text).not.toContain("app-secret");
    }
  });
});

describe("failure shapes", () => {
  it("200 with Message/MessageDetail is a rejection carrying the server's text", async () => {
    const { client } = await setup((_req, res) => json(res, 200, { Message: "The request is invalid.", MessageDetail: "Name too long" }));
    const err = await failure(client.saveWorkflowStepOption({ Key: "k" }));
    expect(err).toMatchObject({ kind: "rejected", code: "E_API_REJECTED", status: 200, method: "SaveWorkflowStepOption", outcomeUnknown: false });
    expect(err.serverMessage).toBe("The request is invalid. — Name too long");
    expect(err.message).toContain("Name too long");
    expect(err).toBeInstanceOf(WfsyncError);
  });

  it("200 with Error: true is a rejection", async () => {
    const { client } = await setup((_req, res) =>
      json(res, 200, { Error: true, ErrorType: "SoNotFoundException", ErrorMessage: "No such step", ErrorSource: "x" }),
    );
    const err = await failure(client.getWorkflowStep(9));
    expect(err).toMatchObject({ kind: "rejected", serverMessage: "No such step (SoNotFoundException)" });
  });

  it("500 with an error object is a server fault whose outcome is unknown", async () => {
    const { client } = await setup((_req, res) => json(res, 500, { Error: true, ErrorType: "Exception", ErrorMessage: "boom" }));
    const err = await failure(client.saveWorkflowStepOption({}));
    expect(err).toMatchObject({ kind: "server", status: 500, serverMessage: "boom (Exception)", outcomeUnknown: true, retryable: true });
  });

  it("400 is a rejection, 404 hints at the URL", async () => {
    let status = 400;
    const { client } = await setup((_req, res) => json(res, status, { Message: "Bad" }));
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "rejected", status: 400, serverMessage: "Bad", retryable: false });
    status = 404;
    expect((await failure(client.getWorkflowStep(1))).message).toContain("installation base");
  });

  it("a 200 that is not JSON is a rejection with unknown outcome", async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<html>login</html>");
    });
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "rejected", outcomeUnknown: true });
  });

  it.each([401, 403])("%i names the credential variable, not the secret", async (status) => {
    const { client } = await setup((_req, res) => json(res, status, { Message: "Authorization has been denied" }));
    const err = await failure(client.getWorkflowStep(1));
    expect(err).toMatchObject({ kind: "auth", code: "E_API_AUTH", status, outcomeUnknown: false });
    expect(err.message).toContain("WFSYNC_TOKEN");
    expect(err.message).toContain("refused");
    expect(err.message).not.toContain(TOKEN);
  });

  it("429 with Retry-After in seconds is throttled", async () => {
    const { client } = await setup((_req, res) => json(res, 429, undefined, { "Retry-After": "7" }));
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "throttled", status: 429, retryAfterMs: 7000, outcomeUnknown: false });
  });

  it("429 with Retry-After as an HTTP date is throttled until that date", async () => {
    const now = Date.parse("2025-01-01T12:00:00Z");
    server = await startServer((_req, res) => json(res, 429, undefined, { "Retry-After": "Wed, 01 Jan 2025 12:00:30 GMT" }));
    client = createWorkflowClient({ baseUrl: server.url, credentials: bearer, now: () => now });
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "throttled", retryAfterMs: 30_000 });
  });

  it.each([
    ["a negative number", "-3", undefined],
    ["two numbers", "5 10", undefined],
    ["a number with a unit", "2 minutes", undefined],
    ["the RFC 850 date form", "Wednesday, 01-Jan-25 12:00:30 GMT", 30_000],
    ["the asctime date form (GMT, though it names no zone)", "Wed Jan  1 12:00:30 2025", 30_000],
  ])("Retry-After as %s", (_what, header, expected) => {
    // Away from UTC, so a date read as local time would be hours off.
    const tz = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(parseRetryAfter(header, Date.parse("2025-01-01T12:00:00Z"))).toBe(expected);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it("503 is throttled; 429 without Retry-After leaves the wait to the caller", async () => {
    let status = 503;
    const { client } = await setup((_req, res) => json(res, status, { Message: "busy" }));
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "throttled", status: 503, retryAfterMs: undefined });
    status = 429;
    expect(await failure(client.getWorkflowStep(1))).toMatchObject({ kind: "throttled", status: 429, retryAfterMs: undefined });
  });
});

describe("transport faults", () => {
  it("a timeout after the request was sent has an unknown outcome", async () => {
    const { client } = await setup(() => undefined /* never answers */, bearer, 150);
    const err = await failure(client.saveWorkflowStepOption({}));
    expect(err).toMatchObject({ kind: "timeout", code: "E_API_TIMEOUT", outcomeUnknown: true, retryable: true });
  });

  it("ECONNREFUSED is a network fault that certainly did not reach the server", async () => {
    const port = await freePort();
    client = createWorkflowClient({ baseUrl: `http://127.0.0.1:${port}`, credentials: bearer });
    const err = await failure(client.saveWorkflowStepOption({}));
    expect(err).toMatchObject({ kind: "network", outcomeUnknown: false });
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("a connection reset after the request arrived has an unknown outcome", async () => {
    const { client } = await setup((_req, _res, raw) => raw.socket.destroy());
    expect(await failure(client.saveWorkflowStepOption({}))).toMatchObject({ kind: "network", outcomeUnknown: true });
  });

  it("an answer cut off mid-body has an unknown outcome", async () => {
    const { client } = await setup((_req, res, raw) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write('{"WorkflowStepOptionId":');
      setTimeout(() => raw.socket.destroy(), 20);
    });
    expect(await failure(client.saveWorkflowStepOption({}))).toMatchObject({ kind: "network", outcomeUnknown: true });
  });

  it("refuses a URL with credentials in it", () => {
    expect(catchSync(() => createWorkflowClient({ baseUrl: "https://u:p@host/Cust1", credentials: bearer })).code).toBe("E_BAD_URL");
  });

  it.each([
    ["a / in the password", "https://anna:pa/ss-w0rd@host/Cust1"],
    ["a bad port after the password", "https://anna:pass-w0rd@host:99999/Cust1"],
    ["an @ and a # in the password", "http://anna:pa@ss#-w0rd@host/Cust1"],
  ])("names no part of a password in the error for a URL that does not parse (%s)", (_what, url) => {
    const err = catchSync(() => createWorkflowClient({ baseUrl: url, credentials: bearer }));
    expect(err.code).toBe("E_BAD_URL");
    expect(`${err.message} ${err.detail ?? ""}`).not.toMatch(/anna|w0rd|pa\/|pa@|:pa/);
  });
});

describe("answers too large to hold", () => {
  const MiB = 1024 * 1024;

  /** Streams chunks of zeros for as long as the client reads (at most `limit` bytes), then ends. */
  function endless(limit: number, chunked: boolean): { handler: Handler; sent: () => number; closedEarly: Promise<boolean> } {
    let sent = 0;
    let closedEarly!: (v: boolean) => void;
    const closed = new Promise<boolean>((resolve) => (closedEarly = resolve));
    const chunk = Buffer.alloc(64 * 1024, 0x30);
    const handler: Handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", ...(chunked ? {} : { "Content-Length": String(limit) }) });
      res.on("close", () => closedEarly(sent < limit));
      const pump = (): void => {
        while (sent < limit) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      if (!chunked) {
        // The header already says it all: nothing needs to be sent for the client to refuse.
        res.flushHeaders();
        res.write(chunk);
        sent += chunk.length;
        return;
      }
      pump();
    };
    return { handler, sent: () => sent, closedEarly: closed };
  }

  it("aborts a streamed answer as soon as it passes the cap: a save's outcome is unknown", async () => {
    const big = endless(128 * MiB, true);
    server = await startServer(big.handler);
    client = createWorkflowClient({ baseUrl: server.url, credentials: bearer, maxResponseBytes: MiB });
    const err = await failure(client.saveWorkflowStepOption({}));
    expect(err).toMatchObject({ kind: "rejected", code: "E_API_REJECTED", outcomeUnknown: true, retryable: false });
    expect(err.message).toBe(
      "SaveWorkflowStepOption: the server misbehaved: its answer is larger than 1 MiB, so wfsync stopped reading it; the server may have acted on the request. " +
        "Check the URL (it must be the installation base) or ask the server's administrator.",
    );
    // The connection was cut long before the server got to the end of its answer.
    expect(await big.closedEarly).toBe(true);
    expect(big.sent()).toBeLessThan(64 * MiB);
  });

  it("refuses a Content-Length above the cap before reading; a read's outcome is known", async () => {
    const big = endless(3 * 1024 * MiB, false);
    server = await startServer(big.handler);
    client = createWorkflowClient({ baseUrl: server.url, credentials: bearer, maxResponseBytes: 2 * MiB });
    const err = await failure(client.getWorkflowStep(844));
    expect(err).toMatchObject({ kind: "rejected", outcomeUnknown: false });
    expect(err.message).toMatch(/^GetWorkflowStep: the server misbehaved: its answer is larger than 2 MiB, so wfsync stopped reading it\. /);
    expect(await big.closedEarly).toBe(true);
  });

  it("reads an answer just below the cap", async () => {
    const body = { WorkflowStepId: 844, Padding: "x".repeat(100_000) };
    server = await startServer((_req, res) => json(res, 200, body));
    client = createWorkflowClient({ baseUrl: server.url, credentials: bearer, maxResponseBytes: Buffer.byteLength(JSON.stringify(body)) });
    await expect(client.getWorkflowStep(844)).resolves.toMatchObject({ WorkflowStepId: 844 });
  });
});

describe("redaction", () => {
  it("keeps every secret out of errors and logs, even when the server echoes them", async () => {
    const env = { WFSYNC_USERNAME: "anna", WFSYNC_PASSWORD: "pw-very-secret", WFSYNC_APP_TOKEN: "app-token-secret" };
    const basic = Buffer.from("anna:pw-very-secret").toString("base64");
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
    server = await startServer((req, res) =>
      json(res, 401, { Message: `Denied for ${String(req.headers.authorization)} / ${String(req.headers["so-apptoken"])} pw-very-secret` }),
    );
    client = createWorkflowClient({ baseUrl: server.url, credentials: credentialsFromEnv(env), logger });
    const err = await failure(client.getWorkflowStep(1));
    expect(err.message).toContain("WFSYNC_USERNAME/WFSYNC_PASSWORD");
    const everything = [JSON.stringify(err), inspect(err, { depth: 10 }), err.message, err.stack ?? "", err.serverMessage ?? "", ...lines].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 20, method: "GetWorkflowStep", status: 401 });
    for (const secret of ["pw-very-secret", "app-token-secret", basic]) expect(everything).not.toContain(secret);
  });

  it("leaves the server's words alone when a short password is one of them", async () => {
    const env = { WFSYNC_USERNAME: "anna", WFSYNC_PASSWORD: "wrong" };
    const header = `Basic ${Buffer.from("anna:wrong").toString("base64")}`;
    server = await startServer((req, res) =>
      json(res, 401, { Error: true, ErrorType: "SoAuthenticationException", ErrorMessage: `Unknown user name or wrong password (${String(req.headers.authorization)}).` }),
    );
    client = createWorkflowClient({ baseUrl: server.url, credentials: credentialsFromEnv(env) });
    const err = await failure(client.getWorkflowStep(1));
    // The echoed header is a secret where it stands; the word "wrong" is the server's.
    expect(err.serverMessage).toBe("Unknown user name or wrong password ([redacted]). (SoAuthenticationException)");
    expect(err.message).not.toContain(header.slice(6));
  });

  it("scrubs a long secret, or a token-like one, that the server echoes verbatim", async () => {
    const cases = [
      { WFSYNC_USERNAME: "anna", WFSYNC_PASSWORD: "correct horse battery" },
      { WFSYNC_TOKEN: "8A:f00ba4" },
      { WFSYNC_TICKET: "7T:abc123", WFSYNC_APP_TOKEN: "0123456789abcdef" },
    ];
    for (const env of cases) {
      const secrets = Object.entries(env).filter(([k]) => k !== "WFSYNC_USERNAME").map(([, v]) => v);
      server = await startServer((_req, res) => json(res, 400, { Message: `Rejected: ${secrets.join(" and ")}` }));
      client = createWorkflowClient({ baseUrl: server.url, credentials: credentialsFromEnv(env) });
      const err = await failure(client.getWorkflowStep(1));
      expect(err.serverMessage).toBe(`Rejected: ${secrets.map(() => "[redacted]").join(" and ")}`);
      client.close();
      await server.close();
    }
    server = undefined;
    client = undefined;
  });

  it.each([
    ["http://anna:pw@host/Cust1", "http://[redacted]@host/Cust1"],
    ["ftp://anna:pa#ss@host", "ftp://[redacted]@host"],
    ["http://anna:pa/ss?x@host:99999/Cust1", "http://[redacted]@host:99999/Cust1"],
    // Parses (host "anna", port 12, a fragment), yet 12#34 is a password.
    ["http://anna:12#34@host", "http://[redacted]@host"],
    ["anna:secret@host/Cust1", "[redacted]@host/Cust1"],
    ["https://online.superoffice.com/Cust12345", "https://online.superoffice.com/Cust12345"],
    ["not a url", "not a url"],
  ])("redactUrl(%j) is %j", (input, shown) => {
    expect(redactUrl(input)).toBe(shown);
  });

  it("redacts the userinfo of a redirect target", async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(302, { Location: "https://anna:pa#ss@login.example/Cust1" });
      res.end();
    });
    const err = await failure(client.getWorkflowStep(1));
    expect(err.message).toContain("the server redirected to https://[redacted]@login.example/Cust1");
  });
});

function catchSync(fn: () => unknown): WfsyncError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WfsyncError);
    return err as WfsyncError;
  }
  throw new Error("expected an error");
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
