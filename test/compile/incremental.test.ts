/**
 * `compile(changed)` on a long-lived compiler: only the changed files and their importers are
 * re-checked, everything else keeps its last result (what the watch daemon relies on).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkflowCompiler, type CompileResult } from "../../src/compile/compiler.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const option = (workflowId: number, splitId: number, key: string, name: string, steps = "p.none()") =>
  `import { workflow } from "wfsync";\n\nexport default workflow(${workflowId}, (wf) => wf.split(${splitId}, (s) => s.option("${key}", { name: "${name}" }, (p) => ${steps})));\n`;
const HELPER = (param: string, selection: string) =>
  `import type { PathBuilder } from "wfsync";\n\nexport function tail(p: PathBuilder, n: ${param}): void {\n  p.addToList({ selection: ${selection} });\n}\n`;
const IMPORTER = `import { workflow } from "wfsync";\nimport { tail } from "../lib/tail";\n\nexport default workflow(1, (wf) => wf.split(3, (s) => s.option("b", { name: "B" }, (p) => tail(p, 5))));\n`;

let p: TmpProject;
let compiler: WorkflowCompiler;
beforeEach(() => {
  p = makeProject({
    "workflows/a.ts": option(1, 2, "a", "A"),
    "workflows/b.ts": IMPORTER,
    "lib/tail.ts": HELPER("number", "n"),
  });
  compiler = new WorkflowCompiler({ root: p.dir });
  compiler.setWorkflowFiles([p.path("workflows/a.ts"), p.path("workflows/b.ts")]);
});
afterEach(() => p.cleanup());

const keys = (r: CompileResult) => [...r.options.keys()].sort();
const rel = (files: ReadonlySet<string>) => [...files].map((f) => f.slice(p.dir.length + 1)).sort();
const codes = (r: CompileResult) => r.errors.map((e) => `${e.location?.file}:${e.location?.line} ${e.code}`);

describe("incremental compile", () => {
  it("compiles everything the first time", () => {
    const r = compiler.compile();
    expect(codes(r)).toEqual([]);
    expect(keys(r)).toEqual(["1/2/a", "1/3/b"]);
    expect(rel(r.checkedFiles)).toEqual(["workflows/a.ts", "workflows/b.ts"]);
  });

  it("re-checks only the edited file and keeps the others' options", () => {
    const before = compiler.compile();
    const b = before.options.get("1/3/b");
    const a = p.write("workflows/a.ts", option(1, 2, "a", "A renamed"));
    const r = compiler.compile([a]);
    expect(rel(r.checkedFiles)).toEqual(["workflows/a.ts"]);
    expect(r.options.get("1/2/a")?.option.name).toBe("A renamed");
    expect(r.options.get("1/3/b")).toEqual(b);
    expect(compiler.compile([]).checkedFiles.size).toBe(0);
  });

  it("re-checks the importers of an edited module, reports them, and recovers when fixed", () => {
    compiler.compile();
    const tail = p.write("lib/tail.ts", HELPER("string", "1"));
    const broken = compiler.compile([tail]);
    expect(rel(broken.checkedFiles)).toEqual(["workflows/b.ts"]);
    expect(codes(broken)).toEqual(["workflows/b.ts:4 TS2345"]);
    expect(rel(broken.failedFiles)).toEqual(["workflows/b.ts"]);
    expect(keys(broken)).toEqual(["1/2/a"]);

    p.write("lib/tail.ts", HELPER("number", "n + 1"));
    const fixed = compiler.compile([tail]);
    expect(codes(fixed)).toEqual([]);
    expect(keys(fixed)).toEqual(["1/2/a", "1/3/b"]);
    expect(fixed.options.get("1/3/b")?.option.steps[0]).toMatchObject({ selection: 6 });
  });

  it("keeps the other files' options while one file is broken", () => {
    compiler.compile();
    const a = p.write("workflows/a.ts", option(1, 2, "a", "A", `p.sendEmail({ shipmentId: "x" })`));
    const r = compiler.compile([a]);
    expect(codes(r)).toEqual(["workflows/a.ts:3 TS2322"]);
    expect(rel(r.failedFiles)).toEqual(["workflows/a.ts"]);
    expect(keys(r)).toEqual(["1/3/b"]);
    p.write("workflows/a.ts", option(1, 2, "a", "A again"));
    expect(compiler.compile([a]).options.get("1/2/a")?.option.name).toBe("A again");
  });

  it("drops a deleted file's options and picks up a new file", () => {
    compiler.compile();
    p.remove("workflows/a.ts");
    const c = p.write("workflows/c.ts", option(4, 5, "c", "C"));
    compiler.setWorkflowFiles([p.path("workflows/b.ts"), c]);
    const r = compiler.compile([p.path("workflows/a.ts"), c]);
    expect(codes(r)).toEqual([]);
    expect(keys(r)).toEqual(["1/3/b", "4/5/c"]);
    expect(rel(r.checkedFiles)).toEqual(["workflows/c.ts"]);
    expect(r.stats).toEqual({ workflows: 2, splits: 2, options: 2, steps: 2 });
  });

  it("checks a module that an edit newly imports", () => {
    compiler.compile();
    p.write("lib/extra.ts", `export const selection: number = "seven";\n`);
    const a = p.write("workflows/a.ts", `import { selection } from "../lib/extra";\n${option(1, 2, "a", "A", "p.addToList({ selection })")}`);
    const r = compiler.compile([a]);
    expect(codes(r)).toEqual(["workflows/a.ts:1 E_IMPORT_FAILED", "lib/extra.ts:1 TS2322"]);
    expect(keys(r)).toEqual(["1/3/b"]);
  });

  it("forgets the errors of a module no file imports any more", () => {
    p.write("lib/extra.ts", `export const selection: number = "seven";\n`);
    const a = p.write("workflows/a.ts", `import { selection } from "../lib/extra";\n${option(1, 2, "a", "A", "p.addToList({ selection })")}`);
    expect(codes(compiler.compile())).toContain("lib/extra.ts:1 TS2322");
    p.write("workflows/a.ts", option(1, 2, "a", "A"));
    const r = compiler.compile([a]);
    expect(codes(r)).toEqual([]);
    expect(keys(r)).toEqual(["1/2/a", "1/3/b"]);
  });

  it("gives the same result as a fresh compiler after a series of edits", () => {
    compiler.compile();
    const a = p.write("workflows/a.ts", option(1, 2, "a", "A", `p.sendEmail({ shipmentId: "x" })`));
    compiler.compile([a]);
    const tail = p.write("lib/tail.ts", HELPER("number", "n * 2"));
    compiler.compile([tail]);
    p.write("workflows/a.ts", option(1, 2, "a", "A", "p.sendEmail({ shipmentId: 8 })"));
    const incremental = compiler.compile([a]);
    const fresh = new WorkflowCompiler({ root: p.dir });
    fresh.setWorkflowFiles([p.path("workflows/a.ts"), p.path("workflows/b.ts")]);
    const full = fresh.compile();
    expect(incremental.errors).toEqual([]);
    expect(incremental.options).toEqual(full.options);
    expect(incremental.stats).toEqual(full.stats);
  });
});
