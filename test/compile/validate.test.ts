/** Validation: what types cannot catch (or a cast bypassed), each reported with its location. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Binder } from "../../src/emulator/bind.js";
import { formatError } from "../../src/errors.js";
import { optionToCarrier } from "../../src/model/option.js";
import { MAX_SPLIT_DEPTH } from "../../src/model/rules.js";
import { compileHarness, type CompileHarness } from "../helpers/compile.js";
import { tenantResolver } from "../../src/compile/names.js";

let h: CompileHarness;
beforeAll(() => {
  h = compileHarness();
});
afterAll(() => h.cleanup());

/** One workflow file: line 4 is the first line of `body`, inside `wf.split(2, (split) => { ... })`. */
const flow = (body: string) => `import { workflow } from "wfsync";

export default workflow(1, (wf) => wf.split(2, (split) => {
${body}
}));
`;
const run = (body: string) => h.run({ "workflows/v.ts": flow(body) });

describe("options", () => {
  it("reports a duplicate key at the second declaration, naming the first", () => {
    const c = run(`split.option("vip", { name: "A" });\nsplit.option("vip", { name: "B" });`);
    expect(c.errors).toEqual(["workflows/v.ts:5:1 E_DUPLICATE_KEY"]);
    expect(c.error("E_DUPLICATE_KEY").message).toMatch(/duplicate option key "vip" in this split \(first at .*workflows\/v\.ts:4:1\)/);
    expect(c.where(c.error("E_DUPLICATE_KEY").related)).toBe("workflows/v.ts:4:1");
    expect(c.result.options.get("1/2/vip")?.option.name).toBe("A");
    // With a code frame, like a type error.
    expect(formatError(c.error("E_DUPLICATE_KEY"))).toContain('> 5 | split.option("vip", { name: "B" });');
  });

  it("reports a duplicate key in a nested split", () => {
    const c = run(`split.option("o", { name: "O" }, (path) => path.split((inner) => {\n  inner.option("x", { name: "X" });\n  inner.option("x", { name: "Y" });\n}));`);
    expect(c.errors).toEqual(["workflows/v.ts:6:3 E_DUPLICATE_KEY"]);
    expect(c.result.options.size).toBe(0);
  });

  it("allows the same key in different splits and at different depths", () => {
    const c = h.run({
      "workflows/v.ts": flow(`split.option("x", { name: "X" }, (path) => path.split((inner) => inner.option("x", { name: "X" })));`),
      "workflows/w.ts": flow("split.option(\"x\", { name: \"X\" });").replace("wf.split(2", "wf.split(3"),
    });
    expect(c.errors).toEqual([]);
    expect([...c.result.options.keys()].sort()).toEqual(["1/2/x", "1/3/x"]);
  });

  it.each([
    ["an empty key", `split.option("", { name: "A" });`, "E_EMPTY_KEY"],
    ["a blank key", `split.option("  ", { name: "A" });`, "E_EMPTY_KEY"],
    ["a key that is not a string", `split.option(7 as any, { name: "A" });`, "E_EMPTY_KEY"],
    ["an empty name", `split.option("k", { name: "" });`, "E_NAME"],
    ["a missing name", `split.option("k", {} as any);`, "E_NAME"],
    ["a name over 255 characters", `split.option("k", { name: "${"n".repeat(256)}" });`, "E_NAME_LENGTH"],
    ["a key over 255 characters", `split.option("${"k".repeat(256)}", { name: "K" });`, "E_KEY_LENGTH"],
    ["a rank of 0", `split.option("k", { name: "K", rank: 0 });`, "E_RANK"],
    ["a fractional rank", `split.option("k", { name: "K", rank: 1.5 });`, "E_RANK"],
  ])("reports %s", (_what, body, code) => {
    const c = run(body);
    expect(c.errors).toEqual([`workflows/v.ts:4:1 ${code}`]);
    expect(c.result.options.size).toBe(0);
  });

  it("accepts a name of exactly 255 characters", () => {
    expect(run(`split.option("k", { name: "${"n".repeat(255)}" });`).errors).toEqual([]);
  });

  it("accepts a key of exactly 255 characters, and names a longer one by its start", () => {
    expect(run(`split.option("${"k".repeat(255)}", { name: "K" });`).errors).toEqual([]);
    const c = run(`split.option("${"k".repeat(300)}", { name: "K" });`);
    expect(c.error("E_KEY_LENGTH").message).toBe(`option key "${"k".repeat(20)}…" is 300 characters, at most 255 are allowed`);
  });

  it("reports two options with the same rank, explicit or by position", () => {
    const c = run(`split.option("a", { name: "A", rank: 2 });\nsplit.option("b", { name: "B" });`);
    expect(c.errors).toEqual(["workflows/v.ts:5:1 E_DUPLICATE_RANK"]);
    expect(c.error("E_DUPLICATE_RANK").message).toContain('option "b" has rank 2, as has option "a"');
  });

  it("reports a nested split without options", () => {
    expect(run(`split.option("k", { name: "K" }, (path) => {\n  path.split(() => {});\n});`).errors).toEqual(["workflows/v.ts:5:3 E_EMPTY_SPLIT"]);
  });
});

