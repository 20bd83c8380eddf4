/**
 * The desired model the daemon plans with: per workflow file, the options of its last good
 * compile. A file that fails to compile or validate keeps the options it had, so a typo is never
 * read as "these options were removed"; a file that compiles again replaces them.
 */
import path from "node:path";
import type { CompileResult } from "../compile/compiler.js";
import type { DesiredOption } from "../compile/validate.js";
import type { Address } from "../model/option.js";

/**
 * The workflow files whose current compile must not be used: those the compiler says failed,
 * and those an error points into — directly, or through a module they import (a validation
 * error inside a shared helper is located in the helper, not in the workflow that calls it).
 */
export function findFrozenFiles(
  result: Pick<CompileResult, "errors" | "failedFiles">,
  root: string,
  workflowFiles: ReadonlySet<string>,
  importersOf: (file: string) => Iterable<string>,
): Set<string> {
  const frozen = new Set(result.failedFiles);
  const freeze = (shown: string): void => {
    const file = path.resolve(root, shown);
    if (workflowFiles.has(file)) frozen.add(file);
    else for (const importer of importersOf(file)) if (workflowFiles.has(importer)) frozen.add(importer);
  };
  for (const e of result.errors) {
    if (!e.location) continue;
    freeze(e.location.file);
    // A split declared twice is located at the later declaration (in file order), but neither
    // file's version may be sent: which one "wins" must not depend on how the files sort.
    if (e.code === "E_DUPLICATE_SPLIT" && e.related) freeze(e.related.file);
  }
  return frozen;
}

export class LastGoodModel {
  private readonly byFile = new Map<string, ReadonlyMap<Address, DesiredOption>>();

  /** Whether the file has last good options (it compiled with at least one option before). */
  has(file: string): boolean {
    return (this.byFile.get(file)?.size ?? 0) > 0;
  }

  /**
   * Takes a compile's options for every file not frozen and returns the whole desired model:
   * those, plus the last good options of frozen files (where no compiled file claims the address).
   */
  update(
    options: ReadonlyMap<Address, DesiredOption>,
    workflowFiles: ReadonlySet<string>,
    frozen: ReadonlySet<string>,
  ): Map<Address, DesiredOption> {
    const fresh = new Map<string, Map<Address, DesiredOption>>();
    for (const d of options.values()) {
      if (frozen.has(d.file)) continue;
      let of = fresh.get(d.file);
      if (!of) fresh.set(d.file, (of = new Map()));
      of.set(d.address, d);
    }
    for (const file of [...this.byFile.keys()]) if (!workflowFiles.has(file)) this.byFile.delete(file);
    for (const file of workflowFiles) if (!frozen.has(file)) this.byFile.set(file, fresh.get(file) ?? new Map());

    const desired = new Map<Address, DesiredOption>();
    for (const [file, of] of this.byFile) if (!frozen.has(file)) for (const [a, d] of of) desired.set(a, d);
    for (const file of frozen) for (const [a, d] of this.byFile.get(file) ?? []) if (!desired.has(a)) desired.set(a, d);
    return desired;
  }
}
