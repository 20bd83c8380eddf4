/**
 * The command line path: `node bin/wfsync.js import …` (the built dist/; `npm test` builds it),
 * then `validate` and `plan --detailed-exitcode` in the same folder, against an in-process
 * emulator. Children are spawned asynchronously so the emulator keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { runCli, type CliResult } from "../helpers/cli.js";
import type { TmpProject } from "../helpers/tmp-project.js";
import { ENV, emptyProject, nurtureOptions, saveOption, startSeeded } from "./fixtures.js";

function wfsync(args: string[], cwd: string): Promise<CliResult> {
  return runCli(args, { cwd, env: { ...ENV } });
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