describe("nesting", () => {
  /** Option "o" (line 4) with splits nested `levels` deep, the split of level n at line 4 + n, column 1 + 2n. */
  const nest = (levels: number) => {
    const lines = [`split.option("o", { name: "O" }, (p0) => {`];
    for (let n = 1; n <= levels; n++) lines.push(`${"  ".repeat(n)}p${n - 1}.split((s${n}) => s${n}.option("k", { name: "K" }, (p${n}) => {`);
    for (let n = levels; n >= 1; n--) lines.push(`${"  ".repeat(n)}}));`);
    return run([...lines, "});"].join("\n"));
  };

  it("reports a split nested deeper than the server takes (as deep as the emulator refuses) at that split", () => {
    const deepest = nest(MAX_SPLIT_DEPTH);
    expect(deepest.errors).toEqual([]);
    const binder = new Binder();
    binder.option(optionToCarrier(deepest.result.options.get("1/2/o")!.option, 0), "");
    expect(binder.problems).toEqual([]);

    const c = nest(MAX_SPLIT_DEPTH + 1);
    expect(c.errors).toEqual([`workflows/v.ts:${4 + MAX_SPLIT_DEPTH + 1}:${1 + 2 * (MAX_SPLIT_DEPTH + 1)} E_SPLIT_DEPTH`]);
    expect(c.error("E_SPLIT_DEPTH").message).toBe(`this split is nested ${MAX_SPLIT_DEPTH + 1} deep; the server takes splits nested at most ${MAX_SPLIT_DEPTH} deep`);
    expect(c.result.options.size).toBe(0);
    // The emulator refuses what validation refuses.
    const tooDeep = { Key: "o", Name: "O", Steps: [{ StepType: "Split", Options: [] as unknown[] }] };
    let inner = tooDeep.Steps[0]!.Options;
    for (let n = 1; n <= MAX_SPLIT_DEPTH; n++) {
      const o = { Key: "k", Name: "K", Steps: [{ StepType: "Split", Options: [] as unknown[] }] };
      inner.push(o);
      inner = o.Steps[0]!.Options;
    }
    binder.option(tooDeep, "");
    expect(binder.problems.map((p) => p.message)).toEqual([`splits are nested more than ${MAX_SPLIT_DEPTH} levels deep`]);
  });
});

