/**
 * The records the emulator stores and answers (PascalCase, as on the wire), what the store takes
 * to make them (from either generation's binder), and walks over the tree of steps and nested
 * options inside one option.
 */

/** A step as the store takes it; `options` only on Split steps. */
export interface StepInput {
  readonly id: number;
  /** The StepType name to store. */
  readonly typeName: string;
  /** Absent or 0 when the client left ranking to the server. */
  readonly rank: number;
  /** Every other field of the step, PascalCase, in the order they are answered. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly options?: readonly OptionInput[];
}

export interface OptionInput {
  readonly id: number;
  readonly workflowStepId: number;
  readonly workflowId: number;
  /** "" on generation 12, whose options have no Key. */
  readonly key: string;
  readonly name: string;
  readonly rank: number;
  readonly steps: readonly StepInput[];
  /** Generation 12: OptionType, the kind's fields and fields the emulator keeps as sent. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

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
  /** Generation 12 stores no Key: there it is always "" (and never answered). */
  readonly Key: string;
  readonly Name: string;
  readonly Rank: number;
  readonly Steps: readonly StepRecord[];
  /** Generation 12 only: the option's kind, and the kind's target below. */
  readonly OptionType?: string;
  readonly SelectionId?: number;
  readonly ProjectId?: number;
  readonly FormId?: number;
  readonly LinkId?: number;
  readonly RestrictionGroups?: readonly unknown[];
  /** Generation 12: fields the emulator does not know, kept as sent. */
  readonly [field: string]: unknown;
}

/**
 * A flow. Its own Split steps carry no `Options` here (the store indexes those options apart).
 * On generation 12 it also holds every other EmailFlow field (Description, Status, Triggers, …,
 * UpdatedDate) and fields the emulator does not know, kept as sent.
 */
export interface FlowRecord {
  readonly WorkflowId: number;
  readonly EmailFlowId: number;
  readonly Name: string;
  readonly Steps: readonly StepRecord[];
  readonly [field: string]: unknown;
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
