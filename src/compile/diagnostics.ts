/** TypeScript diagnostics and runtime errors turned into WfsyncErrors with a code frame. */
import path from "node:path";
import { ts } from "ts-morph";
import { WfsyncError, type SourceLocation } from "../errors.js";

export function displayPath(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}

/** A few lines of source around `line` (1-based) with a caret under `column` (1-based). */
export function codeFrame(text: string, line: number, column: number, context = 2): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? ">" : " ";
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ""}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

export function diagnosticToError(diagnostic: ts.Diagnostic, root: string): WfsyncError {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const code = `TS${diagnostic.code}`;
  const file = diagnostic.file;
  if (!file || diagnostic.start === undefined) return new WfsyncError(code, message);
  const pos = file.getLineAndCharacterOfPosition(diagnostic.start);
  const location: SourceLocation = {
    file: displayPath(file.fileName, root),
    line: pos.line + 1,
    column: pos.character + 1,
  };
  return new WfsyncError(code, message, {
    location,
    detail: codeFrame(file.text, location.line, location.column),
  });
}

/**
 * V8 places a call at its method name (`option` in `split.option(...)`) or, for the emitted
 * `(0, wfsync_1.workflow)(...)`, at its parenthesis; users expect the start of the call
 * (`split`, `workflow`): the column an editor's "go to" lands on, and what design.md's `source`
 * shows. A position (1-based) in no call's callee is returned unchanged.
 */
export function callStart(sf: ts.SourceFile, line: number, column: number): { line: number; column: number } {
  if (line < 1 || line > sf.getLineStarts().length) return { line, column };
  const pos = sf.getPositionOfLineAndCharacter(line - 1, column - 1);
  let call: ts.CallExpression | undefined;
  let node: ts.Node | undefined = sf;
  while (node) {
    // The innermost call whose callee part (up to and including its "(") holds the position.
    if (ts.isCallExpression(node) && pos < node.arguments.pos) call = node;
    node = node.forEachChild((child) => (child.getStart(sf) <= pos && pos < child.getEnd() ? child : undefined));
  }
  if (!call) return { line, column };
  const start = sf.getLineAndCharacterOfPosition(call.getStart(sf));
  return { line: start.line + 1, column: start.character + 1 };
}
