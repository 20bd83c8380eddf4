/**
 * ts-morph (and its TypeScript), loaded on first use with `require`:
 * - on first use, because a run whose files all passed before (the check cache) needs no
 *   TypeScript at all, and loading it is a quarter of a second;
 * - with `require`, because importing this CommonJS bundle from an ES module makes Node scan its
 *   20,000 lines for export names first (about 150 ms).
 */
import { createRequire } from "node:module";
import type * as TsMorph from "ts-morph";

let loaded: typeof TsMorph | undefined;

export function tsMorph(): typeof TsMorph {
  loaded ??= createRequire(import.meta.url)("ts-morph") as typeof TsMorph;
  return loaded;
}

export type { SourceFile, Project } from "ts-morph";
export type TsDiagnostic = TsMorph.ts.Diagnostic;
export type TsProgram = TsMorph.ts.Program;
export type TsCompilerOptions = TsMorph.ts.CompilerOptions;
