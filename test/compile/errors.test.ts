/** What the compiler reports for broken files, and what it evaluates (nothing that fails to check). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatError, type WfsyncError } from "../../src/errors.js";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

const wrap = (steps: string, workflowId = 1, splitId = 2) => `import { workflow } from "wfsync";

export default workflow(${workflowId}, (wf) => {
  wf.split(${splitId}, (split) => {
    split.option("a", { name: "A" }, (path) => {
      ${steps}
    });
  });
});
`;

/** The caret under the printed frame's marked line sits at the reported column. */
function caretColumn(err: WfsyncError): number {
  const lines = formatError(err).split("\n");
  const marked = lines.findIndex((l) => l.startsWith(">"));
  const caret = lines[marked + 1] ?? "";
  return caret.indexOf("^") - caret.indexOf("|") - 1;
}

describe("type-check errors", () => {
  it.each([
    ["syntax error", "path.sendEmail({ shipmentId: 1 ;", "TS1005", 6, 38, "',' expected."],
    ["type error", 'path.sendEmail({ shipmentId: "1" });', "TS2322", 6, 24, "Type 'string' is not assignable to type 'number'."],
    ["wrong enum name", 'path.waitForTime({ numIntervals: 1, intervalType: "Dayz" });', "TS2322", 6, 43, `Type '"Dayz"' is not assignable`],
    ["excess property", "path.addToList({ selection: 1, extra: 2 });", "TS2353", 6, 38, "'extra' does not exist in type 'ListFields'"],
    ["misspelt method", "path.sendEmial({ shipmentId: 1 });", "TS2551", 6, 12, "Property 'sendEmial' does not exist"],
  ])("reports a %s at file:line:col with a code frame", (_what, step, code, line, column, message) => {
    const c = h.run({ "workflows/bad.ts": wrap(step) });
    const err = c.error(code);
    expect(c.where(err.location)).toBe(`workflows/bad.ts:${line}:${column}`);
    expect(err.message).toContain(message);
    expect(formatError(err)).toContain(`> ${line} |       ${step}`);
    expect(caretColumn(err)).toBe(column);
    expect(c.result.failedFiles).toEqual(new Set([c.path("workflows/bad.ts")]));
    expect(c.result.options.size).toBe(0);
  });

  it("reports one syntax error per file, not its cascade, and says how many followed", () => {
    // A missing `}` makes TypeScript report an error on every line after it.
    const c = h.run({ "workflows/bad.ts": wrap('path.addToList({ selection: 1 ;\n      path.sendEmail({ shipmentId: 2, subject: "x" ;') });
    expect(c.errors).toEqual(["workflows/bad.ts:6:37 TS1005"]);
    const err = c.error("TS1005");
    expect(err.detail).toMatch(/^\d+ more syntax errors? follows? in this file, most likely caused by this one: fix it first$/);
    expect(formatError(err)).toContain("more syntax error");
  });

  it("prints the code frame under the message when the error is printed", () => {
    const err = h.run({ "workflows/bad.ts": wrap('path.sendEmail({ shipmentId: "1" });') }).error("TS2322");
    expect(formatError(err).replace(err.location!.file, "workflows/bad.ts")).toBe(
      [
        "workflows/bad.ts:6:24 - error TS2322: Type 'string' is not assignable to type 'number'.",
        "  4 |   wf.split(2, (split) => {",
        '  5 |     split.option("a", { name: "A" }, (path) => {',
        '> 6 |       path.sendEmail({ shipmentId: "1" });',
        "    |                        ^",
        "  7 |     });",
        "  8 |   });",
      ].join("\n"),
    );
  });

  it("reports every error of several files in one run, and keeps the good file's options", () => {
    const c = h.run({
      "workflows/a.ts": wrap('path.sendEmail({ shipmentId: "1" });\n      path.addToList({ selection: 1, extra: 2 });'),
      "workflows/b.ts": wrap('path.waitForTime({ numIntervals: 1, intervalType: "Dayz" });', 1, 3),
      "workflows/c.ts": wrap("path.none(", 1, 4),
      "workflows/good.ts": wrap("path.none();", 1, 5),
    });
    expect(c.errors).toEqual([
      "workflows/a.ts:6:24 TS2322",
      "workflows/a.ts:7:38 TS2353",
      "workflows/b.ts:6:43 TS2322",
      "workflows/c.ts:7:5 TS1135",
    ]);
    expect([...c.result.options.keys()]).toEqual(["1/5/a"]);
    expect(c.result.failedFiles.size).toBe(3);
  });
});

