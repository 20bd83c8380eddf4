/**
 * A fleet run compiles the same files once per environment. The first environment's evaluation
 * answers the others only when no code of it asked which environment it is (defineValues), and a
 * file's validation is shared only when every name it resolved resolves the same on the next
 * tenant. These tests are the proof that one tenant's ids never reach another through that reuse.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openProjectFamily, type ProjectFamily } from "../../src/workspace/project.js";
import { tenantResolver } from "../../src/compile/names.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const CONFIG = `import { defineConfig } from "wfsync";

export default defineConfig({
  environments: {
    sandbox: { url: "http://127.0.0.1:1001" },
    production: { url: "http://127.0.0.1:1002" },
  },
});
`;

const LITERAL = `import { workflow } from "wfsync";

export default workflow(679, (wf) =>
  wf.split(844, (s) => s.option("vip", { name: "VIP" }, (p) => p.addToList({ selection: 12 }))),
);
`;

const IDS = `import { defineValues } from "wfsync";

export const ids = defineValues({
  sandbox: { flow: 679, split: 844, vip: 12 },
  production: { flow: 1201, split: 1302, vip: 40 },
});
`;

let p: TmpProject | undefined;
let family: ProjectFamily | undefined;
afterEach(() => {
  family?.close();
  family = undefined;
  p?.cleanup();
  p = undefined;
});

/** Compiles every environment in turn, as a fleet run does; each one's options by address. */
function compileAll(files: Record<string, string>, names?: Record<string, Parameters<typeof tenantResolver>[0]>) {
  p = makeProject({ "sync.config.ts": CONFIG, ...files });
  family = openProjectFamily({ cwd: p.dir, env: {}, checkCache: false });
  const out: Record<string, Record<string, unknown>> = {};
  for (const env of family.environments) {
    const project = family.open(env);
    let result = project.compiler.compile();
    if (names && result.unresolved.length) result = project.compiler.resolveNames(tenantResolver(names[env]!, env));
    expect(result.errors.map((e) => e.message)).toEqual([]);
    out[env] = Object.fromEntries([...result.options].map(([address, d]) => [address, d.option]));
    project.compiler.close();
  }
  return out;
}

const selections = (options: Record<string, unknown>) => Object.values(options).map((o) => (o as { steps: { selection?: number }[] }).steps[0]!.selection);

describe("one evaluation for every environment, when the code does not ask which it is", () => {
  it("evaluates literal ids once and validates each file once, for the same options everywhere", () => {
    const got = compileAll({ "workflows/flow.ts": LITERAL, "workflows/other.ts": LITERAL.replaceAll("844", "845") });
    expect(Object.keys(got.sandbox!)).toEqual(["679/844/vip", "679/845/vip"]);
    expect(got.production).toEqual(got.sandbox);
    expect(family!.reused).toEqual({ evaluations: 1, validations: 2 });
  });

  it("evaluates again for each environment when a file reads its values, and each gets its own ids", () => {
    const got = compileAll({
      "workflows/ids.ts": IDS,
      "workflows/flow.ts": `import { workflow } from "wfsync";\nimport { ids } from "./ids";\n\nexport default workflow(ids.flow, (wf) =>\n  wf.split(ids.split, (s) => s.option("vip", { name: "VIP" }, (p) => p.addToList({ selection: ids.vip }))),\n);\n`,
    });
    expect(Object.keys(got.sandbox!)).toEqual(["679/844/vip"]);
    expect(Object.keys(got.production!)).toEqual(["1201/1302/vip"]);
    expect(selections(got.production!)).toEqual([40]);
    expect(family!.reused.evaluations).toBe(0);
  });

  it("sees a read inside a builder, run long after the module was loaded", () => {
    const got = compileAll({
      "workflows/flow.ts": `import { workflow, defineValues } from "wfsync";\n\nconst vip = () => defineValues({ sandbox: { id: 12 }, production: { id: 40 } }).id;\n\nexport default workflow(679, (wf) =>\n  wf.split(844, (s) => s.option("vip", { name: "VIP" }, (p) => p.addToList({ selection: vip() }))),\n);\n`,
    });
    expect(selections(got.sandbox!)).toEqual([12]);
    expect(selections(got.production!)).toEqual([40]);
    expect(family!.reused.evaluations).toBe(0);
  });

  it("does not trust a file that never read the values itself but took them from one that did, through a global", () => {
    // a.ts runs first and leaves its environment's id on globalThis; b.ts only reads the global.
    const got = compileAll({
      "workflows/a.ts": `import { workflow, defineValues } from "wfsync";\n\n(globalThis as any).vip = defineValues({ sandbox: { id: 12 }, production: { id: 40 } }).id;\n\nexport default workflow(679, (wf) => wf.split(844, (s) => s.option("a", { name: "A" })));\n`,
      "workflows/b.ts": `import { workflow } from "wfsync";\n\nexport default workflow(679, (wf) =>\n  wf.split(845, (s) => s.option("b", { name: "B" }, (p) => p.addToList({ selection: (globalThis as any).vip }))),\n);\n`,
    });
    expect(got.sandbox!["679/845/b"]).toMatchObject({ steps: [{ selection: 12 }] });
    expect(got.production!["679/845/b"]).toMatchObject({ steps: [{ selection: 40 }] });
    expect(family!.reused.evaluations).toBe(0);
  });

  it("keeps a shared validation frozen, so no environment can change what another plans", () => {
    compileAll({ "workflows/flow.ts": LITERAL });
    const project = family!.open("sandbox");
    const option = [...project.compiler.compile().options.values()][0]!;
    project.compiler.close();
    expect(Object.isFrozen(option)).toBe(true);
    expect(Object.isFrozen(option.option.steps[0])).toBe(true);
    expect(() => {
      (option.option as { name: string }).name = "changed";
    }).toThrow(TypeError);
  });
});

describe("validations shared across tenants only when their names resolve alike", () => {
  const NAMED = `import { workflow } from "wfsync";

export default workflow("Onboarding", (wf) =>
  wf.split("Lead score", (s) => s.option("vip", { name: "VIP" })),
);
`;
  const flow = (workflowId: number, workflowStepId: number) => [{ workflowId, name: "Onboarding", splits: [{ workflowStepId, name: "Lead score" }] }];

  it("resolves each tenant's own ids when the same names mean different flows", () => {
    const got = compileAll({ "workflows/flow.ts": NAMED }, { sandbox: flow(679, 844), production: flow(1201, 1302) });
    expect(Object.keys(got.sandbox!)).toEqual(["679/844/vip"]);
    expect(Object.keys(got.production!)).toEqual(["1201/1302/vip"]);
  });

  it("shares the validation when the names resolve to the same ids", () => {
    const got = compileAll({ "workflows/flow.ts": NAMED }, { sandbox: flow(679, 844), production: flow(679, 844) });
    expect(got.production).toEqual(got.sandbox);
    expect(family!.reused.validations).toBeGreaterThan(0);
  });
});
