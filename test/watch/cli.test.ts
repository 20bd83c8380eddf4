/**
 * `wfsync watch` as users run it: the built CLI (`npm run build` first; `npm test` does) in a
 * child process against an in-process emulator. Waits on output lines, never on fixed sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { emulator, flowFile, project, serverOptions } from "./harness.js";

const BIN = fileURLToPath(new URL("../../bin/wfsync.js", import.meta.url));

/** Collects a child's stdout and resolves `waitFor` once a line matches. */
function lines(child: ChildProcess): { text: () => string; waitFor: (re: RegExp, what: string) => Promise<string> } {
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = out.split("\n").find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => ((out += d), check()));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  return {
    text: () => out + err,
    waitFor: (re, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output:\n${out}\n${err}`)), 30_000);
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        check();
      }),
  };
}

describe("wfsync watch (CLI)", () => {
  it("applies a save, and on SIGINT exits 0 with the state saved and the lock released", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP customers" }]) });
    const child = spawn(process.execPath, [BIN, "watch", "--url", emu.url, "--log-file", "watch.log"], {
      cwd: p.dir,
      env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      const out = lines(child);
      expect(await out.waitFor(/^watching /, "the ready line")).toMatch(/^watching 1 file \(1 option\) → http:\/\/127\.0\.0\.1:\d+; .*Ctrl-C to stop$/);
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(true);

      p.write("workflows/onboarding.ts", flowFile(679, 844, [{ key: "vip", name: "VIP and key accounts" }]));
      const line = await out.waitFor(/applied 1 change .*save→applied/, "the save applied");
      expect(line).toMatch(/^\d\d:\d\d:\d\d applied 1 change in \d+(\.\d)? m?s \(save→applied \d+(\.\d)? m?s\): ~ 679\/844\/vip \(workflows\/onboarding\.ts:\d+:\d+\)$/);
      expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP and key accounts");

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out.text()).toContain("watch stopped; state saved");
      const state = JSON.parse(p.read(".wfsync/state.json")) as { entries: Record<string, { option: { name: string } }> };
      expect(state.entries["679/844/vip"]?.option.name).toBe("VIP and key accounts");
      expect(fs.existsSync(p.path(".wfsync/state.json.lock"))).toBe(false);
      expect(fs.existsSync(p.path(".wfsync/state.json.journal"))).toBe(false);
      const log = p
        .read("watch.log")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event?: string; applied?: string[] });
      expect(log.filter((r) => r.event === "run").map((r) => r.applied)).toContainEqual(["update 679/844/vip"]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses to start while another wfsync holds the state lock", async () => {
    const emu = await emulator();
    const p = project({ "workflows/onboarding.ts": flowFile(679, 844, [{ key: "vip", name: "VIP" }]) });
    const run = (args: string[]) => spawn(process.execPath, [BIN, ...args, "--url", emu.url], { cwd: p.dir, env: { PATH: process.env.PATH, ...EMULATOR_CREDENTIALS }, stdio: ["ignore", "pipe", "pipe"] });
    const first = run(["watch"]);
    try {
      await lines(first).waitFor(/^watching /, "the first daemon");
      const second = run(["watch"]);
      const out = lines(second);
      const code = await new Promise<number | null>((resolve) => second.on("close", resolve));
      expect(code).toBe(1);
      expect(out.text()).toMatch(/lock|locked/i);
    } finally {
      first.kill("SIGTERM");
      await new Promise((resolve) => first.on("close", resolve));
    }
  });
});