describe("evaluation", () => {
  // Evaluation runs in a sandbox and has no effect outside it: a top-level throw shows it ran.
  const marked = (step: string) => `if (Date.now() > 0) throw new Error("evaluated");\n${wrap(step)}`;

  it("refuses Node's modules even when the type check is silenced: workflow files do no I/O", () => {
    const c = h.run({ "workflows/m.ts": `// @ts-ignore\nimport fs from "node:fs";\nvoid fs;\n${wrap("path.none();")}` });
    expect(c.errors).toEqual(["workflows/m.ts:2:16 E_BUILDER_THREW"]);
    expect(c.error("E_BUILDER_THREW").message).toContain("Cannot import 'node:fs'");
  });

  it("runs the top level of a file that checks (the control for the next test)", () => {
    const c = h.run({ "workflows/m.ts": marked("path.none();") });
    expect(c.errors).toEqual(["workflows/m.ts:1:27 E_BUILDER_THREW"]);
    expect(c.error("E_BUILDER_THREW").message).toContain("Error: evaluated");
  });

  it("never evaluates a file that fails to type-check", () => {
    const c = h.run({ "workflows/m.ts": marked('path.sendEmail({ shipmentId: "1" });') });
    expect(c.errors).toEqual(["workflows/m.ts:7:24 TS2322"]);
  });

  it("never evaluates a file whose imported module fails to type-check", () => {
    const c = h.run({
      "workflows/m.ts": `import { n } from "../lib/n";\n${marked(`path.addToList({ selection: n });`)}`,
      "lib/n.ts": `export const n: number = "three";\n`,
    });
    // At the import of the broken module, naming it.
    expect(c.errors).toEqual(["workflows/m.ts:1:19 E_IMPORT_FAILED", "lib/n.ts:1:14 TS2322"]);
    expect(c.error("E_IMPORT_FAILED").message).toMatch(/imports .*lib\/n\.ts, which has errors/);
    expect(c.result.failedFiles).toEqual(new Set([c.path("workflows/m.ts")]));
  });

  it("reports a builder that throws at the user's throw site, with the message", () => {
    const c = h.run({ "workflows/t.ts": wrap('if (path) throw new RangeError("no such list");') });
    const err = c.error("E_BUILDER_THREW");
    expect(c.where(err.location)).toBe("workflows/t.ts:6:23");
    expect(err.message).toContain("RangeError: no such list");
    expect(formatError(err)).toContain('> 6 |       if (path) throw new RangeError("no such list");');
    expect(c.result.failedFiles).toEqual(new Set([c.path("workflows/t.ts")]));
  });

  it("reports a throw inside an imported helper in the helper", () => {
    const c = h.run({
      "workflows/t.ts": `import { fail } from "../lib/fail";\n${wrap("fail(path);")}`,
      "lib/fail.ts": `import type { PathBuilder } from "wfsync";\n\nexport function fail(path: PathBuilder): void {\n  throw new Error("helper broke");\n}\n`,
    });
    expect(c.errors).toEqual(["lib/fail.ts:4:9 E_BUILDER_THREW"]);
    expect(c.error("E_BUILDER_THREW").message).toMatch(/evaluating .*workflows\/t\.ts threw Error: helper broke/);
  });

  it("reports a DSL misuse that only fails at run time at the user's call", () => {
    const c = h.run({
      "workflows/t.ts": `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => {\n  wf.split(2, undefined as any);\n});\n`,
    });
    expect(c.errors).toEqual(["workflows/t.ts:4:6 E_BUILDER_THREW"]);
  });

  it("refuses process.exit() in a workflow file: there is no process, an error at its line, and wfsync keeps running", () => {
    const declareProcess = `declare const process: { exit(code?: number): never; abort(): never };\n`;
    const c = h.run({ "workflows/x.ts": `${declareProcess}${wrap("process.exit(0);")}` });
    expect(c.errors).toEqual(["workflows/x.ts:7:7 E_BUILDER_THREW"]);
    expect(c.error("E_BUILDER_THREW").message).toContain("ReferenceError: process is not available in a workflow file");
    const top = h.run({ "workflows/y.ts": `${declareProcess}process.abort();\n${wrap("path.none();")}` });
    expect(top.errors).toEqual(["workflows/y.ts:2:1 E_BUILDER_THREW"]);
  });

  it("stops an endless loop at the top level and in a builder after the evaluation time limit", () => {
    const quick = compileHarness({ evaluationTimeoutMs: 200 });
    try {
      // Loops that end after a minute: without the limit the test fails instead of hanging.
      const top = quick.run({ "workflows/loop.ts": `const end = Date.now() + 60_000;\nwhile (Date.now() < end) {}\n${wrap("path.none();")}` });
      expect(top.errors).toEqual(["workflows/loop.ts:1:1 E_BUILDER_THREW"]);
      expect(top.error("E_BUILDER_THREW").message).toContain("did not finish within 0.2 s");
      const builder = quick.run({
        "workflows/b.ts": `import { n } from "../lib/n";\n${wrap("for (const end = Date.now() + 60_000; Date.now() < end; ) if (n < 0) break;")}`,
        "workflows/good.ts": `import { n } from "../lib/n";\n${wrap("path.addToList({ selection: n });", 1, 3)}`,
        "lib/n.ts": `export const n: number = 4;\n`,
      });
      expect(builder.errors).toEqual(["workflows/b.ts:1:1 E_BUILDER_THREW"]);
      // The next file is evaluated afresh (its import too), not from a half-run module cache.
      expect([...builder.result.options.keys()]).toEqual(["1/3/a"]);
    } finally {
      quick.cleanup();
    }
  });
});

