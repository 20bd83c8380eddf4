/**
 * The pure part of import on inline carriers: keys, what the DSL cannot express, the generated
 * text; and the whole import against a fake server for carriers the emulator would not store
 * (unknown fields and step types).
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTenantQueue } from "../../src/tenant/queue.js";
import { perOptionTenant } from "../../src/tenant/tenant.js";
import type { WorkflowApi } from "../../src/client/workflow.js";
import { WorkflowCompiler } from "../../src/compile/compiler.js";
import { compileOrThrow, openProject } from "../../src/workspace/project.js";
import { loadConfig } from "../../src/config/load.js";
import { WfsyncErrors } from "../../src/errors.js";
import { assignKeys, convertWorkflow, slugify, type SupportedOption, type UnsupportedOption } from "../../src/import/convert.js";
import { generateWorkflowFile, literal } from "../../src/import/generate.js";
import { importWorkflow } from "../../src/import/run.js";
import { declaredIds } from "../../src/import/target.js";
import { MAX_SPLIT_DEPTH } from "../../src/model/rules.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";
import { configText } from "./fixtures.js";

const option = (extra: Record<string, unknown>) => ({ WorkflowStepOptionId: 1, WorkflowStepId: 10, WorkflowId: 1, Key: "k", Name: "N", Rank: 1, Steps: [], ...extra });

function convertOne(...carriers: Record<string, unknown>[]) {
  return convertWorkflow({ workflowId: 1, splits: [{ workflowStepId: 10, options: carriers }] }).splits[0]!.options;
}

describe("keys", () => {
  it("slugs names readably", () => {
    expect(slugify("Welcome e-mail")).toBe("welcome-e-mail");
    expect(slugify("  Ünïcode — ✓ Crème brûlée!  ")).toBe("unicode-creme-brulee");
    expect(slugify("✓✓✓")).toBe("");
    expect(slugify("x".repeat(80))).toHaveLength(48);
  });

  it("keeps the first of a repeated key, and makes generated keys unique among all keys of the split", () => {
    expect(
      assignKeys([
        { key: "", name: "Hot" },
        { key: "hot", name: "Hot" },
        { key: "hot", name: "Hot" },
        { key: " ", name: "✓" },
        { key: "", name: "✓" },
      ]),
    ).toEqual([
      { key: "hot-2", reason: "empty" },
      { key: "hot" },
      { key: "hot-3", reason: "duplicate" },
      { key: "option", reason: "empty" },
      { key: "option-2", reason: "empty" },
    ]);
  });

  it("orders options by rank then id and generates keys in that order", () => {
    const options = convertOne(option({ WorkflowStepOptionId: 7, Key: "a", Rank: 2 }), option({ WorkflowStepOptionId: 3, Key: "a", Name: "First", Rank: 1 }));
    expect(options.map((o) => [o.id, (o as SupportedOption).declared.key])).toEqual([
      [3, "a"],
      [7, "n"],
    ]);
  });
});

describe("what the DSL cannot express", () => {
  it("lists unknown fields, option properties, step types, bad ranks and values, each with where it is", () => {
    const [a, b, c, d] = convertOne(
      option({ WorkflowStepOptionId: 1, Key: "a", Rank: 1, OptionType: "Split", Steps: [{ StepType: "SendSMS", Text: "hi" }] }),
      option({ WorkflowStepOptionId: 2, Key: "b", Rank: 2, Steps: [{ StepType: "Teleport" }] }),
      option({
        WorkflowStepOptionId: 3,
        Key: "c",
        Rank: 3,
        Steps: [
          { StepType: "WaitForTime", TimeWaitAlgorithm: "None" },
          { StepType: "Split", Options: [{ Key: "x", Name: "X", Rank: 0, Steps: [{ StepType: "AddToList", Selection: 1, Project: "4" }] }] },
          { StepType: "Split", Options: [] },
        ],
      }),
      option({ WorkflowStepOptionId: 4, Key: "d", Rank: 3, Name: "y".repeat(256) }),
    ) as UnsupportedOption[];
    expect(a!.problems).toEqual(["Steps[0].text: a field the DSL cannot express", "OptionType: an option property the DSL cannot express"]);
    expect(b!.supported).toBe(false);
    expect(b!.problems).toEqual(['Steps[0]: unknown StepType "Teleport": a step type the DSL does not know']);
    expect(c!.problems).toEqual([
      "Rank 3 is shared by 2 options of the split; the DSL needs distinct ranks",
      'step 1 (WaitForTime): timeWaitAlgorithm is "None"; the DSL needs NumIntervals, UntilSpecified or UntilDateField',
      'step 2 (Split) › option "X": Rank is 0; the DSL needs a positive rank',
      'step 2 (Split) › option 1 "X" › step 1 (AddToList): project is "4"; the DSL takes a whole number ≥ 0',
      "step 3 (Split): a nested split without options; the DSL needs at least one",
    ]);
    expect(d!.problems).toEqual(["Rank 3 is shared by 2 options of the split; the DSL needs distinct ranks", "the Name is 256 characters; at most 255 can be declared"]);
  });

  it("refuses a Key longer than code may declare (255, as validate), and checks the keys of nested options too", () => {
    const long = "k".repeat(256);
    const [a] = convertOne(
      option({ Key: long, Steps: [{ StepType: "Split", Options: [{ Key: long, Name: "X", Rank: 1, Steps: [] }] }] }),
    ) as UnsupportedOption[];
    expect(a!.supported).toBe(false);
    expect(a!.problems).toEqual([
      "the Key is 256 characters; at most 255 can be declared",
      'step 1 (Split) › option 1 "X": the Key is 256 characters; at most 255 can be declared',
    ]);
  });

  it("refuses splits nested deeper than code may declare, naming the first one too deep", () => {
    const nested = (levels: number): Record<string, unknown>[] =>
      levels === 0 ? [] : [{ StepType: "Split", Options: [{ Key: "k", Name: "K", Rank: 1, Steps: nested(levels - 1) }] }];
    const [ok, deep] = convertOne(option({ Key: "ok", Rank: 1, Steps: nested(MAX_SPLIT_DEPTH) }), option({ Key: "deep", Rank: 2, Steps: nested(MAX_SPLIT_DEPTH + 1) }));
    expect(ok!.supported).toBe(true);
    const problems = (deep as UnsupportedOption).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`step 1 \\(Split\\): a split nested ${MAX_SPLIT_DEPTH + 1} deep; the DSL takes splits nested at most ${MAX_SPLIT_DEPTH} deep$`));
  });

  it("checks waitForTime by the rules validation uses: a leftover value first, a date that does not exist", () => {
    const [a] = convertOne(
      option({ Steps: [{ StepType: "WaitForTime", TimeWaitAlgorithm: "UntilSpecified", Until: "[DT:02/30/2027 09:00:00]", NumIntervals: 3 }] }),
    ) as UnsupportedOption[];
    expect(a!.problems).toEqual([
      "step 1 (WaitForTime): numIntervals is 3, which UntilSpecified does not use; the DSL cannot declare it (clear it in the flow editor)",
      'step 1 (WaitForTime): until is "[DT:02/30/2027 09:00:00]"; the DSL needs a real date and time ("[DT:MM/DD/YYYY HH:mm:ss]")',
    ]);
  });
});

describe("generated text", () => {
  it("escapes strings (quotes, backslashes, line terminators) and keeps comments on one line", () => {
    expect(literal('a "b" \\ \n \u2028 \u2029 ${x} `')).toBe('"a \\"b\\" \\\\ \\n \\u2028 \\u2029 ${x} `"');
    const workflow = convertWorkflow({
      workflowId: 1,
      flowName: "Flow\nwith a line break",
      splits: [{ workflowStepId: 10, options: [option({ Key: "", Name: "Line\u2028two", Steps: [{ StepType: "SendEmail", ShipmentId: 1, Subject: "*/ // " }] })] }],
    });
    const text = generateWorkflowFile(workflow, { command: "wfsync import --workflow 1 --split 10" });
    expect(text).toBe(`// Flow "Flow\\nwith a line break" (workflow 1).
// Imported with \`wfsync import --workflow 1 --split 10\`.
// From now on this file is what \`wfsync plan\` and \`wfsync apply\` compare the tenant with.
import { workflow } from "wfsync";

export default workflow(1, (wf) => {
  wf.split(10, (split) => {
    // wfsync: generated key; the server's Key is "" (empty).
    // The next \`wfsync apply\` saves this key on the server (plan shows it as an update).
    split.option("line-two", { name: "Line\\u2028two" }, (path) => {
      path.sendEmail({ shipmentId: 1, subject: "*/ // " });
    });
  });
});
`);
    expect(generateWorkflowFile(workflow, { command: "wfsync import --workflow 1 --split 10" })).toBe(text);
  });

  it("reads workflow and split ids of an existing file from its syntax", () => {
    expect(declaredIds('workflow(5, (wf) => { wf.split(7, (s) => { s.option("a", { name: "A" }, (p) => p.split((i) => {})); }); });', "x.ts")).toEqual({
      workflows: [5],
      splits: [7],
      unknownWorkflow: false,
    });
    expect(declaredIds("const ID = 5; workflow(ID, () => {});", "x.ts").unknownWorkflow).toBe(true);
  });
});

