/**
 * The installation base URL (`https://online.superoffice.com/Cust12345`) in one normal form, so
 * the client, the state file's tenant binding and messages agree on what "the same tenant" is.
 */
import { WfsyncError } from "../errors.js";

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

/**
 * A URL as it may be shown in a message: whatever it looks like (any scheme, parsing or not),
 * everything between `scheme://` and the last `@` goes. Userinfo cannot be told apart from the
 * rest by parsing: a password may contain `/`, `?`, `#` or `@` (`http://anna:12#34@host` even
 * parses, as host `anna`, port 12 and a fragment). An `@` in a query loses a little of the URL
 * shown; installation bases have none. Every message that echoes a URL given to wfsync uses this.
 */
export function redactUrl(input: string): string {
  const at = input.lastIndexOf("@");
  if (at < 0) return input;
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(input)?.[0] ?? "";
  return `${scheme}[redacted]${input.slice(at)}`;
}