describe("exports", () => {
  const wf = (id: number) => `workflow(${id}, (wf) => wf.split(${id}0, (s) => s.option("k", { name: "K" })))`;

  it("reports a workflow file that exports no workflow", () => {
    const c = h.run({ "workflows/empty.ts": `import { workflow } from "wfsync";\n\nexport const n = 3;\nconst unused = ${wf(1)};\n` });
    expect(c.errors).toEqual(["workflows/empty.ts:1:1 E_NO_WORKFLOWS"]);
  });

  it("does not flag a helper module in the workflow folder that a workflow file imports", () => {
    const c = h.run({
      "workflows/flow.ts": `import { workflow } from "wfsync";\nimport { add } from "./shared/steps";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" }, add)));\n`,
      "workflows/shared/steps.ts": `import type { PathBuilder } from "wfsync";\n\nexport const add = (p: PathBuilder) => p.addToList({ selection: 4 });\n`,
    });
    expect(c.errors).toEqual([]);
    expect([...c.result.options.keys()]).toEqual(["1/2/k"]);
  });

  it("collects default, named and array exports, ignoring other exports", () => {
    const c = h.run({
      "workflows/styles.ts": [
        `import { workflow } from "wfsync";`,
        `export default ${wf(1)};`,
        `export const second = ${wf(2)};`,
        `export const many = [${wf(3)}, ${wf(4)}];`,
        `export const notAWorkflow = { id: 5 };`,
        `export function helper(): number { return 6; }`,
      ].join("\n"),
    });
    expect(c.errors).toEqual([]);
    expect([...c.result.options.keys()].sort()).toEqual(["1/10/k", "2/20/k", "3/30/k", "4/40/k"]);
    expect(c.result.stats).toEqual({ workflows: 4, splits: 4, options: 4, steps: 0 });
  });

  it("refuses imports of packages other than wfsync", () => {
    const c = h.run({ "workflows/pkg.ts": `import lodash from "lodash";\n${wrap("path.none();")}` });
    expect(c.errors).toEqual(["workflows/pkg.ts:1:20 TS2307"]);
  });
});
