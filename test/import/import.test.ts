/**
 * `wfsync import` end to end against the in-process emulator: import, the project validates,
 * the next plan is empty, a second import is byte-identical, and every refusal writes nothing.
 */
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply.js";
import { createTenantQueue } from "../../src/tenant/queue.js";
import { perOptionTenant } from "../../src/tenant/tenant.js";
import { normaliseBaseUrl } from "../../src/client/url.js";
import { compileOrThrow, openProject } from "../../src/workspace/project.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { renderImport } from "../../src/cli/import.js";
import { WfsyncError, WfsyncErrors } from "../../src/errors.js";
import { isEmptyPlan } from "../../src/plan/diff.js";
import { openState } from "../../src/state/index.js";
import type { TmpProject } from "../helpers/tmp-project.js";
import { actions, client, configText, emptyProject, importInto, nurtureOptions, planOf, saveOption, startSeeded } from "./fixtures.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ emu: RunningEmulator; project: TmpProject }> {
  const emu = await startSeeded();
  cleanups.push(() => emu.close());
  const project = emptyProject(emu);
  cleanups.push(() => project.cleanup());
  return { emu, project };
}

async function seedNurture(emu: RunningEmulator): Promise<void> {
  for (const o of nurtureOptions()) await saveOption(emu, 501, o);
}

async function refusal(p: Promise<unknown>): Promise<WfsyncError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WfsyncError);
  return err as WfsyncError;
}

function snapshot(project: TmpProject): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(project.path(rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        out[`${child}/`] = "";
        walk(child);
      } else out[child] = project.read(child);
    }
  };
  walk("");
  return out;
}

