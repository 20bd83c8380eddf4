/**
 * The emulator's data: flows with their steps, split options, id counters. Options are indexed
 * by id and by split, and the steps and options nested inside an option by id, so no request
 * scans all options. Records are never mutated once stored (a save stores a new record), which
 * lets answers and snapshots share them safely.
 */
import type { BoundOption, BoundStep } from "./bind.js";
import {
  findNestedOption,
  findNestedStep,
  noIds,
  treeIds,
  withoutNestedOption,
  type FlowRecord,
  type OptionRecord,
  type StepRecord,
  type TreeIds,
} from "./records.js";

export type { FlowRecord, OptionRecord, StepRecord } from "./records.js";

/** Everything the emulator holds: the `--data` file's content and `GET /__emulator/data`. */
export interface StoreData {
  readonly version: 1;
  readonly nextOptionId: number;
  readonly nextStepId: number;
  readonly workflows: readonly FlowRecord[];
  readonly options: readonly OptionRecord[];
}

/** A refused operation, answered with SuperOffice's REST error object. */
export interface StoreError {
  readonly errorType: string;
  readonly message: string;
}

export type StoreResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StoreError };

/** Found by GetWorkflowStep: the step, and for a flow's Split its options (sorted). */
export interface FoundStep {
  readonly step: StepRecord;
  readonly options?: readonly OptionRecord[];
}

/** New step ids start above every seeded id and at least here, so they never collide. */
const FIRST_NEW_STEP_ID = 1000;

export class Store {
  private readonly flows = new Map<number, FlowRecord>();
  private readonly flowsByEmailFlow = new Map<number, FlowRecord>();
  private readonly flowSteps = new Map<number, { flow: FlowRecord; step: StepRecord }>();
  private readonly options = new Map<number, OptionRecord>();
  private readonly bySplit = new Map<number, Set<number>>();
  private readonly sortedBySplit = new Map<number, OptionRecord[]>();
  /** Steps and options nested inside a top-level option → that option's id. */
  private readonly nestedStepOwner = new Map<number, number>();
  private readonly nestedOptionOwner = new Map<number, number>();
  private nextOptionId = 1;
  private nextStepId = FIRST_NEW_STEP_ID;
  /** Called after every mutation (the data file's writer listens). */
  onChange: (() => void) | undefined;

  constructor(data: StoreData) {
    for (const flow of data.workflows) this.addFlow(flow);
    for (const option of data.options) this.index(option);
    this.nextOptionId = Math.max(data.nextOptionId, this.nextOptionId);
    this.nextStepId = Math.max(data.nextStepId, this.nextStepId);
  }

  /** Builds a store from seeded flows; options under their splits get ids here. */
  static fromSeed(flows: readonly SeedFlowInput[]): Store {
    const store = new Store({ version: 1, nextOptionId: 1, nextStepId: FIRST_NEW_STEP_ID, workflows: [], options: [] });
    const seeded: BoundOption[] = [];
    for (const flow of flows) {
      const steps = flow.steps.map((s, i) => {
        for (const o of s.options ?? []) seeded.push({ ...o, workflowStepId: s.id, workflowId: flow.workflowId });
        return store.stepRecord(s, i, flow.workflowId, noIds(), new Set(), true);
      });
      store.addFlow({ WorkflowId: flow.workflowId, EmailFlowId: flow.emailFlowId, Name: flow.name, Steps: steps });
    }
    // Options with an id in the seed first, so ids handed out by the counter cannot take theirs.
    // Their steps get ids from the counter, which by now starts above every flow step.
    seeded.sort((a, b) => Number(b.id > 0) - Number(a.id > 0));
    for (const o of seeded) {
      const saved = store.saveOption({ ...o, id: 0 }, o.id > 0 ? o.id : undefined);
      if (!saved.ok) throw new Error(saved.error.message);
    }
    return store;
  }

  get optionCount(): number {
    return this.options.size;
  }

  workflows(): readonly FlowRecord[] {
    return [...this.flows.values()];
  }

  toData(): StoreData {
    return {
      version: 1,
      nextOptionId: this.nextOptionId,
      nextStepId: this.nextStepId,
      workflows: this.workflows(),
      options: [...this.options.values()],
    };
  }

  /** A top-level option, or one nested inside another option's Split step. */
  getOption(id: number): OptionRecord | undefined {
    const top = this.options.get(id);
    if (top) return top;
    const owner = this.nestedOptionOwner.get(id);
    return owner === undefined ? undefined : findNestedOption(this.options.get(owner)!.Steps, id);
  }

