/**
 * The shape of src/, checked from the code's own imports so that it cannot rot silently: each
 * folder is a stage of the pipeline and may import only the stages below it, and no module
 * imports itself through others (no cycle, type-only imports included).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../src");

/**
 * What each part of src/ may import besides itself ("." is a file directly in src/). A folder
 * missing here is a test failure: a new folder states its place in the pipeline.
 */
const ALLOWED: Record<string, readonly string[]> = {
  ".": ["."],
  model: [],
  dsl: ["model"],
  client: [".", "model"],
  emulator: [".", "model"],
  state: [".", "model", "client"],
  compile: [".", "model", "dsl"],
  config: [".", "dsl"],
  tenant: [".", "model", "client", "config"],
  plan: [".", "model", "compile", "state"],
  apply: [".", "model", "client", "plan", "state", "tenant"],
  import: [".", "model", "compile", "config", "state", "tenant"],
  workspace: [".", "model", "client", "compile", "config", "plan", "state", "tenant"],
  watch: [".", "model", "client", "compile", "config", "plan", "apply", "state", "tenant", "workspace"],
  cli: [".", "model", "client", "compile", "config", "plan", "apply", "state", "tenant", "workspace", "watch", "import", "emulator", "dsl"],
};

interface ModuleImports {
  readonly file: string;
  readonly imports: string[];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports (static, dynamic and re-exports), resolved to src files. */
function readImports(file: string): ModuleImports {
  const text = fs.readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"/gms),
    ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
    ...text.matchAll(/^\s*import\s+"(\.[^"]+)"/gm),
  ].map((m) => m[1]!);
  const imports = specs.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, ".ts")));
  return { file, imports };
}

function partOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? "." : rel[0]!;
}

const modules = sourceFiles(SRC).map(readImports);
const rel = (f: string) => path.relative(SRC, f).split(path.sep).join("/");

describe("src/ architecture", () => {
  it("finds the modules and their imports", () => {
    expect(modules.length).toBeGreaterThan(50);
    for (const m of modules) for (const i of m.imports) expect(fs.existsSync(i), `${rel(m.file)} imports a missing ${rel(i)}`).toBe(true);
  });

  it("has every folder placed in the pipeline", () => {
    const parts = new Set(modules.map((m) => partOf(m.file)));
    expect([...parts].filter((p) => !(p in ALLOWED))).toEqual([]);
  });

  it("imports only downwards: no folder imports a stage above it", () => {
    const wrong: string[] = [];
    for (const m of modules) {
      const from = partOf(m.file);
      for (const i of m.imports) {
        const to = partOf(i);
        if (to !== from && !ALLOWED[from]!.includes(to)) wrong.push(`${rel(m.file)} → ${rel(i)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has no import cycle", () => {
    const graph = new Map(modules.map((m) => [m.file, m.imports]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the rules meaningful: the checker sees a violation when there is one", () => {
    // A guard against a regex that silently matches nothing: plan/ really imports model/.
    const plan = modules.find((m) => rel(m.file) === "plan/diff.ts")!;
    expect(plan.imports.map(rel)).toContain("model/option.ts");
    expect(ALLOWED.plan).not.toContain("apply");
  });
});
