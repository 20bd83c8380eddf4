/** A workflow file that is not UTF-8 is an error at its first bad byte, not names gone "Caf�". */
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowCompiler } from "../../src/compile/compiler.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const flow = (name: string) => `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "${name}" })));\n`;

let p: TmpProject | undefined;
let compiler: WorkflowCompiler | undefined;
afterEach(() => {
  compiler?.close();
  p?.cleanup();
  p = compiler = undefined;
});

function compile(files: Record<string, Buffer>) {
  p = makeProject();
  for (const [rel, bytes] of Object.entries(files)) {
    p.write(rel, "");
    fs.writeFileSync(p.path(rel), bytes);
  }
  compiler = new WorkflowCompiler({ root: p.dir });
  compiler.setWorkflowFiles(Object.keys(files).map((f) => p!.path(f)));
  return compiler.compile();
}

describe("file encoding", () => {
  it("refuses a file saved as Latin-1, at the byte, instead of changing the name", () => {
    const text = flow("Café");
    const r = compile({ "workflows/latin1.ts": Buffer.from(text, "latin1") });
    const column = text.split("\n")[2]!.indexOf("é") + 1;
    expect(r.errors.map((e) => `${e.location?.file}:${e.location?.line}:${e.location?.column} ${e.code}`)).toEqual([`workflows/latin1.ts:3:${column} E_ENCODING`]);
    expect(r.errors[0]!.message).toBe(`workflows/latin1.ts is not UTF-8 (byte 0xE9 at line 3 col ${column}); save it as UTF-8`);
    expect(r.options.size).toBe(0);
    expect(r.failedFiles.size).toBe(1);
  });

  it("accepts UTF-8, with a BOM, and a U+FFFD that is really in the file", () => {
    const r = compile({
      "workflows/utf8.ts": Buffer.from(flow("Café"), "utf8"),
      "workflows/bom.ts": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(flow("Ærø").replace("split(2", "split(3"), "utf8")]),
      "workflows/fffd.ts": Buffer.from(flow("Replacement \uFFFD").replace("split(2", "split(4"), "utf8"),
    });
    expect(r.errors).toEqual([]);
    expect([...r.options.values()].map((o) => o.option.name).sort()).toEqual(["Café", "Replacement \uFFFD", "Ærø"]);
  });

  it("counts columns in characters when the line has other non-ASCII text before the bad byte", () => {
    const text = flow("Ærø Café");
    const bytes = Buffer.concat([Buffer.from(text.slice(0, text.indexOf("é")), "utf8"), Buffer.from([0xe9]), Buffer.from(text.slice(text.indexOf("é") + 1), "utf8")]);
    const r = compile({ "workflows/mixed.ts": bytes });
    const column = text.split("\n")[2]!.indexOf("é") + 1;
    expect(r.errors.map((e) => e.message)).toEqual([`workflows/mixed.ts is not UTF-8 (byte 0xE9 at line 3 col ${column}); save it as UTF-8`]);
  });
});
