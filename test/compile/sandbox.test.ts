/**
 * Workflow files are code from whoever can open a pull request: they run where they cannot reach
 * the process, its environment, the file system, the network or child processes. Each case is a
 * workflow file that tries one way out; it must compile (so it really ran) and get nothing.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";

const SECRET = "sandbox-test-secret-7c1f";

let h: CompileHarness;
beforeAll(() => {
  process.env.WFSYNC_SANDBOX_TEST_SECRET = SECRET;
  h = compileHarness();
});
afterAll(() => {
  delete process.env.WFSYNC_SANDBOX_TEST_SECRET;
  h.cleanup();
});

/**
 * A workflow file that runs `attempt` (an expression meant to yield `process`), and if it got one
 * reads the secret, writes a file and would kill wfsync; the option's name says what happened.
 */
function attacker(marker: string, attempt: string): string {
  return `import { workflow } from "wfsync";

const marker = ${JSON.stringify(marker)};
let outcome = "got nothing";
try {
  const p = (${attempt}) as any;
  if (p && typeof p === "object" && "env" in p) {
    outcome = "got process: " + String(p.env.WFSYNC_SANDBOX_TEST_SECRET);
    p.getBuiltinModule?.("node:fs").writeFileSync(marker, outcome);
  }
} catch (err) {
  outcome = "refused: " + String(err);
}

export default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: outcome.slice(0, 250) })));
`;
}

const ESCAPES: [string, string][] = [
  ["the global process", "(globalThis as any).process"],
  ["a global's constructor", `(globalThis as any).constructor.constructor("return process")()`],
  ["an object's constructor", `({}).constructor.constructor("return process")()`],
  ["this.constructor.constructor", `(function (this: any) { return this.constructor.constructor("return process")(); })()`],
  ["an async function's constructor", `Object.getPrototypeOf(async () => undefined).constructor("return process")()`],
  ["the DSL's functions", `(workflow as any).constructor("return process")()`],
  ["a DSL builder's constructor", `(() => { let got: unknown; workflow(9, (wf) => { got = (wf.split as any).constructor("return process")(); }); return got; })()`],
  ["Error.prepareStackTrace call sites", `(() => {
    const E = Error as any;
    E.prepareStackTrace = (_e: unknown, frames: any[]) => frames;
    const frames = (new Error() as any).stack as any[];
    E.prepareStackTrace = undefined;
    for (const f of frames) {
      for (const v of [f.getThis?.(), f.getFunction?.(), f]) {
        try { const p = v && v.constructor.constructor("return process")(); if (p) return p; } catch {}
      }
    }
    return undefined;
  })()`],
  ["arguments.callee.caller", `(() => {
    let got: unknown;
    workflow(9, function (this: unknown) {
      const caller = (arguments as any).callee.caller;
      got = caller ? caller.constructor("return process")() : undefined;
    } as any);
    return got;
  })()`],
  ["eval", `(0, eval)("process")`],
  ["new Function", `new Function("return process")()`],
  ["require", `(globalThis as any).require("node:process")`],
  ["Node's globals", `[(globalThis as any).fetch, (globalThis as any).setTimeout, (globalThis as any).Buffer, (globalThis as any).WebAssembly, (globalThis as any).SharedArrayBuffer, (globalThis as any).Atomics, (globalThis as any).FinalizationRegistry].some((g) => g !== undefined) ? { env: { WFSYNC_SANDBOX_TEST_SECRET: "a Node global is there" } } : undefined`],
];

