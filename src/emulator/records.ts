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

/**
 * Makes records from what a binder gave, handing out ids: steps and options (at any depth) sent
 * with an id in `keep` keep it, all others get the next one. `claimed` stops one request from
 * giving the same kept id to two steps or two options.
 */
export class RecordBuilder {
  constructor(
    public nextOptionId: number,
    public nextStepId: number,
  ) {}

  stepId(sent: number, keep: TreeIds, claimed: TreeIds): number {
    return keptOrNew(sent, keep.steps, claimed.steps, () => this.nextStepId++);
  }

  optionId(sent: number, keep: TreeIds, claimed: TreeIds): number {
    return keptOrNew(sent, keep.options, claimed.options, () => this.nextOptionId++);
  }

  option(b: OptionInput, id: number, splitId: number, workflowId: number, keep: TreeIds, claimed: TreeIds): OptionRecord {
    const steps = b.steps.map((s, i) => this.step(s, i, this.stepId(s.id, keep, claimed), workflowId, keep, claimed, true));
    return {
      WorkflowStepOptionId: id,
      WorkflowStepId: splitId,
      WorkflowId: workflowId,
      Key: b.key,
      Name: b.name,
      Rank: b.rank,
      Steps: steps.sort(byRank),
      ...b.fields,
    };
  }

  /** `withOptions`: a Split inside an option holds its options; a flow's own Split does not (the store indexes those apart). */
  step(s: StepInput, index: number, id: number, workflowId: number, keep: TreeIds, claimed: TreeIds, withOptions: boolean): StepRecord {
    const record: Record<string, unknown> = {
      WorkflowStepId: id,
      WorkflowId: workflowId,
      StepType: s.typeName,
      // The server ranks steps by array order when the client leaves Rank out.
      Rank: s.rank > 0 ? s.rank : index + 1,
      ...s.fields,
    };
    if (s.typeName === "Split" && withOptions) {
      record.Options = (s.options ?? []).map((o) => this.option(o, this.optionId(o.id, keep, claimed), id, workflowId, keep, claimed)).sort(byRankThenId);
    }
    return record as StepRecord;
  }
}

function keptOrNew(sent: number, kept: Set<number>, claimed: Set<number>, next: () => number): number {
  if (sent > 0 && kept.has(sent) && !claimed.has(sent)) {
    claimed.add(sent);
    return sent;
  }
  return next();
}

export function byRank(a: StepRecord, b: StepRecord): number {
  return a.Rank - b.Rank;
}

export function byRankThenId(a: OptionRecord, b: OptionRecord): number {
  return a.Rank - b.Rank || a.WorkflowStepOptionId - b.WorkflowStepOptionId;
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
