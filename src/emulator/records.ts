/**
 * The records the emulator stores and answers (PascalCase, as on the wire), and walks over the
 * tree of steps and nested options inside one option.
 */

/** A step as stored and answered (PascalCase; every field of its type). */
export interface StepRecord {
  readonly WorkflowStepId: number;
  readonly WorkflowId: number;
  readonly StepType: string;
  readonly Rank: number;
  /** Only on Split steps nested inside an option; a flow's own splits get theirs from the index. */
  readonly Options?: readonly OptionRecord[];
  readonly [field: string]: unknown;
}

export interface OptionRecord {
  readonly WorkflowStepOptionId: number;
  readonly WorkflowStepId: number;
  readonly WorkflowId: number;
  readonly Key: string;
  readonly Name: string;
  readonly Rank: number;
  readonly Steps: readonly StepRecord[];
}

export interface FlowRecord {
  readonly WorkflowId: number;
  readonly EmailFlowId: number;
  readonly Name: string;
  readonly Steps: readonly StepRecord[];
}

export interface TreeIds {
  readonly steps: Set<number>;
  readonly options: Set<number>;
}

export function noIds(): TreeIds {
  return { steps: new Set(), options: new Set() };
}

/** Ids of every step and nested option inside an option, at any depth. */
export function treeIds(option: OptionRecord, into: TreeIds = { steps: new Set(), options: new Set() }): TreeIds {
  for (const step of option.Steps) {
    into.steps.add(step.WorkflowStepId);
    for (const nested of step.Options ?? []) {
      into.options.add(nested.WorkflowStepOptionId);
      treeIds(nested, into);
    }
  }
  return into;
}

export function findNestedStep(steps: readonly StepRecord[], id: number): StepRecord | undefined {
  for (const step of steps) {
    if (step.WorkflowStepId === id) return step;
    for (const o of step.Options ?? []) {
      const found = findNestedStep(o.Steps, id);
      if (found) return found;
    }
  }
  return undefined;
}

export function findNestedOption(steps: readonly StepRecord[], id: number): OptionRecord | undefined {
  for (const step of steps) {
    for (const o of step.Options ?? []) {
      if (o.WorkflowStepOptionId === id) return o;
      const found = findNestedOption(o.Steps, id);
      if (found) return found;
    }
  }
  return undefined;
}

export function withoutNestedOption(steps: readonly StepRecord[], id: number): StepRecord[] {
  return steps.map((step) =>
    step.Options
      ? {
          ...step,
          Options: step.Options.filter((o) => o.WorkflowStepOptionId !== id).map((o) => ({ ...o, Steps: withoutNestedOption(o.Steps, id) })),
        }
      : step,
  );
}
