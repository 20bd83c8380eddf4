/** The HTTP client for the SuperOffice Workflow agent. */
export { ApiError, API_ERROR_CODES, isApiError, type ApiErrorKind, type ApiErrorInit } from "./errors.js";
export {
  credentialsFromEnv,
  describeCredentials,
  authHeaders,
  CREDENTIAL_VARIABLES,
  type Credentials,
} from "./credentials.js";
export { normaliseBaseUrl } from "./url.js";
export { parseRetryAfter, errorText } from "./response.js";
export {
  createWorkflowClient,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type WorkflowApi,
  type WorkflowClient,
  type WorkflowClientOptions,
  type DebugLogger,
} from "./workflow.js";
