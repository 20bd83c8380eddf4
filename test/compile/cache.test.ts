/** The check cache: files unchanged since they passed skip the type check, and only those. */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openCheckCache } from "../../src/compile/cache.js";
import { WorkflowCompiler } from "../../src/compile/compiler.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const HELPER = `import type { PathBuilder } from "wfsync";
export function mail(path: PathBuilder, shipmentId: number): void {
  path.sendEmail({ shipmentId });
}
`;

const MAIN = `import { workflow } from "wfsync";
import { mail } from "./lib/mail";
export default workflow(1, (wf) => {
  wf.split(2, (split) => {
    split.option("a", { name: "A" }, (path) => mail(path, 3));
  });
});
`;

let project: TmpProject;
afterEach(() => project?.cleanup());

function compile(key = "k1") {
  const compiler = new WorkflowCompiler({ root: project.dir, cache: openCheckCache(path.join(project.dir, ".wfsync", "cache.json"), key) });
  compiler.setWorkflowFiles([project.path("workflows/main.ts")]);
  return compiler.compile();
}

describe("check cache", () => {
  it("skips TypeScript entirely on an unchanged project, with the same result", () => {
    project = makeProject({ "workflows/main.ts": MAIN, "workflows/lib/mail.ts": HELPER });
    const first = compile();
    expect(first.errors).toEqual([]);
    expect(first.fromCache).toBe(false);
    const second = compile();
    expect(second.fromCache).toBe(true);
    expect(second.errors).toEqual([]);
    expect([...second.options.values()].map((o) => [o.address, o.hash, o.source])).toEqual(
      [...first.options.values()].map((o) => [o.address, o.hash, o.source]),
    );
  });

  it("checks again when an imported module changed, and finds the importer's new error", () => {
    project = makeProject({ "workflows/main.ts": MAIN, "workflows/lib/mail.ts": HELPER });
    expect(compile().errors).toEqual([]);
    // The helper now wants a string: main.ts (unchanged) no longer type-checks.
    project.write("workflows/lib/mail.ts", HELPER.replace("shipmentId: number", "shipmentId: string").replace("{ shipmentId }", "{ shipmentId: 1 }"));
    const again = compile();
    expect(again.fromCache).toBe(false);
    expect(again.errors.map((e) => `${e.location?.file}:${e.location?.line} ${e.code}`)).toContain("workflows/main.ts:5 TS2345");
  });

  it("never caches a failing file", () => {
    project = makeProject({ "workflows/main.ts": MAIN.replace("mail(path, 3)", 'mail(path, "3")'), "workflows/lib/mail.ts": HELPER });
    expect(compile().errors.length).toBeGreaterThan(0);
    const again = compile();
    expect(again.fromCache).toBe(false);
    expect(again.errors.length).toBeGreaterThan(0);
  });

  it("is ignored when its key differs (another TypeScript, options or DSL)", () => {
    project = makeProject({ "workflows/main.ts": MAIN, "workflows/lib/mail.ts": HELPER });
    compile("k1");
    expect(compile("k2").fromCache).toBe(false);
  });
});