describe("the sandbox", () => {
  it.each(ESCAPES)("gives nothing through %s", (_what, attempt) => {
    const marker = h.project.path(`marker-${Math.random().toString(36).slice(2)}`);
    const c = h.run({ "workflows/attack.ts": attacker(marker, attempt) });
    expect(c.errors).toEqual([]);
    const name = String(c.result.options.get("1/2/k")?.option.name);
    expect(name).toMatch(/^(got nothing|refused: )/);
    expect(name).not.toContain(SECRET);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("hands the code only objects of its own realm (the DSL included)", () => {
    const c = h.run({
      "workflows/realm.ts": `import { workflow } from "wfsync";

const own: boolean[] = [];
const def = workflow(1, (wf) => {
  own.push(Object.getPrototypeOf(wf) === Object.prototype, (wf.split as unknown) instanceof Function);
  wf.split(2, (s) => {
    own.push((s.option as unknown) instanceof Function);
    s.option("k", { name: "K" }, (path) => own.push((path.none as unknown) instanceof Function, Object.getPrototypeOf(path) === Object.prototype));
  });
});
own.push((workflow as unknown) instanceof Function, Object.getPrototypeOf(def) === Object.prototype, Array.isArray(def.splits) && def.splits instanceof Array);
export default workflow(3, (wf) => wf.split(4, (s) => s.option("own", { name: own.join(",") })));
`,
    });
    expect(c.errors).toEqual([]);
    expect(c.result.options.get("3/4/own")?.option.name).toBe("true,true,true,true,true,true,true,true");
  });

  it("refuses import() with an error made inside the sandbox, so it leads nowhere", () => {
    const marker = h.project.path("marker-import");
    const c = h.run({
      "workflows/attack.ts": `import { workflow } from "wfsync";

const tries: Promise<unknown>[] = [
  // @ts-ignore
  import("node:fs"),
];
for (const t of tries) {
  t.catch((err: any) => {
    const p = err?.constructor?.constructor?.("return process")?.();
    p?.getBuiltinModule?.("node:fs").writeFileSync(${JSON.stringify(marker)}, "escaped");
  });
}
export default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" })));
`,
    });
    // The refusal's constructor is the sandbox's own, which compiles no code: the handler throws.
    expect(c.errors).toEqual(["workflows/attack.ts:9:33 E_UNHANDLED_REJECTION"]);
    expect(c.error("E_UNHANDLED_REJECTION").message).toContain("EvalError: Code generation from strings disallowed");
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("runs no user code in wfsync's realm when reading what was declared (getters, proxies, toJSON)", () => {
    const marker = h.project.path("marker-read");
    const grab = `function (this: any) { try { const p = this?.constructor?.constructor?.("return process")?.(); p?.getBuiltinModule?.("node:fs").writeFileSync(${JSON.stringify(marker)}, "escaped"); } catch {} return "X"; }`;
    const c = h.run({
      "workflows/attack.ts": `import { workflow } from "wfsync";

const sneaky: any = { toJSON: ${grab}, toString: ${grab}, valueOf: ${grab} };
Object.defineProperty(sneaky, "deep", { get: ${grab}, enumerable: true });
const fields: any = new Proxy({ selection: 1 }, { get: ${grab}, ownKeys: () => ["selection"], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }) });
export default workflow(1, (wf) =>
  wf.split(2, (s) => {
    s.option("k", { name: sneaky, rank: sneaky }, (path) => path.addToList(fields));
  }),
);
export const other = new Proxy({}, { get: ${grab}, ownKeys: () => ["a"], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }) });
`,
    });
    expect(c.errors.length).toBeGreaterThan(0);
    expect(c.errors.every((e) => /E_NAME|E_RANK|E_STEP_FIELD/.test(e))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("gives the code an environment without wfsync's: no secret in process.env of any realm it can reach", () => {
    const c = h.run({
      "workflows/env.ts": `import { workflow } from "wfsync";

let seen = "";
try { seen = JSON.stringify(Object.keys(globalThis)); } catch (err) { seen = String(err); }
export default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: seen.slice(0, 250) || "none" })));
`,
    });
    expect(c.errors).toEqual([]);
    expect(String(c.result.options.get("1/2/k")?.option.name)).not.toContain(SECRET);
  });
});
