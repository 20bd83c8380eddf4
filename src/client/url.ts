/**
 * The installation base URL (`https://online.superoffice.com/Cust12345`) in one normal form, so
 * the client, the state file's tenant binding and messages agree on what "the same tenant" is.
 */
import { WfsyncError } from "../errors.js";
import { redactUrl } from "../redact.js";

/**
 * Lowercases scheme and host, drops a default port, a trailing slash, query and fragment.
 * The path keeps its case (the customer id is part of it). Credentials in the URL are refused:
 * they belong in the environment variables, and would otherwise end up in the state file.
 */
export function normaliseBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new WfsyncError("E_BAD_URL", `Not a URL: ${JSON.stringify(redactUrl(input))}. Give the installation base, e.g. https://online.superoffice.com/Cust12345.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new WfsyncError("E_BAD_URL", `The URL must start with https:// or http://, not ${url.protocol}//.`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new WfsyncError(
      "E_BAD_URL",
      "The URL contains a user name or password. Remove them from the URL and set WFSYNC_USERNAME/WFSYNC_PASSWORD (or another credential variable) instead.",
    );
  }
  // URL already lowercases scheme and host and drops the default port for the scheme.
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}