  getFlowByEmailFlowId(emailFlowId: number): FlowRecord | undefined {
    return this.flowsByEmailFlow.get(emailFlowId);
  }

  getStep(id: number): FoundStep | undefined {
    const flowStep = this.flowSteps.get(id);
    if (flowStep) {
      const { step } = flowStep;
      return step.StepType === "Split" ? { step, options: this.optionsOfSplit(id) } : { step };
    }
    const owner = this.nestedStepOwner.get(id);
    if (owner === undefined) return undefined;
    const step = findNestedStep(this.options.get(owner)!.Steps, id);
    return step ? { step } : undefined;
  }

  /** The options of a flow's Split step, by Rank then id; cached until that split changes. */
  optionsOfSplit(splitId: number): readonly OptionRecord[] {
    let sorted = this.sortedBySplit.get(splitId);
    if (!sorted) {
      const ids = this.bySplit.get(splitId);
      sorted = ids ? [...ids].map((id) => this.options.get(id)!).sort(byRankThenId) : [];
      this.sortedBySplit.set(splitId, sorted);
    }
    return sorted;
  }

  /**
   * SaveWorkflowStepOption: id 0 creates, otherwise replaces. Steps (and nested options) sent
   * with an id they already had in this option keep it; all others get new ids. `seedId` lets a
   * seed give an option its id.
   */
  saveOption(bound: BoundOption, seedId?: number): StoreResult<OptionRecord> {
    const previous = bound.id > 0 ? this.options.get(bound.id) : undefined;
    if (bound.id > 0 && !previous) {
      const owner = this.nestedOptionOwner.get(bound.id);
      return owner === undefined
        ? fail("SoNotFoundException", `WorkflowStepOption ${bound.id} does not exist; send WorkflowStepOptionId 0 to create an option.`)
        : fail("ArgumentException", `WorkflowStepOption ${bound.id} is nested inside option ${owner}; save option ${owner} instead.`);
    }
    const target = this.resolveSplit(bound.workflowStepId, bound.workflowId);
    if (!target.ok) return target;
    const id = previous ? previous.WorkflowStepOptionId : seedId !== undefined && !this.isOptionIdUsed(seedId) ? seedId : this.nextOptionId++;
    const keep = previous ? treeIds(previous) : noIds();
    const record = this.optionRecord(bound, id, bound.workflowStepId, target.value, keep, new Set());
    if (previous) this.unindex(previous);
    this.index(record);
    this.onChange?.();
    return { ok: true, value: record };
  }

  /** DeleteWorkflowStepOption. A nested option is removed from the option that holds it. */
  deleteOption(id: number): StoreResult<boolean> {
    const top = this.options.get(id);
    if (top) {
      this.unindex(top);
      this.onChange?.();
      return { ok: true, value: true };
    }
    const owner = this.nestedOptionOwner.get(id);
    if (owner === undefined) return { ok: true, value: false };
    const parent = this.options.get(owner)!;
    const updated: OptionRecord = { ...parent, Steps: withoutNestedOption(parent.Steps, id) };
    this.unindex(parent);
    this.index(updated);
    this.onChange?.();
    return { ok: true, value: true };
  }

  private isOptionIdUsed(id: number): boolean {
    return this.options.has(id) || this.nestedOptionOwner.has(id);
  }

  /** An option must hang under an existing Split step of its workflow (WorkflowId 0: the step's). */
  private resolveSplit(stepId: number, workflowId: number): StoreResult<number> {
    if (workflowId !== 0 && !this.flows.has(workflowId)) return fail("SoNotFoundException", `Workflow ${workflowId} does not exist.`);
    const found = this.flowSteps.get(stepId);
    if (!found) {
      const nested = this.nestedStepOwner.has(stepId) ? ` (it is nested inside option ${this.nestedStepOwner.get(stepId)}; save that option)` : "";
      return fail("SoNotFoundException", `WorkflowStep ${stepId} does not exist as a step of a flow${nested}.`);
    }
    if (found.step.StepType !== "Split") {
      return fail("ArgumentException", `WorkflowStep ${stepId} is a ${found.step.StepType} step; options belong to Split steps.`);
    }
    if (workflowId !== 0 && found.flow.WorkflowId !== workflowId) {
      return fail("ArgumentException", `WorkflowStep ${stepId} belongs to workflow ${found.flow.WorkflowId}, not ${workflowId}.`);
    }
    return { ok: true, value: found.flow.WorkflowId };
  }

