/**
 * The examples `wfsync import --help` prints run as printed against the emulator's demo seed (the
 * flows `wfsync emulator` serves out of the box), each in a fresh project, and the next plan of
 * that project is empty.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { runCli } from "../helpers/cli.js";
import { configText } from "../e2e/harness.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const projects: TmpProject[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup();
});

describe("wfsync import --help", () => {
  it("every example works against the demo seed", async () => {
    const help = await runCli(["import", "--help"], { cwd: process.cwd() });
    expect(help.code).toBe(0);
    const examples = help.stdout
      .slice(help.stdout.indexOf("Examples:"))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("wfsync import "));
    expect(examples.length).toBeGreaterThan(0);
    const emu = await startEmulator({ port: 0, env: {} });
    try {
      for (const example of examples) {
        const project = makeProject({ "sync.config.ts": configText(emu.url) }, "wfsync-import-help-");
        projects.push(project);
        const run = await runCli(example.split(/\s+/).slice(1), { cwd: project.dir });
        expect(run.code, `${example}\n${run.stderr}`).toBe(0);
        const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: project.dir });
        expect(plan.code, `${example} then plan\n${plan.stdout}${plan.stderr}`).toBe(0);
      }
    } finally {
      await emu.close();
    }
  });
});
