/**
 * The command line path: `node bin/wfsync.js import …` (the built dist/; `npm test` builds it),
 * then `validate` and `plan --detailed-exitcode` in the same folder, against an in-process
 * emulator. Children are spawned asynchronously so the emulator keeps answering.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import type { TmpProject } from "../helpers/tmp-project.js";
import { ENV, emptyProject, nurtureOptions, saveOption, startSeeded } from "./fixtures.js";

const root = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(root, "bin/wfsync.js");

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function wfsync(args: string[], cwd: string): Promise<CliResult> {
  if (!existsSync(path.join(root, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does it)");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_")));
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...ENV, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("wfsync import (CLI)", () => {
  let emu: RunningEmulator;
  let project: TmpProject;

  beforeAll(async () => {
    emu = await startSeeded();
    for (const o of nurtureOptions()) await saveOption(emu, 501, o);
    project = emptyProject(emu);
  });

  afterAll(async () => {
    await emu?.close();
    project?.cleanup();
  });

  it("imports, after which validate passes and plan --detailed-exitcode exits 0; a second import without --force exits 1", async () => {
    const imported = await wfsync(["import", "--workflow", "501", "--email-flow", "51"], project.dir);
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("wrote workflows/lead-nurture-spring-26.ts: workflow 501 (\"Lead nurture: Spring ’26\"), 2 splits, 4 options, 21 steps");
    expect(imported.stdout).toContain("recorded 4 options in .wfsync/state.json");
    expect(imported.stdout).toContain("Next: wfsync plan (it should show no changes)");

    const validated = await wfsync(["validate"], project.dir);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain("1 workflow, 2 splits, 4 options, 21 steps: valid");

    const plan = await wfsync(["plan", "--detailed-exitcode"], project.dir);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(0);

    const file = project.read("workflows/lead-nurture-spring-26.ts");
    const again = await wfsync(["import", "--workflow", "501", "--email-flow", "51"], project.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("E_IMPORT_EXISTS");
    const forced = await wfsync(["import", "--workflow", "501", "--email-flow", "51", "--force"], project.dir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("replaced workflows/lead-nurture-spring-26.ts");
    expect(project.read("workflows/lead-nurture-spring-26.ts")).toBe(file);
  });

  it("explains that --split or --email-flow is needed, and has --help", async () => {
    const missing = await wfsync(["import", "--workflow", "501"], project.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("E_IMPORT_NO_SOURCE");
    expect(missing.stderr).toContain("a workflow id alone cannot list its Split steps");

    const bad = await wfsync(["import", "--workflow", "x"], project.dir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("expected a positive integer id");

    const help = await wfsync(["import", "--help"], project.dir);
    expect(help.code).toBe(0);
    for (const flag of ["--workflow <id>", "--split <stepId>", "--email-flow <id>", "--out <dir>", "--force", "--skip-unsupported"]) expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain("wfsync import --workflow 679 --email-flow 12");
  });
});
