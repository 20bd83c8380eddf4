import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WfsyncError } from "../src/errors.js";
import { createLogger, formatLine } from "../src/log.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-log-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function capture(): { lines: string[]; write(text: string): void } {
  const lines: string[] = [];
  return { lines, write: (text: string) => void lines.push(text) };
}

describe("createLogger", () => {
  it("writes readable text to stderr at the level, JSON to the file at debug", () => {
    const stderr = capture();
    const file = path.join(dir, "logs", "wfsync.log");
    const logger = createLogger({ level: "warn", file, stderr });
    logger.debug({ method: "GetWorkflowStep", status: 200, ms: 12 }, "api request");
    logger.info("planning");
    logger.warn({ waitMs: 5000 }, "throttled by the server");
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}throttled by the server waitMs=5000\n$/);
    const json = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    // The first line is written on opening: a file that cannot be written fails createLogger.
    expect(json.map((j) => j.msg)).toEqual(["log opened", "api request", "planning", "throttled by the server"]);
    expect(json[0]).toMatchObject({ level: 20, pid: process.pid });
    expect(json[1]).toMatchObject({ level: 20, method: "GetWorkflowStep", status: 200 });
  });

  it("defaults to warn, and silent writes nothing to stderr but still logs to the file", () => {
    const stderr = capture();
    createLogger({ stderr }).info("hidden");
    expect(stderr.lines).toEqual([]);
    const file = path.join(dir, "x.log");
    const logger = createLogger({ level: "silent", file, stderr });
    logger.error("boom");
    logger.debug("detail");
    expect(stderr.lines).toEqual([]);
    expect(fs.readFileSync(file, "utf8").trim().split("\n").slice(1)).toHaveLength(2);
  });

  it("trace on stderr lowers the file to trace too", () => {
    const file = path.join(dir, "x.log");
    createLogger({ level: "trace", file, stderr: capture() }).trace("deep");
    expect(fs.readFileSync(file, "utf8")).toContain("deep");
  });

  it("writes JSON to stderr when not pretty", () => {
    const stderr = capture();
    createLogger({ level: "info", pretty: false, stderr }).info({ a: 1 }, "hi");
    expect(JSON.parse(stderr.lines[0]!)).toMatchObject({ msg: "hi", a: 1, level: 30 });
  });

  it("fails at once, in words, on a log file that is a folder or on a full disk", () => {
    const cases: [string, string][] = [[dir, "it is a folder"]];
    if (fs.existsSync("/dev/full")) cases.push(["/dev/full", "no space left on device"]);
    fs.writeFileSync(path.join(dir, "a-file"), "");
    cases.push([path.join(dir, "a-file", "x.log"), "a part of the path is a file, not a folder"]);
    for (const [file, why] of cases) {
      let err: unknown;
      try {
        createLogger({ file, stderr: capture() });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WfsyncError);
      expect(err).toMatchObject({ code: "E_LOG_FILE", message: `cannot write the log file ${file}: ${why}` });
    }
  });

  it("rejects an unknown level", () => {
    expect(() => createLogger({ level: "loud" })).toThrow(WfsyncError);
  });

  it("redacts secret keys everywhere it writes", () => {
    const stderr = capture();
    const file = path.join(dir, "x.log");
    const logger = createLogger({ level: "debug", file, stderr });
    logger.debug(
      {
        authorization: "Bearer s1-secret",
        headers: { Authorization: "Basic s2-secret", "SO-AppToken": "s3-secret", "so-apptoken": "s4-secret" },
        req: { headers: { authorization: "SOTicket s5-secret" } },
        credentials: { password: "s6-secret" },
        env: { WFSYNC_TOKEN: "s7-secret", WFSYNC_PASSWORD: "s8-secret" },
        token: "s9-secret",
        appToken: "s10-secret",
        ticket: "s11-secret",
        password: "s12-secret",
        online: { privateKey: "s13-secret", systemUserToken: "s14-secret", clientSecret: "s15-secret" },
        body: { SignedSystemToken: "s16-secret", ApplicationToken: "s17-secret" },
        vars: { WFSYNC_PRIVATE_KEY: "s18-secret", WFSYNC_SYSTEM_USER_TOKEN: "s19-secret", WFSYNC_CLIENT_SECRET: "s20-secret" },
        jwt: "s21-secret",
        privateKeyText: "s22-secret",
      },
      "request",
    );
    const everything = `${stderr.lines.join("")}\n${fs.readFileSync(file, "utf8")}`;
    expect(everything).toContain("[redacted]");
    for (let i = 1; i <= 22; i++) expect(everything).not.toContain(`s${i}-secret`);
  });

  it("redacts the userinfo of URLs in logged text, whatever the password holds", () => {
    const stderr = capture();
    const file = path.join(dir, "x.log");
    const logger = createLogger({ level: "debug", file, stderr, pretty: false });
    logger.warn({ target: 'ftp://anna:p@ss#w"0rd/?@host/x', note: "mail anna@example.com" }, "could not reach https://anna:s3cr#t@online.example/Cust1 (retrying)");
    for (const text of [stderr.lines.join(""), fs.readFileSync(file, "utf8").trim().split("\n")[1]!]) {
      const rec = JSON.parse(text) as Record<string, unknown>;
      expect(rec.msg).toBe("could not reach https://[redacted]@online.example/Cust1 (retrying)");
      expect(rec.target).toBe("ftp://[redacted]@host/x");
      expect(rec.note).toBe("mail anna@example.com");
    }
  });

  it("leaves words alone: only known keys are redacted, not values that look like them", () => {
    const stderr = capture();
    createLogger({ level: "info", pretty: false, stderr }).info({ reason: "wrong password" }, "the password was wrong");
    expect(JSON.parse(stderr.lines[0]!)).toMatchObject({ reason: "wrong password", msg: "the password was wrong" });
  });
});

describe("formatLine", () => {
  it("shows an error as `error CODE: message` (as formatError does), its type without a code, and its stack at debug", () => {
    const rec = { level: 50, time: "2025-01-01T12:00:01.123Z", msg: "apply failed", err: { type: "ApiError", code: "E_API_AUTH", message: "refused", stack: "ApiError: refused\n    at x (y.js:1:1)" } };
    expect(formatLine(JSON.stringify(rec))).toBe("12:00:01.123 ERROR apply failed\n    error E_API_AUTH: refused\n");
    expect(formatLine(JSON.stringify({ ...rec, err: { type: "TypeError", message: "x is undefined" } }))).toContain("\n    TypeError: x is undefined\n");
    expect(formatLine(JSON.stringify({ ...rec, level: 20 }))).toContain("at x (y.js:1:1)");
  });

  it("colours the level only when asked", () => {
    expect(formatLine(JSON.stringify({ level: 40, msg: "m" }), true)).toContain("\u001b[33mWARN");
  });
});
