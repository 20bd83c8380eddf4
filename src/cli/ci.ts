/**
 * CI integration. On GitHub Actions (`GITHUB_ACTIONS=true`) every compile or validation error
 * with a location is also printed as a workflow command, `::error file=…,line=…,col=…::message`,
 * which GitHub shows on the line of the pull request; and plan/apply append a Markdown summary
 * to the file `$GITHUB_STEP_SUMMARY` names (appended, never truncated: other steps write there).
 */
import { appendFileSync } from "node:fs";
import path from "node:path";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import { redactUrlsInText } from "../redact.js";

export function onGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/** A workflow command's message: `%`, CR and LF escaped, as GitHub's toolkit does. */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A workflow command's property value: the message's escapes, and `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** The located problems of an error: each of several (WfsyncErrors), or itself. */
function located(err: unknown): WfsyncError[] {
  if (err instanceof WfsyncErrors) return err.errors.flatMap(located);
  return err instanceof WfsyncError && err.location ? [err] : [];
}

export interface AnnotationOptions {
  /** The folder error locations are relative to (the project's, the current folder). */
  readonly cwd: string;
  /** The repository's root, what GitHub's file paths are relative to (GITHUB_WORKSPACE; default cwd). */
  readonly workspace?: string | undefined;
}

/**
 * `::error file=workflows/a.ts,line=9,col=43,title=wfsync TS2322::Type '"Dayz"' is not…` for
 * each located problem of `err` (line and col are 1-based, as the locations are). The file is
 * relative to the repository, with `/` separators; one outside it is given as it is.
 */
export function annotationLines(err: unknown, options: AnnotationOptions): string[] {
  const root = options.workspace ?? options.cwd;
  return located(err).map((e) => {
    const loc = e.location!;
    const abs = path.resolve(options.cwd, loc.file);
    const rel = path.relative(root, abs);
    const file = rel.startsWith("..") || path.isAbsolute(rel) ? loc.file : rel.split(path.sep).join("/");
    const props = [`file=${escapeProperty(file)}`, `line=${loc.line}`, `col=${loc.column}`, `title=${escapeProperty(`wfsync ${e.code}`)}`].join(",");
    return `::error ${props}::${escapeData(redactUrlsInText(e.message))}`;
  });
}

/** On GitHub Actions, writes the annotations of `err` to `out` (stderr); elsewhere nothing. */
export function annotate(err: unknown, out: { write(text: string): unknown } = process.stderr, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): void {
  if (!onGitHubActions(env)) return;
  const lines = annotationLines(err, { cwd, workspace: env.GITHUB_WORKSPACE || undefined });
  if (lines.length) out.write(`${lines.join("\n")}\n`);
}

/**
 * Appends Markdown to `$GITHUB_STEP_SUMMARY` when that is set (any CI that sets it); a summary
 * that cannot be written is a warning, never the command's failure. A function is called only then.
 */
export function appendStepSummary(
  markdown: string | (() => string),
  env: NodeJS.ProcessEnv = process.env,
  warn: (text: string) => void = (t) => process.stderr.write(t),
): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    appendFileSync(file, `${typeof markdown === "function" ? markdown() : markdown}\n`);
  } catch (err) {
    warn(`warning: could not append the summary to $GITHUB_STEP_SUMMARY (${file}): ${(err as Error).message}\n`);
  }
}