  private optionRecord(b: BoundOption, id: number, splitId: number, workflowId: number, keep: TreeIds, claimed: Set<number>): OptionRecord {
    const steps = b.steps.map((s, i) => this.stepRecord(s, i, workflowId, keep, claimed, false));
    return {
      WorkflowStepOptionId: id,
      WorkflowStepId: splitId,
      WorkflowId: workflowId,
      Key: b.key,
      Name: b.name,
      Rank: b.rank,
      Steps: steps.sort(byRank),
    };
  }

  /** `claimed` stops one request from giving the same kept id to two steps. */
  private stepRecord(s: BoundStep, index: number, workflowId: number, keep: TreeIds, claimed: Set<number>, seeded: boolean): StepRecord {
    const id = seeded ? s.id : this.keptOrNew(s.id, keep.steps, claimed, () => this.nextStepId++);
    const record: Record<string, unknown> = {
      WorkflowStepId: id,
      WorkflowId: workflowId,
      StepType: s.typeName,
      // The server ranks steps by array order when the client leaves Rank out.
      Rank: s.rank > 0 ? s.rank : index + 1,
      ...s.fields,
    };
    if (s.type === "Split" && !seeded) {
      record.Options = (s.options ?? [])
        .map((o) => {
          const optionId = this.keptOrNew(o.id, keep.options, claimed, () => this.nextOptionId++);
          return this.optionRecord(o, optionId, id, workflowId, keep, claimed);
        })
        .sort(byRankThenId);
    }
    return record as StepRecord;
  }

  private keptOrNew(sent: number, kept: Set<number>, claimed: Set<number>, next: () => number): number {
    if (sent > 0 && kept.has(sent) && !claimed.has(sent)) {
      claimed.add(sent);
      return sent;
    }
    return next();
  }

  private addFlow(flow: FlowRecord): void {
    this.flows.set(flow.WorkflowId, flow);
    this.flowsByEmailFlow.set(flow.EmailFlowId, flow);
    for (const step of flow.Steps) {
      this.flowSteps.set(step.WorkflowStepId, { flow, step });
      this.nextStepId = Math.max(this.nextStepId, step.WorkflowStepId + 1);
    }
  }

  private index(option: OptionRecord): void {
    const id = option.WorkflowStepOptionId;
    this.options.set(id, option);
    let ids = this.bySplit.get(option.WorkflowStepId);
    if (!ids) this.bySplit.set(option.WorkflowStepId, (ids = new Set()));
    ids.add(id);
    this.sortedBySplit.delete(option.WorkflowStepId);
    const tree = treeIds(option);
    for (const s of tree.steps) this.nestedStepOwner.set(s, id);
    for (const o of tree.options) this.nestedOptionOwner.set(o, id);
    // Only a loaded data file can hold ids the counters have not handed out yet.
    if (id >= this.nextOptionId) this.nextOptionId = id + 1;
    for (const o of tree.options) if (o >= this.nextOptionId) this.nextOptionId = o + 1;
    for (const s of tree.steps) if (s >= this.nextStepId) this.nextStepId = s + 1;
  }

  private unindex(option: OptionRecord): void {
    const id = option.WorkflowStepOptionId;
    this.options.delete(id);
    this.bySplit.get(option.WorkflowStepId)?.delete(id);
    this.sortedBySplit.delete(option.WorkflowStepId);
    const tree = treeIds(option);
    for (const s of tree.steps) this.nestedStepOwner.delete(s);
    for (const o of tree.options) this.nestedOptionOwner.delete(o);
  }
}

/** What a seed gives for one flow (see seed.ts). */
export interface SeedFlowInput {
  readonly workflowId: number;
  readonly emailFlowId: number;
  readonly name: string;
  readonly steps: readonly BoundStep[];
}

function fail(errorType: string, message: string): { ok: false; error: StoreError } {
  return { ok: false, error: { errorType, message } };
}

function byRank(a: StepRecord, b: StepRecord): number {
  return a.Rank - b.Rank;
}

function byRankThenId(a: OptionRecord, b: OptionRecord): number {
  return a.Rank - b.Rank || a.WorkflowStepOptionId - b.WorkflowStepOptionId;
}
