/**
 * Logging: pino, JSON lines to `--log-file` and one readable line per record on stderr.
 * Both go through synchronous writes (no worker thread), so nothing logged is lost when the
 * process exits or is killed. Secret-bearing keys are redacted before anything is written, and
 * so is the userinfo of any URL in a logged text (`https://user:password@host` → `https://[redacted]@host`).
 */
import fs from "node:fs";
import path from "node:path";
import { pino, type Logger, type StreamEntry } from "pino";
import { WfsyncError, describeFsFault, fsFaultCode } from "./errors.js";

export type { Logger } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = "warn";

export interface LoggerOptions {
  /** The stderr level (`--log-level`); default `warn`. */
  level?: string;
  /** Also write JSON lines here (`--log-file`), at `debug` or `level`, whichever is lower. */
  file?: string;
  /** Readable text on stderr (default); `false` writes JSON lines there instead. */
  pretty?: boolean;
  /** Where stderr output goes (tests); default file descriptor 2. */
  stderr?: { write(text: string): unknown };
  /** Colour the level names; default when stderr is a TTY and NO_COLOR is unset. */
  color?: boolean;
}

const SECRET_KEYS = [
  "authorization",
  "password",
  "token",
  "ticket",
  "appToken",
  "secret",
  "credentials",
  "SO-AppToken",
  "WFSYNC_PASSWORD",
  "WFSYNC_TOKEN",
  "WFSYNC_TICKET",
  "WFSYNC_APP_TOKEN",
  // The SuperOffice Online system user: its variables, its credential fields, the sign-in's body.
  "privateKey",
  "privateKeyText",
  "systemUserToken",
  "clientSecret",
  "signedSystemToken",
  "applicationToken",
  "jwt",
  "WFSYNC_PRIVATE_KEY",
  "WFSYNC_SYSTEM_USER_TOKEN",
  "WFSYNC_CLIENT_SECRET",
];

/** Redact paths for every secret key, any capitalisation we produce, up to three levels deep. */
export const REDACT_PATHS: readonly string[] = (() => {
  const keys = new Set<string>();
  for (const k of SECRET_KEYS) for (const v of [k, k.toLowerCase(), k.charAt(0).toUpperCase() + k.slice(1)]) keys.add(v);
  const paths: string[] = [];
  for (const k of keys) {
    const seg = /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
    for (const prefix of ["", "*", "*.*"]) paths.push(prefix === "" ? seg.replace(/^\./, "") : `${prefix}${seg}`);
  }
  return paths;
})();

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = parseLevel(options.level ?? DEFAULT_LOG_LEVEL);
  const streams: StreamEntry[] = [];
  const out = options.stderr ?? { write: writeStderr };
  if (level !== "silent") {
    const color = options.color ?? (process.stderr.isTTY === true && process.env.NO_COLOR === undefined);
    const pretty = options.pretty ?? true;
    streams.push({ level, stream: { write: (line: string) => void out.write(pretty ? formatLine(redactUserInfo(line), color) : redactUserInfo(line)) } });
  }
  if (options.file !== undefined) {
    const fileLevel: LogLevel = level === "trace" ? "trace" : "debug";
    const sink = openLogFile(options.file, out);
    streams.push({ level: fileLevel, stream: { write: (line: string) => sink.write(redactUserInfo(line)) } });
  }
  const lowest = streams.map((s) => s.level as LogLevel).sort((a, b) => LOG_LEVELS.indexOf(a) - LOG_LEVELS.indexOf(b))[0];
  return pino(
    {
      level: lowest ?? "silent",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
    },
    pino.multistream(streams, { dedupe: false }),
  );
}

/**
 * A log line to file descriptor 2. When stderr is a pipe no one reads any more, the line is
 * dropped: it can be shown nowhere, and a log line must never fail the work that logged it.
 */
export function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPIPE") throw err;
  }
}

/**
 * `scheme://…@` in a JSON line, up to the last `@` of its JSON string (a password may hold `/`,
 * `?`, `#`, `@` or an escaped quote): the same rule as url.ts redactUrl, applied within text.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s"\\<>]|\\.)*@/gi;

export function redactUserInfo(line: string): string {
  return line.includes("@") ? line.replace(URL_USERINFO, "$1[redacted]@") : line;
}

/**
 * The `--log-file` sink: synchronous appends (nothing lost at exit). It is opened and written
 * once here, so a file that cannot be written (a folder, a full disk, no permission) is one
 * E_LOG_FILE before anything else happens. A write that fails later (the disk filled up) must
 * not fail the request that logged it: the file is left alone from then on, said once on stderr.
 */
function openLogFile(file: string, stderr: { write(text: string): unknown }): { write(line: string): void } {
  let fd: number | undefined;
  const append = (text: string): void => {
    const buf = Buffer.from(text, "utf8");
    for (let off = 0; off < buf.length; ) off += fs.writeSync(fd!, buf, off, buf.length - off);
  };
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fd = fs.openSync(file, "a", 0o600);
    append(`${JSON.stringify({ level: 20, time: new Date().toISOString(), pid: process.pid, msg: "log opened" })}\n`);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    throw logFileError(file, err);
  }
  return {
    write(line) {
      if (fd === undefined) return;
      try {
        append(line);
      } catch (err) {
        const closing = fd;
        fd = undefined;
        fs.closeSync(closing);
        stderr.write(`wfsync: cannot write the log file ${file}: ${describeFsFault(err)}; logging to it stopped\n`);
      }
    },
  };
}

function logFileError(file: string, err: unknown): unknown {
  if (fsFaultCode(err) === undefined) return err;
  return new WfsyncError("E_LOG_FILE", `cannot write the log file ${file}: ${describeFsFault(err)}`, {
    cause: err,
    detail: "Give --log-file the path of a file this user may write, on a disk with free space (its folder is created if needed).",
  });
}

export function parseLevel(value: string): LogLevel {
  const v = value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new WfsyncError("E_BAD_LOG_LEVEL", `Unknown log level ${JSON.stringify(value)}; use one of ${LOG_LEVELS.join(", ")}.`);
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const LEVEL_COLORS: Record<number, string> = { 10: "90", 20: "36", 30: "32", 40: "33", 50: "31", 60: "35" };
const OMIT = new Set(["level", "time", "pid", "hostname", "msg", "err"]);

/** `12:00:01.123 WARN  message key=value …` (+ the error, with its stack at debug). */
export function formatLine(json: string, color = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const level = typeof rec.level === "number" ? rec.level : 30;
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const shownLevel = color ? `\u001b[${LEVEL_COLORS[level] ?? "0"}m${name}\u001b[0m` : name;
  const time = typeof rec.time === "string" ? rec.time.slice(11, 23) : "";
  const fields = Object.entries(rec)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  let text = `${time} ${shownLevel} ${typeof rec.msg === "string" ? rec.msg : ""}${fields.length ? ` ${fields.join(" ")}` : ""}`;
  const err = rec.err as { type?: string; code?: string; message?: string; stack?: string } | undefined;
  if (err && typeof err === "object") {
    // `error CODE: message`, as formatError prints it; the type only when there is no code.
    text += `\n    ${err.code ? `error ${err.code}` : (err.type ?? "Error")}: ${err.message ?? ""}`;
    if (level <= 20 && err.stack) text += `\n${err.stack.split("\n").slice(1).join("\n")}`;
  }
  return `${text}\n`;
}
