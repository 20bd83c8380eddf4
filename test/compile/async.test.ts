/** No promise a workflow file rejects may reach wfsync's own process. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

const HEAD = `import { workflow } from "wfsync";\n\nconst later = () => Promise.resolve();\n\n`;

describe("rejected promises", () => {
  const flow = (key: string, split = 844) => `export default workflow(679, (wf) => wf.split(${split}, (s) => s.option("${key}", { name: "N" })));\n`;

  it("makes a top-level Promise.reject() an error of its file, at the rejection", () => {
    const c = h.run({ "workflows/a.ts": `${HEAD}void Promise.reject(new Error("not now"));\n${flow("a")}` });
    expect(c.errors).toEqual(["workflows/a.ts:5:21 E_UNHANDLED_REJECTION"]);
    expect(c.error("E_UNHANDLED_REJECTION").message).toMatch(/evaluating .*workflows\/a\.ts left a rejected promise that nothing handled: Error: not now/);
    expect(c.result.failedFiles).toEqual(new Set([c.path("workflows/a.ts")]));
    expect(c.result.options.size).toBe(0);
  });

  it("catches a rejection in a microtask, and one of a value that is not an Error", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}void later().then(() => {\n  throw new TypeError("in a microtask");\n});\n${flow("a")}`,
      "workflows/b.ts": `${HEAD}void (async () => {\n  await later();\n  await later();\n  throw "just a string";\n})();\n${flow("b", 845)}`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:6:9 E_UNHANDLED_REJECTION", "workflows/b.ts:1:1 E_UNHANDLED_REJECTION"]);
    expect(c.error("E_UNHANDLED_REJECTION").message).toContain("TypeError: in a microtask");
    expect(c.result.errors[1]!.message).toContain("just a string");
  });

  it("blames only the file that rejected, and leaves a rejection the file handles alone", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}void Promise.reject(new Error("a's"));\n${flow("a")}`,
      "workflows/b.ts": `${HEAD}Promise.reject(new Error("handled")).catch(() => undefined);\n${flow("b", 845)}`,
      "workflows/c.ts": `${HEAD}${flow("c", 846)}`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:5:21 E_UNHANDLED_REJECTION"]);
    expect([...c.result.options.keys()].sort()).toEqual(["679/845/b", "679/846/c"]);
  });

  it("locates a rejection in an imported helper in the helper", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}import { soon } from "../lib/soon";\nsoon();\n${flow("a")}`,
      "lib/soon.ts": `export function soon(): void {\n  void Promise.resolve().then(() => {\n    throw new Error("from the helper");\n  });\n}\n`,
    });
    expect(c.errors).toEqual(["lib/soon.ts:3:11 E_UNHANDLED_REJECTION"]);
  });
});
