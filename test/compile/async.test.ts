/**
 * Builders run synchronously: an async one (or one returning any thenable) would declare what
 * follows its first `await` after the model was read, and those options would be planned as
 * deleted. And no promise a workflow file rejects may reach wfsync's own process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

const HEAD = `import { workflow } from "wfsync";\n\nconst later = () => Promise.resolve();\n\n`;

describe("async builders", () => {
  it("refuses an async split builder at its wf.split call, and uses none of its options", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, (wf) => {
  wf.split(844, async (split) => {
    split.option("a", { name: "A" });
    await later();
    split.option("c", { name: "C" });
  });
  wf.split(845, (split) => split.option("b", { name: "B" }));
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:6:3 E_ASYNC_BUILDER"]);
    expect(c.error("E_ASYNC_BUILDER").message).toContain("wf.split() returned a promise");
    expect([...c.result.options.keys()]).toEqual(["679/845/b"]);
  });

  it("refuses an async path builder at its option call", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, (wf) => {
  wf.split(844, (split) => {
    split.option("k", { name: "K" }, async (path) => {
      path.none();
      await later();
      path.addToList({ selection: 3 });
    });
    split.option("ok", { name: "OK" }, (path) => path.none());
  });
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:7:5 E_ASYNC_BUILDER"]);
    expect(c.error("E_ASYNC_BUILDER").message).toContain('option("k") returned a promise');
    expect([...c.result.options.keys()]).toEqual(["679/844/ok"]);
  });

  it("refuses an async workflow builder at its workflow call, instead of a valid empty workflow", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, async (wf) => {
  await later();
  wf.split(844, (split) => split.option("a", { name: "A" }));
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:5:16 E_ASYNC_BUILDER"]);
    expect(c.result.stats.workflows).toBe(0);
  });

  it("refuses an async nested split builder at its path.split call", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, (wf) => {
  wf.split(844, (split) => {
    split.option("k", { name: "K" }, (path) => {
      path.split(async (inner) => {
        await later();
        inner.option("x", { name: "X" });
      });
    });
  });
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:8:7 E_ASYNC_BUILDER"]);
    expect(c.result.options.size).toBe(0);
  });

  it("refuses a builder that returns any thenable, not only a native promise", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, (wf) => {
  wf.split(844, (split) => {
    split.option("a", { name: "A" });
    return { then() {} } as unknown as void;
  });
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:6:3 E_ASYNC_BUILDER"]);
  });

  it("reports an async builder that throws after its await once, as the async builder", () => {
    const c = h.run({
      "workflows/a.ts": `${HEAD}export default workflow(679, (wf) => {
  wf.split(844, async (split) => {
    split.option("a", { name: "A" });
    await later();
    throw new Error("too late");
  });
});
`,
    });
    expect(c.errors).toEqual(["workflows/a.ts:6:3 E_ASYNC_BUILDER"]);
  });
});

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
