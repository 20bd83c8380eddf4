/** Showing what the user gave wfsync without the secrets in it. */

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

/**
 * Text that may hold URLs (a line of source shown in a code frame): the userinfo of each goes,
 * up to the last `@` of the token, as redactUrl does for one URL.
 */
export function redactUrlsInText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s"'`<>]*@/gi, "$1[redacted]@");
}
