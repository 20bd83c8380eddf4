/** The state file's schema check accepts options with a kind, and says what is wrong with a bad one. */
import { describe, expect, it } from "vitest";
import { canonicalOption, hashOption } from "../../src/model/option.js";
import { Problems, checkStateFile } from "../../src/state/format.js";

const option = (when?: Record<string, unknown>) =>
  canonicalOption({ workflowId: 1, workflowStepId: 2, key: "k", name: "K", rank: 1, steps: [], ...(when ? { when: when as never } : {}) });
const file = (o: unknown) => ({
  version: 1,
  tenant: "https://x",
  entries: { "1/2/k": { id: 5, hash: "h", option: o, server: null, appliedAt: "2026-01-01T00:00:00Z" } },
});

describe("state entries with option kinds", () => {
  it("accepts an option without a kind, and with each kind", () => {
    for (const when of [undefined, { kind: "SelectionMembership", selectionId: 1 }, { kind: "FormData", formId: 3, restrictionGroups: [] }]) {
      const problems = new Problems();
      expect(checkStateFile(file(option(when)), problems)).toBe(true);
    }
    expect(hashOption(option())).toBe(hashOption(JSON.parse(JSON.stringify(option()))));
  });

  it("names what is wrong with a kind", () => {
    const problems = new Problems();
    const bad = { ...option(), when: { kind: "FormData", formId: "3" } };
    expect(checkStateFile(file(bad), problems)).toBe(false);
    expect(problems.list).toEqual([
      '$.entries["1/2/k"].option.when.formId: expected an integer, got "3"',
      '$.entries["1/2/k"].option.when.restrictionGroups: expected an array, got nothing',
    ]);
    const unknown = new Problems();
    checkStateFile(file({ ...option(), when: { kind: "None" } }), unknown);
    expect(unknown.list).toEqual(['$.entries["1/2/k"].option.when: expected an option kind (PersonData, FormSubmission, LinkClicked, ProjectMembership, SelectionMembership, FormData), got "None"']);
  });
});
