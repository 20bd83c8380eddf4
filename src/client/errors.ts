/**
 * The one error every failed Workflow-agent call turns into. `kind` says what the caller may do
 * about it (the queue retries on it); `outcomeUnknown` says whether the server may have acted on
 * a request whose answer was lost, so a create can be looked up before it is sent again.
 */
import { WfsyncError } from "../errors.js";

export type ApiErrorKind = "auth" | "throttled" | "server" | "network" | "timeout" | "rejected";

export const API_ERROR_CODES = {
  auth: "E_API_AUTH",
  throttled: "E_API_THROTTLED",
  server: "E_API_SERVER",
  network: "E_API_NETWORK",
  timeout: "E_API_TIMEOUT",
  rejected: "E_API_REJECTED",
} as const satisfies Record<ApiErrorKind, string>;

export interface ApiErrorInit {
  kind: ApiErrorKind;
  /** A more telling code than the kind's (E_SIGN_IN for a refused Online sign-in); default API_ERROR_CODES[kind]. */
  code?: string | undefined;
  /** The agent method, e.g. `SaveWorkflowStepOption`. */
  method: string;
  message: string;
  status?: number | undefined;
  /** The server's own words: `ErrorMessage`, or `Message` + `MessageDetail`. */
  serverMessage?: string | undefined;
  /** How long the server asked us to wait (429/503 with `Retry-After`). */
  retryAfterMs?: number | undefined;
  outcomeUnknown: boolean;
  cause?: unknown;
}

export class ApiError extends WfsyncError {
  readonly kind: ApiErrorKind;
  readonly method: string;
  readonly status: number | undefined;
  readonly serverMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly outcomeUnknown: boolean;

  constructor(init: ApiErrorInit) {
    super(init.code ?? API_ERROR_CODES[init.kind], init.message, {
      cause: init.cause,
      // Refused credentials and refused content are for the user to fix; the rest are faults.
      userError: init.kind === "auth" || init.kind === "rejected",
    });
    this.name = "ApiError";
    this.kind = init.kind;
    this.method = init.method;
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.retryAfterMs = init.retryAfterMs;
    this.outcomeUnknown = init.outcomeUnknown;
  }

  /** Whether sending the same request again may succeed (the queue's retry rule). */
  get retryable(): boolean {
    return this.kind === "throttled" || this.kind === "server" || this.kind === "network" || this.kind === "timeout";
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
