/**
 * What the compiler knows of each user file (workflow files and the modules they import), and
 * the import graph between them: who imports whom, and which files fail because a module they
 * import does.
 */
import type { WorkflowDefinition } from "../dsl/workflow.js";
import { WfsyncError } from "../errors.js";
import { displayPath } from "../paths.js";
import type { EmittedModule } from "./evaluate.js";

export interface FileState {
  text: string;
  hash: string;
  /** Import specifier → the user file it resolves to. */
  deps: Map<string, string>;
  /** Line start offsets of `text` (computed when first needed). */
  starts?: number[];
  emitted?: EmittedModule;
  /** Last outcome: definitions when it evaluated, errors otherwise. */
  definitions?: readonly WorkflowDefinition[];
  /** The evaluation's answer `definitions` were decoded from (see SharedResults). */
  source?: string;
  errors?: readonly WfsyncError[];
}

/** File states by absolute path, with queries over their imports. */
export class FileGraph extends Map<string, FileState> {
  /** Files that import `file` directly. */
  importersOf(file: string): string[] {
    const out: string[] = [];
    for (const [f, state] of this) {
      if (f === file) continue;
      for (const dep of state.deps.values()) if (dep === file) out.push(f);
    }
    return out;
  }

  /** Adds `file` and everything that imports it, transitively. */
  addWithImporters(file: string, into: Set<string>): void {
    if (into.has(file)) return;
    into.add(file);
    for (const importer of this.importersOf(file)) this.addWithImporters(importer, into);
  }

  /** Adds `file` and everything it imports, transitively. */
  addWithImports(file: string, into: Set<string>): void {
    if (into.has(file) || !this.has(file)) return;
    into.add(file);
    for (const dep of this.get(file)!.deps.values()) this.addWithImports(dep, into);
  }

  /**
   * Files that have errors or import (transitively) a file that does. A file in `checked` that
   * fails only through an import gets an error at that import saying which module is broken.
   */
  failures(checked: ReadonlySet<string>, root: string): Set<string> {
    const failed = new Set<string>();
    const visiting = new Set<string>();
    const fails = (file: string): boolean => {
      if (failed.has(file)) return true;
      if (visiting.has(file)) return false;
      visiting.add(file);
      const state = this.get(file);
      const bad = state?.errors !== undefined || [...(state?.deps.values() ?? [])].some(fails);
      if (bad) failed.add(file);
      return bad;
    };
    for (const file of this.keys()) fails(file);
    for (const file of failed) {
      const state = this.get(file);
      if (!state || state.errors || !checked.has(file)) continue;
      state.errors = [...state.deps]
        .filter(([, dep]) => failed.has(dep))
        .map(([spec, dep]) => {
          const at = importPosition(state.text, spec);
          return new WfsyncError("E_IMPORT_FAILED", `imports ${displayPath(dep, root)}, which has errors`, {
            location: { file: displayPath(file, root), ...at },
          });
        });
    }
    return failed;
  }
}

/** Where `specifier` is imported in `text` (its string literal), or 1:1. */
function importPosition(text: string, specifier: string): { line: number; column: number } {
  let i = text.indexOf(`"${specifier}"`);
  if (i === -1) i = text.indexOf(`'${specifier}'`);
  if (i === -1) return { line: 1, column: 1 };
  const before = text.slice(0, i);
  const line = before.split("\n").length;
  return { line, column: i - before.lastIndexOf("\n") };
}
