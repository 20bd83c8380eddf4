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
    for (const flag of ["--workflow <id>", "--split <stepId>", "--email-flow <id>", "--all", "--out <dir>", "--force", "--skip-unsupported"]) expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain("wfsync import --email-flow 12");

    const nothing = await wfsync(["import"], project.dir);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("import needs --email-flow ID (the flow names its workflow), --workflow ID with --split STEP_ID, or --all");
  });

  it("takes the workflow from --email-flow alone, and imports every flow with --all, reporting the refused ones", async () => {
    const fresh = emptyProject(emu);
    try {
      const one = await wfsync(["import", "--email-flow", "51"], fresh.dir);
      expect(one.stderr).toBe("");
      expect(one.stdout).toContain("workflow 501");
      // The header's command names the workflow as resolved, so a re-import stays byte-identical.
      expect(fresh.read("workflows/lead-nurture-spring-26.ts")).toContain("wfsync import --workflow 501 --email-flow 51");

      const all = await wfsync(["import", "--all"], fresh.dir);
      expect(all.code).toBe(1);
      expect(all.stdout).toContain("== workflow 502");
      expect(all.stdout).toContain("imported 3 of 4 flows; 1 refused (above)");
      expect(all.stderr).toContain("E_IMPORT_EXISTS: workflows/lead-nurture-spring-26.ts already exists");
      const plan = await wfsync(["plan", "--detailed-exitcode"], fresh.dir);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);

      const mixed = await wfsync(["import", "--all", "--email-flow", "51"], fresh.dir);
      expect(mixed.code).toBe(1);
      expect(mixed.stderr).toContain("--all imports every flow");
    } finally {
      fresh.cleanup();
    }
  });
});
