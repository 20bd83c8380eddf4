/**
 * apply's confirmation prompt on a real terminal: the CLI runs under util-linux `script`, which
 * gives it a pseudo-terminal, and keys are typed once the prompt is on the screen.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { configText, expectApplied, manyOptions, startEngine, workflowFile } from "../e2e/harness.js";
import { onCleanup } from "../helpers/cleanup.js";
import { onlineEnv, startOnlineEmulator } from "../helpers/online.js";
import { makeProject } from "../helpers/tmp-project.js";

const PROMPT = 'Only "yes" is accepted: ';

/** `wfsync apply` on a terminal in `cwd`; `keys` are typed when the prompt shows. */
function applyOnTerminal(cwd: string, keys: string, credentials: Record<string, string> = EMULATOR_CREDENTIALS): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_")));
  Object.assign(env, credentials, { NO_COLOR: "1" });
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} apply; echo "exit=$?"`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let typed = false;
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
    if (!typed && output.includes(PROMPT)) {
      typed = true;
      child.stdin.write(keys);
    }
    if (/exit=\d+/.test(output)) child.stdin.end();
  });
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("close", () => resolve({ code: Number(/exit=(\d+)/.exec(output)?.[1] ?? NaN), output })));
}

const A = workflowFile(679, { 844: [{ key: "a" }, { key: "b" }] });

describe("apply's prompt on a terminal", () => {
  it.each([
    { name: "Ctrl-C", keys: "\u0003", code: 130 },
    { name: "Ctrl-D", keys: "\u0004", code: 1 },
    { name: "no", keys: "no\r", code: 1 },
  ])("$name at the prompt: cancelled without a stack trace, nothing sent, exit $code", async ({ keys, code }) => {
    const engine = await startEngine({ files: { "workflows/a.ts": A } });
    const run = await applyOnTerminal(engine.project.dir, keys);
    expect(run.code, run.output).toBe(code);
    expect(run.output).toContain("Apply cancelled; nothing was sent.");
    expect(run.output).not.toMatch(/AbortError|\n\s+at /);
    expect(engine.serverOptions()).toEqual([]);
    // The lock is released: an apply right after works.
    expectApplied((await engine.apply()).result);
  });

  it('"yes" applies', async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": A } });
    const run = await applyOnTerminal(engine.project.dir, "yes\r");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Apply: 2 applied, 0 failed in \d+(\.\d)? m?s\./);
    expect(engine.serverOptions().map((o) => o.Key).sort()).toEqual(["a", "b"]);
  });

  it("after a large (compact) plan, the prompt repeats the plan's summary line", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(51) }) } });
    const run = await applyOnTerminal(engine.project.dir, "no\r");
    expect(run.code, run.output).toBe(1);
    expect(run.output.split("Plan: 51 to create, 0 to update, 0 to delete, 0 unchanged.")).toHaveLength(3);
    expect(run.output).toMatch(/Plan: 51 to create, 0 to update, 0 to delete, 0 unchanged\.\r?\nApply 51 changes to /);
  });

  it("names an Online tenant by its id and host", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const p = makeProject({ "sync.config.ts": configText("Cust12345"), "workflows/a.ts": A }, "wfsync-prompt-");
    onCleanup(() => p.cleanup());
    const run = await applyOnTerminal(p.dir, "no\r", onlineEnv(emu));
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`Apply 2 changes to Cust12345 (${new URL(emu.online.hosts[0]!).host})? ${PROMPT}`);
  });
});