describe("ids", () => {
  // `workflow(` starts at column 16 of line 3, the `wf.split(` inside it at column 36.
  it.each([
    ["workflow id 0", `workflow(0, (wf) => wf.split(2, (s) => s.option("k", { name: "K" })))`, "3:16 E_WORKFLOW_ID"],
    ["a negative workflow id", `workflow(-4, (wf) => wf.split(2, (s) => s.option("k", { name: "K" })))`, "3:16 E_WORKFLOW_ID"],
    ["a fractional split id", `workflow(1, (wf) => wf.split(2.5, (s) => s.option("k", { name: "K" })))`, "3:36 E_SPLIT_ID"],
    ["a boolean split id", `workflow(1, (wf) => wf.split(true as any, (s) => s.option("k", { name: "K" })))`, "3:36 E_SPLIT_ID"],
    ["an empty split name", `workflow(1, (wf) => wf.split(" ", (s) => s.option("k", { name: "K" })))`, "3:36 E_SPLIT_ID"],
  ])("reports %s", (_what, expr, error) => {
    const c = h.run({ "workflows/ids.ts": `import { workflow } from "wfsync";\n\nexport default ${expr};\n` });
    expect(c.errors).toEqual([`workflows/ids.ts:${error}`]);
    expect(c.result.options.size).toBe(0);
  });

  it("leaves a flow or split given by name to the tenant, and resolves it with a table, at its call when it cannot", () => {
    const named = `import { workflow } from "wfsync";\n\nexport default workflow("Onboarding", (wf) => wf.split("Lead score", (s) => s.option("k", { name: "K" })));\n`;
    const c = h.run({ "workflows/named.ts": named });
    expect(c.errors).toEqual([]);
    expect(c.result.options.size).toBe(0);
    expect(c.result.unresolved.map((u) => [u.flow, u.split])).toEqual([
      ["Onboarding", undefined],
      ["Onboarding", "Lead score"],
    ]);
    const resolved = h.compiler.resolveNames(tenantResolver([{ workflowId: 679, name: "Onboarding", splits: [{ workflowStepId: 844, name: "Lead score" }] }], "the tenant"));
    expect(resolved.errors).toEqual([]);
    expect([...resolved.options.keys()]).toEqual(["679/844/k"]);
    const twice = h.compiler.resolveNames(
      tenantResolver(
        [
          { workflowId: 679, name: "Onboarding", splits: [] },
          { workflowId: 680, name: "Onboarding", splits: [] },
        ],
        "the tenant",
      ),
    );
    expect(twice.errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.column} ${e.message}`)).toEqual([
      'E_FLOW_NAME 3:16 2 flows on the tenant are named "Onboarding" (workflows 679, 680); refer to one by its id',
    ]);
    expect(twice.options.size).toBe(0);
  });

  it("reports the same split declared in two files, at the second", () => {
    const one = flow(`split.option("a", { name: "A" });`);
    const c = h.run({ "workflows/a.ts": one, "workflows/b.ts": one.replace('"a"', '"b"') });
    expect(c.errors).toEqual(["workflows/b.ts:3:36 E_DUPLICATE_SPLIT"]);
    expect(c.error("E_DUPLICATE_SPLIT").message).toMatch(/split 2 of workflow 1 is already declared at .*workflows\/a\.ts:3:36/);
    expect(c.where(c.error("E_DUPLICATE_SPLIT").related)).toBe("workflows/a.ts:3:36");
    expect([...c.result.options.keys()]).toEqual(["1/2/a"]);
  });
});

describe("waitForTime", () => {
  const wait = (fields: string) => run(`split.option("k", { name: "K" }, (path) => {\n  path.waitForTime(${fields});\n});`);

  it.each([
    ["numIntervals + intervalType", `{ numIntervals: 2, intervalType: "Days" }`, "NumIntervals"],
    ["a fixed time", `{ until: "[DT:01/31/2027 23:59:00]" }`, "UntilSpecified"],
    ["a leap day", `{ until: "[DT:02/29/2028 00:00:59]" }`, "UntilSpecified"],
    ["a date field", `{ timeWaitAlgorithm: "UntilDateField" }`, "UntilDateField"],
  ])("accepts %s and sets the algorithm", (_what, fields, algorithm) => {
    const c = wait(fields);
    expect(c.errors).toEqual([]);
    expect(c.result.options.get("1/2/k")!.option.steps[0]).toMatchObject({ timeWaitAlgorithm: algorithm });
  });

  it.each([
    ["no fields", "{} as any", "say how long to wait"],
    ["numIntervals without intervalType", "{ numIntervals: 2 } as any", "intervalType is required"],
    ["intervalType None", `{ numIntervals: 2, intervalType: "None" } as any`, "intervalType is required"],
    ["numIntervals 0", `{ numIntervals: 0, intervalType: "Days" }`, "numIntervals must be a positive integer, got 0"],
    ["until with NumIntervals", `{ timeWaitAlgorithm: "NumIntervals", numIntervals: 1, intervalType: "Days", until: "[DT:01/31/2027 23:59:00]" } as any`, "until does not go with NumIntervals"],
    ["a malformed until", `{ until: "[DT:tomorrow]" }`, 'until must look like "[DT:MM/DD/YYYY HH:mm:ss]"'],
    ["a day that does not exist", `{ until: "[DT:02/29/2027 09:00:00]" }`, "until is not a real date and time"],
    ["day and month swapped", `{ until: "[DT:31/01/2027 09:00:00]" }`, "until is not a real date and time"],
    ["a time past midnight", `{ until: "[DT:01/31/2027 24:00:00]" }`, "until is not a real date and time"],
    ["until with numIntervals", `{ until: "[DT:01/31/2027 23:59:00]", numIntervals: 1 } as any`, "numIntervals and intervalType do not go with a fixed until time"],
    ["UntilDateField with an interval", `{ timeWaitAlgorithm: "UntilDateField", numIntervals: 3, intervalType: "Days" } as any`, "UntilDateField takes no"],
    ["UntilDateField with until", `{ timeWaitAlgorithm: "UntilDateField", until: "[DT:01/31/2027 23:59:00]" } as any`, "UntilDateField takes no"],
  ])("reports %s at the step", (_what, fields, message) => {
    const c = wait(fields);
    expect(c.errors).toEqual(["workflows/v.ts:5:3 E_WAIT_FOR_TIME"]);
    expect(c.error("E_WAIT_FOR_TIME").message).toContain(message);
  });
});

describe("casts caught at run time", () => {
  const steps = (body: string) => run(`split.option("k", { name: "K" }, (path) => {\n${body}\n});`);

  it.each([
    ["an unknown field", `path.addToList({ selection: 1, color: "red" } as any);`, 'addToList() has no field "color"'],
    ["a string for an id", `path.addToList({ selection: "12" } as any);`, 'field "selection": expected a whole number ≥ 0, got "12"'],
    ["a negative id", `path.removeFromList({ selection: 3, project: -1 });`, 'field "project": expected a whole number ≥ 0, got -1'],
    ["a wrong enum name", `path.createFollowUp({ title: "T", workflowActionTimeUnit: "Fortnights" } as any);`, 'expected one of "None", "Seconds"'],
    ["a non-boolean flag", `path.createFollowUp({ title: "T", completed: "yes" } as any);`, 'field "completed": expected true or false'],
    ["a bad attachment list", `path.sendEmail({ shipmentId: 1, attachments: [0] });`, 'field "attachments": expected a list of positive ids'],
    ["a number for a string", `path.createRequest({ title: 5 } as any);`, 'field "title": expected a string, got 5'],
    ["a missing shipment", `path.sendEmail({} as any);`, 'sendEmail() needs "shipmentId" (a positive id)'],
    ["shipment 0", `path.sendEmail({ shipmentId: 0 });`, 'sendEmail() needs "shipmentId"'],
    ["a missing selection", `path.addToList(undefined as any);`, 'addToList() needs "selection"'],
    ["a missing title", `path.createRequest({} as any);`, 'createRequest() needs "title"'],
    ["an empty follow-up title", `path.createFollowUp({ title: "" });`, 'createFollowUp() needs "title"'],
  ])("reports %s", (_what, body, message) => {
    const c = steps(body);
    expect(c.errors).toEqual(["workflows/v.ts:5:1 E_STEP_FIELD"]);
    expect(c.error("E_STEP_FIELD").message).toContain(message);
    expect(c.result.options.size).toBe(0);
  });

  it("reports every problem of a file at once", () => {
    const c = run([
      `split.option("", { name: "A" });`,
      `split.option("b", { name: "" }, (path) => path.sendEmail({} as any));`,
      `split.option("b", { name: "B", rank: 2 }, (path) => path.waitForTime({} as any));`,
    ].join("\n"));
    expect(c.errors).toEqual([
      "workflows/v.ts:4:1 E_EMPTY_KEY",
      "workflows/v.ts:5:1 E_NAME",
      "workflows/v.ts:5:43 E_STEP_FIELD",
      "workflows/v.ts:6:1 E_DUPLICATE_KEY",
      "workflows/v.ts:6:1 E_DUPLICATE_RANK",
      "workflows/v.ts:6:53 E_WAIT_FOR_TIME",
    ]);
  });
});
