/** TypeScript diagnostics turned into WfsyncErrors (with their file's text, for the code frame). */
import { tsMorph, type TsDiagnostic } from "../ts-morph.js";
import { WfsyncError, type SourceLocation } from "../errors.js";
import { displayPath } from "../paths.js";

export function diagnosticToError(diagnostic: TsDiagnostic, root: string): WfsyncError {
  const message = tsMorph().ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const code = `TS${diagnostic.code}`;
  const file = diagnostic.file;
  if (!file || diagnostic.start === undefined) return new WfsyncError(code, message);
  const pos = file.getLineAndCharacterOfPosition(diagnostic.start);
  const location: SourceLocation = {
    file: displayPath(file.fileName, root),
    line: pos.line + 1,
    column: pos.character + 1,
  };
  return new WfsyncError(code, message, { location, sourceText: file.text });
}

/**
 * V8 places a call at its method name (`option` in `split.option(...)`) or, for emitted
 * `(0, import_wfsync.workflow)(...)`, near its parenthesis; users expect the start of the call
 * (`split`, `workflow`): the column an editor's "go to" lands on, and what a plan's `source`
 * shows. Works on the text alone (walking back over `a.b.c` chains, across line breaks), so it
 * needs no syntax tree. Positions are 1-based.
 */
export function callStart(text: string, starts: readonly number[], line: number, column: number): { line: number; column: number } {
  if (line < 1 || line > starts.length) return { line, column };
  let i = Math.min(text.length, starts[line - 1]! + column - 1);
  const ident = (ch: string | undefined) => ch !== undefined && /[\w$]/.test(ch);
  const skipSpaceBack = (at: number) => {
    while (at > 0 && /\s/.test(text[at - 1]!)) at--;
    return at;
  };
  if (text[i] === "(") i = skipSpaceBack(i);
  while (i > 0 && ident(text[i - 1])) i--;
  for (;;) {
    let j = skipSpaceBack(i);
    if (text[j - 1] !== ".") break;
    j--;
    if (text[j - 1] === "?") j--;
    j = skipSpaceBack(j);
    let k = j;
    while (k > 0 && ident(text[k - 1])) k--;
    if (k === j) break;
    i = k;
  }
  let l = line - 1;
  while (l > 0 && starts[l]! > i) l--;
  return { line: l + 1, column: i - starts[l]! + 1 };
}

/** Offsets where each line of `text` starts (callStart's index; compute once per text). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
