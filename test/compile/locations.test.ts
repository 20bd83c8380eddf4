/** Options and steps carry the file:line:col of their call in the user's TypeScript. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

// Line numbers matter below: each line is numbered in the comment at its end.
const MAIN = `import { workflow } from "wfsync";
import { tail, vipOption } from "../lib/helpers";

export default workflow(10, (wf) => {
  wf.split(20, (split) => {
    split.option("a", { name: "A" }, (path) => {
      path.none();
    });
      split
        .option("b", { name: "B" });
    vipOption(split);
    split.option("c", { name: "C" }, (path) => tail(path, 0));
    split.option("d", { name: "D" }, (path) => {
      path.none();
      path.sendEmail({ shipmentId: 1, bogus: 2 } as any);
    });
  });
  wf.split(20, (split) => split.option("e", { name: "E" }));
});
`;

const HELPERS = `import type { PathBuilder, SplitBuilder } from "wfsync";

export function tail(path: PathBuilder, weeks: number): void {
  path.addToList({ selection: 3 });
  path.waitForTime({ numIntervals: weeks, intervalType: "Weeks" });
}

export function vipOption(split: SplitBuilder): void {
  split.option("vip", { name: "VIP" });
}
`;

describe("source locations", () => {
  const compile = () => h.run({ "workflows/main.ts": MAIN, "lib/helpers.ts": HELPERS });

  it("puts an option at the start of its call", () => {
    const c = compile();
    expect(c.where(c.result.options.get("10/20/a")?.source)).toBe("workflows/main.ts:6:5");
  });

  it("puts a call split over two lines at the start of its first line", () => {
    const c = compile();
    expect(c.where(c.result.options.get("10/20/b")?.source)).toBe("workflows/main.ts:9:7");
  });

  it("puts an option declared by a helper in an imported module in that module", () => {
    const c = compile();
    expect(c.where(c.result.options.get("10/20/vip")?.source)).toBe("lib/helpers.ts:9:3");
    expect(c.result.options.get("10/20/vip")?.file).toBe(c.path("workflows/main.ts"));
  });

  it("reports a step added by a helper in an imported module at the helper's call", () => {
    const c = compile();
    const err = c.error("E_WAIT_FOR_TIME");
    expect(c.where(err.location)).toBe("lib/helpers.ts:5:3");
    expect(err.message).toContain("numIntervals must be a positive integer, got 0");
  });

  it("reports a step in the workflow file at its call", () => {
    const c = compile();
    const err = c.error("E_STEP_FIELD");
    expect(c.where(err.location)).toBe("workflows/main.ts:15:7");
    expect(err.message).toBe('sendEmail() has no field "bogus"');
  });

  it("reports a split at its call, and the earlier declaration in the message", () => {
    const c = compile();
    const err = c.error("E_DUPLICATE_SPLIT");
    expect(c.where(err.location)).toBe("workflows/main.ts:18:3");
    expect(err.message).toMatch(/already declared at .*workflows\/main\.ts:5:3;/);
  });

  it("reports a workflow at its call", () => {
    const c = h.run({
      "workflows/w.ts": `import { workflow } from "wfsync";\n\nexport const w =\n  workflow(0, () => {});\n`,
    });
    expect(c.errors).toEqual(["workflows/w.ts:4:3 E_WORKFLOW_ID"]);
  });

  it("drops only the options with problems and reports nothing else", () => {
    const c = compile();
    expect([...c.result.options.keys()].sort()).toEqual(["10/20/a", "10/20/b", "10/20/vip"]);
    expect(c.errors).toEqual([
      "lib/helpers.ts:5:3 E_WAIT_FOR_TIME",
      "workflows/main.ts:15:7 E_STEP_FIELD",
      "workflows/main.ts:18:3 E_DUPLICATE_SPLIT",
    ]);
  });
});
