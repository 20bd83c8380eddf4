/**
 * Where an import writes, and whether it may: the file must be one the config's globs pick up
 * (else the next plan would not see it and would delete what the import recorded), must not
 * exist unless `--force`, and even then may only replace a file of the same workflow that
 * declares no split this import leaves out (replacing it would delete that split's options).
 */
import fs from "node:fs";
import path from "node:path";
import picomatch from "picomatch";
import { ts } from "ts-morph";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError } from "../errors.js";
import { slugify, type ImportedWorkflow } from "./convert.js";

/** `<outDir or <root>/workflows>/<slug of the flow's name, or workflow-ID>.ts` (absolute). */
export function targetFile(config: ResolvedConfig, workflow: Pick<ImportedWorkflow, "workflowId" | "flowName">, outDir?: string): string {
  const dir = outDir ?? path.join(config.root, "workflows");
  const name = (workflow.flowName === undefined ? "" : slugify(workflow.flowName)) || `workflow-${workflow.workflowId}`;
  return path.resolve(dir, `${name}.ts`);
}

/** Refuses a target the config's workflow globs do not match. */
export function checkMatchedByConfig(config: ResolvedConfig, file: string): void {
  const rel = path.relative(config.root, file).split(path.sep).join("/");
  const matched = !rel.startsWith("../") && !path.isAbsolute(rel) && picomatch([...config.workflows])(rel);
  if (!matched) {
    throw new WfsyncError(
      "E_IMPORT_OUTSIDE_WORKFLOWS",
      `${rel} is not matched by the config's workflows (${config.workflows.map((g) => JSON.stringify(g)).join(", ")}): ` +
        "plan would never read it. Choose an --out folder under them; nothing was written",
    );
  }
}

export interface ExistingFile {
  readonly text: string;
  readonly mode: number;
}

/** The file's current content when it may be replaced; undefined when it does not exist. Throws when it may not. */
export function checkReplaceable(file: string, display: string, workflow: ImportedWorkflow, force: boolean): ExistingFile | undefined {
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(file, "utf8");
    mode = fs.statSync(file).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (!force) {
    throw new WfsyncError("E_IMPORT_EXISTS", `${display} already exists; pass --force to replace it, or --out DIR to write elsewhere. Nothing was written`);
  }
  const declared = declaredIds(text, file);
  const others = declared.workflows.filter((id) => id !== workflow.workflowId);
  if (others.length || declared.unknownWorkflow || declared.workflows.length === 0) {
    const what = others.length ? `declares workflow ${others.join(", ")}` : declared.workflows.length ? "declares a workflow whose id is not a number literal" : "declares no workflow(...)";
    throw new WfsyncError(
      "E_IMPORT_FOREIGN_FILE",
      `${display} ${what}; --force only replaces a file of workflow ${workflow.workflowId}. Use --out DIR to write elsewhere. Nothing was written`,
    );
  }
  const imported = new Set(workflow.splits.map((s) => s.workflowStepId));
  const dropped = declared.splits.filter((id) => !imported.has(id));
  if (dropped.length) {
    throw new WfsyncError(
      "E_IMPORT_DROPS_SPLIT",
      `${display} also declares split ${dropped.join(", ")}, which this import leaves out: replacing the file would make the next plan delete ` +
        `${dropped.length === 1 ? "its" : "their"} options. Import ${dropped.length === 1 ? "it" : "them"} too (--split ${dropped.join(" --split ")}), ` +
        "or remove it from the file first. Nothing was written",
    );
  }
  return { text, mode };
}

/** Ids in `workflow(N, …)` and `wf.split(N, …)` calls, read from the syntax tree (no type check). */
export function declaredIds(text: string, fileName: string): { workflows: number[]; splits: number[]; unknownWorkflow: boolean } {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const workflows = new Set<number>();
  const splits = new Set<number>();
  let unknownWorkflow = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const first = node.arguments[0];
      const id = first && ts.isNumericLiteral(first) ? Number(first.text) : undefined;
      const callee = node.expression;
      if (ts.isIdentifier(callee) && callee.text === "workflow") {
        if (id === undefined) unknownWorkflow = true;
        else workflows.add(id);
      } else if (ts.isPropertyAccessExpression(callee) && callee.name.text === "split" && node.arguments.length === 2 && id !== undefined) {
        splits.add(id);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { workflows: [...workflows].sort((a, b) => a - b), splits: [...splits].sort((a, b) => a - b), unknownWorkflow };
}
