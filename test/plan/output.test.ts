/** The compact plan and the Markdown plan, on plans made by the pure diff from inline values. */
import { describe, expect, it } from "vitest";
import type { DesiredOption } from "../../src/compile/validate.js";
import { canonicalOption, hashOption, optionAddress, type OptionModel } from "../../src/model/option.js";
import { liveOption, type LiveOption } from "../../src/model/live.js";
import { diffModels, type Plan } from "../../src/plan/diff.js";
import type { StateEntry } from "../../src/state/format.js";
import { COMPACT_THRESHOLD, chooseLayout, renderCompactPlan } from "../../src/plan/compact.js";
import { MARKDOWN_ROWS, planMarkdown } from "../../src/plan/markdown.js";

const option = (key: string, name = key.toUpperCase(), split = 844, rank = 1): OptionModel =>
  canonicalOption({ workflowId: 679, workflowStepId: split, key, name, rank, steps: [{ stepType: "SendEmail", shipmentId: 3, subject: "Hi" }] });

const desired = (...options: OptionModel[]): Map<string, DesiredOption> =>
  new Map(options.map((o, i) => [optionAddress(o), { address: optionAddress(o), option: o, hash: hashOption(o), source: { file: "workflows/a.ts", line: 3 + i, column: 5 }, file: "/p/workflows/a.ts" }]));

const applied = (entries: [OptionModel, number][]): Map<string, StateEntry> =>
  new Map(entries.map(([o, id]) => [optionAddress(o), { id, hash: hashOption(o), option: o, server: {}, source: { file: "workflows/old.ts", line: 9, column: 5 }, appliedAt: "2026-01-01T00:00:00.000Z" }]));

function live(...entries: [OptionModel, number][]): Map<string, LiveOption[]> {
  const map = new Map<string, LiveOption[]>([["679/844", []], ["679/845", []]]);
  for (const [o, id] of entries) map.get(`${o.workflowId}/${o.workflowStepId}`)!.push(liveOption(id, o, { WorkflowStepOptionId: id }));
  return map;
}

/** Split 844: vip created, rest updated, old deleted, same unchanged; split 845: one created. */
function mixedPlan(): Plan {
  const same = option("same");
  const rest = option("rest", "Everyone");
  const old = option("old", "Old");
  return diffModels({
    massDeleteShare: 1,
    desired: desired(option("vip", "VIP | gold"), option("rest", "Everyone else"), same, option("new", "New", 845)),
    applied: applied([[rest, 2], [old, 3], [same, 4]]),
    live: live([rest, 2], [old, 3], [same, 4]),
  });
}

describe("the compact plan", () => {
  it("one line an option under a header per split with its counts; unchanged options only counted", () => {
    const text = renderCompactPlan(mixedPlan(), { color: false });
    expect(text).toBe(
      [
        "split 679/844  +1 ~1 -1 (1 unchanged)",
        // In the plan's order: by rank, then key.
        '  - 679/844/old [id 3]  "Old"  (was workflows/old.ts:9:5)',
        '  ~ 679/844/rest [id 2]  "Everyone else"  (workflows/a.ts:4:5)',
        '  + 679/844/vip  "VIP | gold"  (workflows/a.ts:3:5)',
        "",
        "split 679/845  +1",
        '  + 679/845/new  "New"  (workflows/a.ts:6:5)',
        "",
        "Plan: 2 to create, 1 to update, 1 to delete, 1 unchanged.",
        "",
      ].join("\n"),
    );
    expect(renderCompactPlan(mixedPlan(), { color: false, verbose: true })).toContain('  = 679/844/same [id 4]  "SAME"  (workflows/a.ts:5:5)');
  });

  it(`is chosen above ${COMPACT_THRESHOLD} changes; --compact forces it, --diff and -v give full detail`, () => {
    const plan = (n: number) => diffModels({ massDeleteShare: 1, desired: desired(...Array.from({ length: n }, (_, i) => option(`o${i}`, `O${i}`, 844, i + 1))), applied: new Map(), live: live() });
    expect(chooseLayout(plan(COMPACT_THRESHOLD), {})).toBe("full");
    expect(chooseLayout(plan(COMPACT_THRESHOLD + 1), {})).toBe("compact");
    expect(chooseLayout(plan(COMPACT_THRESHOLD + 1), { diff: true })).toBe("full");
    expect(chooseLayout(plan(COMPACT_THRESHOLD + 1), { verbose: true })).toBe("full");
    expect(chooseLayout(plan(1), { compact: true })).toBe("compact");
    expect(chooseLayout(plan(1), { compact: true, diff: true })).toBe("compact");
  });
});

describe("the Markdown plan", () => {
  it("a heading with the tenant, the summary line, a row per change with Markdown escaped", () => {
    const md = planMarkdown(mixedPlan(), { tenant: "Cust12345 (online2.superoffice.com)", api: "SuperOffice 12 API" });
    expect(md).toContain("### wfsync plan: Cust12345 \\(online2\\.superoffice\\.com\\)\n");
    expect(md).toContain("**Plan: 2 to create, 1 to update, 1 to delete, 1 unchanged.**");
    expect(md).toContain("| ➕ create | 679/844 | `vip` | VIP \\| gold | `workflows/a.ts:3:5` |");
    expect(md).toContain("| 🗑️ delete | 679/844 | `old` | Old | `workflows/old.ts:9:5` |");
    expect(md).not.toContain("`same`");
  });

  it(`stops the table at ${MARKDOWN_ROWS} rows and says how many more`, () => {
    const many = diffModels({ massDeleteShare: 1, desired: desired(...Array.from({ length: MARKDOWN_ROWS + 5 }, (_, i) => option(`o${i}`, `O${i}`, 844, i + 1))), applied: new Map(), live: live() });
    const md = planMarkdown(many, { tenant: "t" });
    expect(md.split("\n").filter((l) => l.startsWith("| ➕"))).toHaveLength(MARKDOWN_ROWS);
    expect(md).toContain("… and 5 more");
    expect(md).toContain(`**Plan: ${MARKDOWN_ROWS + 5} to create`);
  });
});