describe("wfsync import", () => {
  it("imports every step type and nested splits from a flow; validates; the next plan is empty; re-import is byte-identical", async () => {
    const { emu, project } = await setup();
    await seedNurture(emu);

    const result = await importInto(project, { workflow: 501, emailFlow: 51 });
    expect(result.displayFile).toBe("workflows/lead-nurture-spring-26.ts");
    expect(result.splits).toEqual([5101, 5103]);
    expect(result.recorded.map((r) => r.address)).toEqual([
      "501/5101/every-step",
      "501/5101/nested",
      "501/5103/quotes \"'` \\ \u2028 ünï",
      "501/5103/second",
    ]);
    expect(result.generatedKeys).toEqual([]);
    expect(result.skipped).toEqual([]);

    const text = project.read(result.displayFile);
    expect(text).toMatchSnapshot();
    // Typed calls, defaults left out, no JSON blobs.
    expect(text).toContain('path.sendEmail({\n        shipmentId: 3,\n        subject: "Welcome \\"aboard\\"\\n\\tsee you",\n        attachments: [7, 8],\n      });');
    expect(text).toContain('path.addToList({ selection: 12, project: 4 });');
    expect(text).toContain('path.waitForTime({ numIntervals: 2, intervalType: "WorkingDays" });');
    expect(text).toContain('path.removeFromList({ selection: 13 });');
    expect(text).toContain('p.waitForTime({ timeWaitAlgorithm: "UntilDateField" });');
    expect(text).toContain('p2.updateParticipant();');
    expect(text).toContain('split.option("nested", { name: "Nested splits", rank: 3 }, (path) => {');
    expect(text).toContain('inner.option("rest", { name: "Everyone else", rank: 5 }, (p) => {');
    expect(text).not.toMatch(/Steps|StepType|WorkflowStepId/);

    // validate
    const compiled = compileOrThrow(openProject({ cwd: project.dir, env: {} }));
    expect(compiled.stats).toMatchObject({ workflows: 1, splits: 2, options: 4 });

    // plan: nothing to do
    const plan = await planOf(project, emu);
    expect(actions(plan).every((a) => a.startsWith("noop"))).toBe(true);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.unmanaged).toEqual([]);

    // again, over the file: the same bytes
    const stateBefore = project.read(".wfsync/state.json");
    const again = await importInto(project, { workflow: 501, emailFlow: 51, force: true });
    expect(again.replaced).toBe(true);
    expect(project.read(result.displayFile)).toBe(text);
    expect(JSON.parse(project.read(".wfsync/state.json")).entries).toEqual(
      Object.fromEntries(Object.entries(JSON.parse(stateBefore).entries as Record<string, object>).map(([k, v]) => [k, { ...v, appliedAt: expect.any(String) }])),
    );
    expect(isEmptyPlan(await planOf(project, emu))).toBe(true);
  });

  it("imports named splits with --split into workflows/workflow-<id>.ts, or into --out", async () => {
    const { emu, project } = await setup();
    await seedNurture(emu);
    const result = await importInto(project, { workflow: 501, split: [5103] });
    expect(result.displayFile).toBe("workflows/workflow-501.ts");
    expect(result.recorded).toHaveLength(2);
    expect(project.read(result.displayFile)).toContain("// Workflow 501.\n// Imported with `wfsync import --workflow 501 --split 5103`.\n");
    expect(isEmptyPlan(await planOf(project, emu))).toBe(true);

    const other = await importInto(project, { workflow: 504, split: [5401], out: "workflows/team" });
    expect(other.displayFile).toBe("workflows/team/workflow-504.ts");
    expect(project.read(other.displayFile)).toContain("This split has no options on the server yet.");
  });

  it("refuses to replace an existing file without --force: file and state untouched", async () => {
    const { emu, project } = await setup();
    await seedNurture(emu);
    await importInto(project, { workflow: 501, split: [5103] });
    project.write("workflows/workflow-501.ts", project.read("workflows/workflow-501.ts").replace('"Second"', '"Second, edited"'));
    const before = snapshot(project);
    await saveOption(emu, 501, { WorkflowStepId: 5103, Key: "third", Name: "Third", Rank: 30, Steps: [] });

    const err = await refusal(importInto(project, { workflow: 501, split: [5103] }));
    expect(err.code).toBe("E_IMPORT_EXISTS");
    expect(err.message).toContain("workflows/workflow-501.ts already exists; pass --force");
    expect(snapshot(project)).toEqual(before);
  });

  it("--force replaces only a file of the same workflow, and never one that declares a split the import leaves out", async () => {
    const { emu, project } = await setup();
    await seedNurture(emu);
    await importInto(project, { workflow: 501, emailFlow: 51 });
    project.write("workflows/workflow-501.ts", 'import { workflow } from "wfsync";\n\nexport default workflow(504, (wf) => {\n  wf.split(5401, () => {});\n});\n');
    let before = snapshot(project);
    expect((await refusal(importInto(project, { workflow: 501, split: [5103], force: true }))).code).toBe("E_IMPORT_FOREIGN_FILE");
    expect(snapshot(project)).toEqual(before);

    project.remove("workflows/workflow-501.ts");
    before = snapshot(project);
    // The flow's file declares 5101 and 5103; re-importing only 5103 over it would drop 5101.
    const err = await refusal(importInto(project, { workflow: 501, emailFlow: 51, split: [5103], force: true }));
    expect(err.code).toBe("E_IMPORT_DROPS_SPLIT");
    expect(err.message).toContain("also declares split 5101");
    expect(snapshot(project)).toEqual(before);
  });

  it("refuses a split that another file already declares, putting nothing in place", async () => {
    const { emu, project } = await setup();
    await seedNurture(emu);
    project.write("workflows/mine.ts", 'import { workflow } from "wfsync";\n\nexport default workflow(501, (wf) => {\n  wf.split(5103, (split) => {\n    split.option("second", { name: "Second" }, (path) => path.sendEmail({ shipmentId: 4 }));\n  });\n});\n');
    const before = snapshot(project);
    const err = await refusal(importInto(project, { workflow: 501, split: [5103] }));
    expect(err.code).toBe("E_IMPORT_SPLIT_DECLARED");
    // Names the file to act on; --out picks a folder, so it cannot import "into that file".
    expect(err.message).toBe(
      "a split of this import is already declared in workflows/mine.ts; workflows/workflow-501.ts was not written. " +
        "Remove the split there first, or, if that file holds only this workflow, rename it to workflows/workflow-501.ts and import again with --force",
    );
    expect(snapshot(project)).toEqual(before);

    // Over an earlier import of the same workflow: the earlier file is put back as it was.
    project.remove("workflows/mine.ts");
    await importInto(project, { workflow: 501, split: [5101] });
    project.write("workflows/mine.ts", before["workflows/mine.ts"]!);
    const earlier = snapshot(project);
    expect((await refusal(importInto(project, { workflow: 501, split: [5101, 5103], force: true }))).code).toBe("E_IMPORT_SPLIT_DECLARED");
    expect(snapshot(project)).toEqual(earlier);
  });

  it("gives empty and repeated keys readable generated keys; the next plan updates exactly those, and after apply it is empty", async () => {
    const { emu, project } = await setup();
    const saved = [
      await saveOption(emu, 502, { WorkflowStepId: 5201, Key: "", Name: "Welcome e-mail", Rank: 1, Steps: [{ StepType: "SendEmail", ShipmentId: 1 }] }),
      await saveOption(emu, 502, { WorkflowStepId: 5201, Key: "vip", Name: "VIP", Rank: 2, Steps: [] }),
      await saveOption(emu, 502, { WorkflowStepId: 5201, Key: "vip", Name: "VIP (copy)", Rank: 3, Steps: [] }),
      await saveOption(emu, 502, { WorkflowStepId: 5201, Key: "welcome-e-mail", Name: "Taken slug", Rank: 4, Steps: [] }),
      await saveOption(emu, 502, {
        WorkflowStepId: 5201,
        Key: "branches",
        Name: "Branches",
        Rank: 5,
        Steps: [{ StepType: "Split", Options: [{ Key: "", Name: "A", Rank: 1, Steps: [] }, { Key: "", Name: "A", Rank: 2, Steps: [{ StepType: "RunScript" }] }] }],
      }),
    ];
    const result = await importInto(project, { workflow: 502, emailFlow: 52 });
    expect(result.recorded.map((r) => r.address)).toEqual(["502/5201/welcome-e-mail-2", "502/5201/vip", "502/5201/vip-copy", "502/5201/welcome-e-mail", "502/5201/branches"]);
    expect(result.generatedKeys.map((g) => [g.address, g.id, g.keys.map((k) => `${k.path} ${JSON.stringify(k.serverKey)}→${k.key} ${k.reason}`)])).toEqual([
      ["502/5201/welcome-e-mail-2", saved[0]!.WorkflowStepOptionId, [' ""→welcome-e-mail-2 empty']],
      ["502/5201/vip-copy", saved[2]!.WorkflowStepOptionId, [' "vip"→vip-copy duplicate']],
      ["502/5201/branches", saved[4]!.WorkflowStepOptionId, ['/0.0 ""→a empty', '/0.1 ""→a-2 empty']],
    ]);
    const summary = renderImport(result, project.dir);
    expect(summary).toContain(`  502/5201/welcome-e-mail-2 [id ${saved[0]!.WorkflowStepOptionId}]  key "welcome-e-mail-2" (server: empty)`);
    expect(summary).toContain(`  502/5201/vip-copy [id ${saved[2]!.WorkflowStepOptionId}]  key "vip-copy" (server: "vip" repeated)`);
    expect(summary).toContain('step 1 (Split) › option 2 "A": key "a-2" (server: empty)');
    expect(summary).toContain("The next plan shows 3 updates for these, and nothing else: apply saves the keys on the server.");
    const text = project.read(result.displayFile);
    expect(text).toContain(`    // wfsync: generated key; the server's Key is "" (empty).\n    // The next \`wfsync apply\` saves this key on the server (plan shows it as an update).\n    split.option("welcome-e-mail-2", { name: "Welcome e-mail" }, (path) => {`);
    expect(text).toContain(`// wfsync: generated key; the server's Key "vip" is already used by an earlier option of this split.`);
    expect(text).toContain('inner.option("a-2", { name: "A" }, (p) => {');

    const plan = await planOf(project, emu);
    expect(actions(plan).sort()).toEqual([
      "noop 502/5201/vip",
      "noop 502/5201/welcome-e-mail",
      "update 502/5201/branches",
      "update 502/5201/vip-copy",
      "update 502/5201/welcome-e-mail-2",
    ]);
    for (const c of plan.changes) expect(c.reason).toBeUndefined();
    const updated = plan.changes.find((c) => c.address === "502/5201/vip-copy")!;
    expect(updated.before?.key).toBe("vip");
    expect(updated.after?.key).toBe("vip-copy");

    // Apply it: the keys land on the server, and the plan converges.
    const opened = openProject({ cwd: project.dir, env: {} });
    const state = await openState(opened.config.state, { tenant: normaliseBaseUrl(emu.url), lock: true });
    const api = client(emu);
    try {
      const applied = await applyPlan(plan, { tenant: perOptionTenant(api.baseUrl, api, createTenantQueue({ concurrency: 2 })), state });
      expect(applied.failed).toEqual([]);
    } finally {
      api.close();
      await state.close();
    }
    expect(isEmptyPlan(await planOf(project, emu))).toBe(true);
    const keys = emu.data().options.filter((o) => o.WorkflowStepId === 5201).map((o) => o.Key);
    expect(keys.sort()).toEqual(["branches", "vip", "vip-copy", "welcome-e-mail", "welcome-e-mail-2"]);
  });

  it("reports every option the DSL cannot express and writes nothing; --skip-unsupported imports the rest with a comment", async () => {
    const { emu, project } = await setup();
    await saveOption(emu, 503, { WorkflowStepId: 5301, Key: "ok", Name: "Fine", Rank: 1, Steps: [{ StepType: "AddToList", Selection: 3 }] });
    await saveOption(emu, 503, {
      WorkflowStepId: 5301,
      Key: "wait",
      Name: "Odd wait",
      Rank: 2,
      Steps: [{ StepType: "WaitForTime", TimeWaitAlgorithm: "UntilSpecified", Until: "[DT:01/02/2027 10:00:00]", NumIntervals: 3 }],
    });
    await saveOption(emu, 503, { WorkflowStepId: 5301, Key: "neg", Name: "Negative", Rank: 3, Steps: [{ StepType: "CreateRequest", Title: "x", Priority: -1 }, { StepType: "SendEmail" }] });
    await saveOption(emu, 503, { WorkflowStepId: 5301, Key: "noname", Name: "", Rank: 4, Steps: [] });
    const before = snapshot(project);

    const err = await refusal(importInto(project, { workflow: 503, emailFlow: 53 }));
    expect(err.code).toBe("E_IMPORT_UNSUPPORTED");
    expect(err).toBeInstanceOf(WfsyncErrors);
    const listed = (err as WfsyncErrors).errors.map((e) => `${e.message}\n${e.detail}`);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toContain('option "wait"');
    expect(listed[0]).toContain("step 1 (WaitForTime): numIntervals is 3, which UntilSpecified does not use");
    expect(listed[1]).toContain("step 1 (CreateRequest): priority is -1");
    expect(listed[1]).toContain("step 2 (SendEmail): shipmentId is 0; the DSL requires it");
    expect(listed[2]).toContain("the Name is empty");
    expect(snapshot(project)).toEqual(before);

    const result = await importInto(project, { workflow: 503, emailFlow: 53, skipUnsupported: true });
    expect(result.recorded.map((r) => r.address)).toEqual(["503/5301/ok"]);
    expect(result.skipped.map((s) => s.option.key)).toEqual(["wait", "neg", "noname"]);
    const text = project.read(result.displayFile);
    expect(text).toContain('// wfsync import: option "wait" ("Odd wait", id ');
    expect(text).toContain("//   - step 1 (WaitForTime): numIntervals is 3, which UntilSpecified does not use");
    expect(text).toContain("--skip-unsupported`.");
    const plan = await planOf(project, emu);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.unmanaged).toHaveLength(3);
  });

  it("needs --split or --email-flow, and says why", async () => {
    const { project } = await setup();
    const err = await refusal(importInto(project, { workflow: 501 }));
    expect(err.code).toBe("E_IMPORT_NO_SOURCE");
    expect(err.message).toContain("10.2.4–10.2.9 a workflow id alone cannot list its Split steps");
  });

  it("refuses steps that are not splits of the workflow, and a state of another tenant, before writing", async () => {
    const { project } = await setup();
    expect((await refusal(importInto(project, { workflow: 501, split: [5102] }))).code).toBe("E_NOT_A_SPLIT");
    expect((await refusal(importInto(project, { workflow: 502, split: [5101] }))).code).toBe("E_WRONG_WORKFLOW");
    expect((await refusal(importInto(project, { workflow: 502, emailFlow: 51 }))).code).toBe("E_WRONG_WORKFLOW");
    expect((await refusal(importInto(project, { workflow: 501, split: [9999] }))).code).toBe("E_SPLIT_NOT_FOUND");

    project.write(".wfsync/state.json", JSON.stringify({ version: 1, tenant: "https://other.example.com/Cust1", entries: {} }));
    const before = snapshot(project);
    expect((await refusal(importInto(project, { workflow: 501, emailFlow: 51 }))).code).toBe("E_STATE_TENANT");
    expect(snapshot(project)).toEqual(before);
  });

  it("refuses an --out folder the config's globs do not read", async () => {
    const { emu, project } = await setup();
    project.write("sync.config.ts", configText(emu.url));
    const err = await refusal(importInto(project, { workflow: 504, split: [5401], out: "elsewhere" }));
    expect(err.code).toBe("E_IMPORT_OUTSIDE_WORKFLOWS");
    expect(fs.existsSync(project.path("elsewhere"))).toBe(false);
  });
});
