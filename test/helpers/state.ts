/**
 * A state entry for state tests: option `key` of split 679/844, with its server answer and a
 * source, as an apply records it. Both stores (file and PostgreSQL) are tested with these.
 */
import type { StateEntry } from "../../src/state/index.js";

export function stateEntry(key: string, id = 1, extra: Partial<StateEntry> = {}): StateEntry {
  return {
    id,
    hash: `hash-${key}-${id}`,
    option: { key, name: `Option ${key}`, rank: 1, steps: [{ stepType: "AddToList", project: 0, selection: 12 }], workflowId: 679, workflowStepId: 844 },
    server: { WorkflowStepOptionId: id, Key: key, Steps: [{ WorkflowStepId: 9000 + id, StepType: "AddToList", Rank: 1 }] },
    source: { file: "workflows/onboarding.ts", line: 12, column: 5 },
    appliedAt: "2025-01-01T00:00:00.000Z",
    ...extra,
  };
}

/** The address of option `key` of split 679/844. */
export const stateAddress = (key: string): string => `679/844/${key}`;
