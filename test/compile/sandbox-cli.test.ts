/**
 * The CI threat: `wfsync validate` on a pull request whose workflow files (or config, or check
 * cache) try to exfiltrate the tenant's credentials. Runs the built CLI (`npm run build` first)
 * with WFSYNC_PASSWORD in its environment; each attack throws whatever it got, so a secret that
 * leaked would be printed. None may be, no file may be written and wfsync must not be killed.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const BIN = fileURLToPath(new URL("../../bin/wfsync.js", import.meta.url));
const SECRET = "hunter2-sandbox-cli-5d03";
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_"))),
  WFSYNC_USERNAME: "admin",
  WFSYNC_PASSWORD: SECRET,
  WFSYNC_TOKEN: SECRET,
};
const CONFIG = `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: "http://127.0.0.1:1" });\n`;

function validate(cwd: string): { status: number | null; signal: NodeJS.Signals | null; output: string } {
  const r = spawnSync(process.execPath, [BIN, "validate"], { cwd, env: ENV, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, signal: r.signal, output: `${r.stdout}\n${r.stderr}` };
}

/** A workflow file whose top level runs `attack` (statements) and throws what `leak` holds then. */
function attackFile(attack: string): string {
  return `import { workflow } from "wfsync";

const g = globalThis as any;
let leak: unknown = "nothing";
${attack}
if (leak !== "nothing") throw new Error("LEAKED " + String(leak));
export default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" })));
`;
}

let p: TmpProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe("validate of an attacker's project", () => {
  it("leaks no credential, writes no file and is not killed, whatever the workflow files try", () => {
    p = makeProject({ "sync.config.ts": CONFIG });
    const marker = p.path("escaped.txt");
    const useProcess = (get: string) => `const proc = ${get};\nleak = proc.env.WFSYNC_PASSWORD;\nproc.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(marker)}, String(leak));\nproc.kill(proc.pid, "SIGKILL");`;
    const attacks: Record<string, string> = {
      env: useProcess("g.process"),
      constructor: useProcess(`g.constructor.constructor("return process")()`),
      dsl: useProcess(`(workflow as any).constructor("return process")()`),
      stack: `g.Error.prepareStackTrace = (_e: unknown, frames: any[]) => frames;\nconst frames = (new Error() as any).stack;\ng.Error.prepareStackTrace = undefined;\n${useProcess(`frames[frames.length - 1].constructor.constructor("return process")()`)}`,
      fetch: `g.fetch("http://127.0.0.1:1/");`,
      kill: `g.process.kill(g.process.pid, "SIGKILL");`,
      exit: `g.process.exit(0);`,
    };
    for (const [name, attack] of Object.entries(attacks)) p.write(`workflows/${name}.ts`, attackFile(attack));
    const r = validate(p.dir);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.output).not.toContain(SECRET);
    expect(r.output).not.toMatch(/(threw|handled): Error: LEAKED/);
    expect(fs.existsSync(marker)).toBe(false);
    // Every attack failed in its own file, at its line, and the run reported all of them.
    for (const name of Object.keys(attacks)) expect(r.output).toMatch(new RegExp(`workflows/${name}\\.ts:\\d+:\\d+ - error E_BUILDER_THREW`));
    expect(r.output).toContain("process is not available in a workflow file");
    expect(r.output).toContain("EvalError: Code generation from strings disallowed");
  });

  it("leaks nothing through sync.config.ts, which runs in the same sandbox", () => {
    p = makeProject({
      "sync.config.ts": `import { defineConfig } from "wfsync";\n\nconst g = globalThis as any;\nlet leak = "none";\ntry {\n  leak = g.constructor.constructor("return process")().env.WFSYNC_PASSWORD;\n} catch (err) {\n  leak = String(err);\n}\n// An unknown key is printed in the error: the leak would show.\nexport default defineConfig({ url: "http://127.0.0.1:1", [leak]: 1 } as any);\n`,
      "workflows/ok.ts": attackFile(""),
    });
    const r = validate(p.dir);
    expect(r.status).toBe(1);
    expect(r.output).toContain('config "EvalError: Code generation from strings disallowed for this context": unknown setting');
    expect(r.output).not.toContain(SECRET);
  });

  it("leaks nothing through JavaScript planted in the check cache (which the sandbox runs like any other)", () => {
    p = makeProject({ "sync.config.ts": CONFIG, "workflows/ok.ts": attackFile("") });
    expect(validate(p.dir).status).toBe(0);
    const cacheFile = p.path(".wfsync/check-cache.json");
    const cache = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as { files: Record<string, { code: string }> };
    const entry = cache.files[p.path("workflows/ok.ts")]!;
    const marker = p.path("escaped.txt");
    // Raw JavaScript, as no transpile of ours would emit it: a dynamic import() whose refusal
    // would be one of Node's errors (the classic way out of a vm context) if the sandbox let it.
    entry.code = `import("node:fs").then(
  () => { throw new Error("LEAKED: the import worked"); },
  (err) => {
    const proc = err.constructor.constructor("return process")();
    proc.getBuiltinModule("node:fs").writeFileSync(${JSON.stringify(marker)}, "escaped");
    throw new Error("LEAKED " + proc.env.WFSYNC_PASSWORD);
  },
);
module.exports = { default: require("wfsync").workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" }))) };
`;
    fs.writeFileSync(cacheFile, JSON.stringify(cache));
    const r = validate(p.dir);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/E_UNHANDLED_REJECTION: .*EvalError: Code generation from strings disallowed/);
    expect(r.output).not.toContain(SECRET);
    expect(r.output).not.toMatch(/(threw|handled): Error: LEAKED/);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