describe("import against a server answering what the emulator would not store", () => {
  let project: TmpProject | undefined;
  afterEach(() => project?.cleanup());

  const carriers = [
    option({ WorkflowStepOptionId: 11, WorkflowStepId: 6001, WorkflowId: 601, Key: "fine", Name: "Fine", Rank: 1, Steps: [{ StepType: "RunScript" }] }),
    option({ WorkflowStepOptionId: 12, WorkflowStepId: 6001, WorkflowId: 601, Key: "future", Name: "Future", Rank: 2, Steps: [{ StepType: "SendEmail", ShipmentId: 2, TemplateId: 9 }] }),
    option({ WorkflowStepOptionId: 13, WorkflowStepId: 6001, WorkflowId: 601, Key: "alien", Name: "Alien", Rank: 3, Steps: [{ StepType: "PostCard" }] }),
  ];
  const api = {
    getWorkflowStep: async (id: number) => (id === 6001 ? { WorkflowStepId: 6001, WorkflowId: 601, StepType: "Split", Rank: 1, Options: carriers } : null),
  } as unknown as WorkflowApi;

  function run(skipUnsupported: boolean) {
    project ??= makeProject({ "sync.config.ts": configText("http://127.0.0.1:9") }, "wfsync-import-");
    const compiler = new WorkflowCompiler({ root: project.dir });
    const config = loadConfig(compiler, project.path("sync.config.ts"), {}, {});
    return importWorkflow(
      { workflowId: 601, splitIds: [6001], force: false, skipUnsupported },
      { cwd: project.dir, config, compiler, tenant: perOptionTenant("http://127.0.0.1:9", api, createTenantQueue({ concurrency: 1 })) },
    );
  }

  it("fails loudly listing every such option, writing nothing; --skip-unsupported writes the rest with a comment", async () => {
    const err = await run(false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WfsyncErrors);
    expect((err as WfsyncErrors).errors.map((e) => `${e.message} ${e.detail}`)).toEqual([
      'option "future" ("Future", id 12) of split 6001 cannot be written as code:   - Steps[0].templateid: a field the DSL cannot express',
      'option "alien" ("Alien", id 13) of split 6001 cannot be written as code:   - Steps[0]: unknown StepType "PostCard": a step type the DSL does not know',
    ]);
    expect(fs.readdirSync(project!.dir)).toEqual(["sync.config.ts"]);

    const result = await run(true);
    expect(result.recorded.map((r) => r.address)).toEqual(["601/6001/fine"]);
    const text = fs.readFileSync(result.file, "utf8");
    expect(text).toContain(`    // wfsync import: option "alien" ("Alien", id 13, rank 3) skipped; the DSL cannot express:
    //   - Steps[0]: unknown StepType "PostCard": a step type the DSL does not know
    // It stays on the server as it is, and wfsync leaves it alone.
`);
    expect(text).toContain('split.option("fine", { name: "Fine" }, (path) => {');
    expect(compileOrThrow(openProject({ cwd: project!.dir, env: {} })).stats.options).toBe(1);
    expect(path.basename(result.file)).toBe("workflow-601.ts");
  });
});
