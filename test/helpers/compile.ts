/**
 * One WorkflowCompiler over one temp folder, shared by the tests of a describe (creating a
 * compiler costs a few hundred ms). Each `run` writes its files into a fresh sub-folder and
 * makes them the only workflow files, so cases do not see each other's files.
 */
import path from "node:path";
import { WorkflowCompiler, type CompileResult } from "../../src/compile/compiler.js";
import type { WfsyncError } from "../../src/errors.js";
import { makeProject, type TmpProject } from "./tmp-project.js";

export interface CompiledCase {
  readonly result: CompileResult;
  /** Absolute path of a file of this case. */
  path(rel: string): string;
  /** `file:line:col` of an error or option source, relative to the case folder. */
  where(loc: { file: string; line: number; column: number } | undefined): string;
  /** Every error as `file:line:col CODE`, in report order. */
  readonly errors: string[];
  error(code: string): WfsyncError;
}

export interface CompileHarness {
  readonly project: TmpProject;
  readonly compiler: WorkflowCompiler;
  /** Files under `workflows/` are the workflow files unless `workflowFiles` names them. */
  run(files: Record<string, string>, workflowFiles?: string[]): CompiledCase;
  cleanup(): void;
}

export function compileHarness(options: { evaluationTimeoutMs?: number } = {}): CompileHarness {
  const project = makeProject();
  const compiler = new WorkflowCompiler({ root: project.dir, ...options });
  let cases = 0;
  return {
    project,
    compiler,
    run(files, workflowFiles) {
      const sub = `case${++cases}`;
      const abs = (rel: string) => project.path(path.join(sub, rel));
      for (const [rel, text] of Object.entries(files)) project.write(path.join(sub, rel), text);
      const wanted = workflowFiles ?? Object.keys(files).filter((f) => f.startsWith("workflows/"));
      compiler.setWorkflowFiles(wanted.map(abs));
      const result = compiler.compile(Object.keys(files).map(abs));
      const where: CompiledCase["where"] = (loc) => {
        if (!loc) return "(no location)";
        const file = path.relative(project.path(sub), path.resolve(project.dir, loc.file)).split(path.sep).join("/");
        return `${file}:${loc.line}:${loc.column}`;
      };
      const errors = result.errors.map((e) => `${where(e.location)} ${e.code}`);
      const error = (code: string) => {
        const found = result.errors.find((e) => e.code === code);
        if (!found) throw new Error(`no ${code} among ${JSON.stringify(errors)}`);
        return found;
      };
      return { result, path: abs, where, errors, error };
    },
    cleanup: () => project.cleanup(),
  };
}
