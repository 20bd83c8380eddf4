/**
 * What a SuperOffice answer means. The body decides as much as the status: a 200 can carry
 * `{"Message", "MessageDetail"}` or `{"Error": true, ...}`, and a missing entity is 200 + null.
 */
import { ApiError } from "./errors.js";
import type { HttpResponse } from "./http.js";
import { redactUrl } from "../redact.js";

export interface InterpretContext {
  readonly method: string;
  /** Names the credential variables, for the 401/403 message. */
  readonly credentialsDescription: string;
  /** What to check after a 401/403 (default: for ready tokens and passwords). */
  readonly authHint?: string;
  /** Scrubs known secret values from server text before it goes into an error. */
  readonly scrub: (text: string) => string;
  readonly now: () => number;
}

/** Returns the parsed body (`null` for an empty answer or JSON null) or throws an ApiError. */
export function interpretResponse(res: HttpResponse, ctx: InterpretContext): unknown {
  const { method } = ctx;
  const { status } = res;
  const parsed = parseBody(res.text);
  const serverMessage = parsed.ok ? errorText(parsed.value, ctx.scrub) : undefined;
  const said = serverMessage ? `: ${serverMessage}` : "";

  if (status === 401 || status === 403) {
    throw new ApiError({
      kind: "auth",
      method,
      status,
      serverMessage,
      outcomeUnknown: false,
      message:
        `The server refused the credentials from ${ctx.credentialsDescription} (${status} on ${method})${said}. ` +
        (ctx.authHint ?? "Check that they are valid for this installation and not expired (access tokens last about 20 minutes; SuperOffice Online also needs WFSYNC_APP_TOKEN)."),
    });
  }
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"], ctx.now());
    const wait = retryAfterMs === undefined ? "" : `; asked to wait ${formatSeconds(retryAfterMs)}`;
    throw new ApiError({
      kind: "throttled",
      method,
      status,
      serverMessage,
      retryAfterMs,
      outcomeUnknown: false,
      message: `${method} was throttled by the server (${status})${wait}${said}.`,
    });
  }
  if (status >= 500) {
    throw new ApiError({
      kind: "server",
      method,
      status,
      serverMessage,
      // The server may have written the change before it failed (and a gateway error hides
      // whether it did); 501 and 505 say the request was not understood at all.
      outcomeUnknown: status !== 501 && status !== 505,
      message: `${method} failed on the server (${status})${said}.`,
    });
  }
  if (status < 200 || status >= 300) {
    const location = res.headers.location ? ` to ${redactUrl(String(res.headers.location))}` : "";
    const hint =
      status === 404 || (status >= 300 && status < 400)
        ? ` Check the URL: it must be the installation base (e.g. https://online.superoffice.com/Cust12345)${status >= 300 ? `; the server redirected${location}` : ""}.`
        : "";
    throw new ApiError({
      kind: "rejected",
      method,
      status,
      serverMessage,
      outcomeUnknown: false,
      message: `The server rejected ${method} (${status})${said}.${hint}`,
    });
  }
  if (!parsed.ok) {
    throw new ApiError({
      kind: "rejected",
      method,
      status,
      // We cannot tell what a server that does not speak the API did with the request.
      outcomeUnknown: true,
      message:
        `${method}: the answer is not JSON (${String(res.headers["content-type"] ?? "no content type")}): ` +
        `${JSON.stringify(ctx.scrub(res.text.slice(0, 120)))}. Check that the URL is the installation base.`,
    });
  }
  if (serverMessage !== undefined) {
    throw new ApiError({
      kind: "rejected",
      method,
      status,
      serverMessage,
      outcomeUnknown: false,
      message: `The server refused ${method}${said}.`,
    });
  }
  return parsed.value;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseBody(text: string): Parsed {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Keys of an ASP.NET Web API error answer; a carrier always has other keys too. */
const MESSAGE_ERROR_KEYS = new Set(["message", "messagedetail", "exceptionmessage", "exceptiontype", "stacktrace", "innerexception", "modelstate"]);

/**
 * The error text if `body` is one of the two SuperOffice error shapes, else undefined.
 * `{"Error": true, "ErrorMessage"}` and `{"Message", "MessageDetail"?}` with nothing else
 * (a CreateRequest step has a `Message` field too, next to `StepType`).
 */
export function errorText(body: unknown, scrub: (text: string) => string = (t) => t): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const fields = new Map(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v]));
  if (fields.get("error") === true) {
    const type = asText(fields.get("errortype"));
    const msg = asText(fields.get("errormessage")) ?? "unknown error";
    return scrub(type ? `${msg} (${type})` : msg);
  }
  const message = asText(fields.get("message"));
  if (message !== undefined && [...fields.keys()].every((k) => MESSAGE_ERROR_KEYS.has(k))) {
    const parts = [message, asText(fields.get("messagedetail")), asText(fields.get("exceptionmessage"))];
    return scrub(parts.filter((p): p is string => p !== undefined && p !== "").join(" — "));
  }
  return undefined;
}

function asText(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** `Retry-After` as seconds (`"120"`, `"1.5"`) or an HTTP date, in ms from `now`; never negative. */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Only an HTTP date (IMF-fixdate, RFC 850 or asctime: a month name and hh:mm:ss); Date.parse
  // alone reads "-3" or "5 10" as dates years away. The obsolete asctime form has no zone but
  // means GMT, which Date.parse would take as local time.
  if (!/\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i.test(value) || !/\b\d{1,2}:\d{2}:\d{2}\b/.test(value)) return undefined;
  const at = Date.parse(/\b(gmt|utc|ut)\b|[+-]\d{4}$/i.test(value) ? value : `${value} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
