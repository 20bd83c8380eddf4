/**
 * The emulator's data: flows with their steps, split options, id counters. Options are indexed
 * by id and by split, and the steps and options nested inside an option by id, so no request
 * scans all options. Records are never mutated once stored (a save stores a new record), which
 * lets answers and snapshots share them safely.
 *
 * Both generations keep their data here in the same shape: 10.2 changes one option at a time
 * (`saveOption`, `deleteOption`), 12 a whole flow (`saveFlow`, `deleteFlow`).
 */
import {
  RecordBuilder,
  byRank,
  byRankThenId,
  findNestedOption,
  findNestedStep,
  noIds,
  treeIds,
  withoutNestedOption,
  type FlowRecord,
  type OptionInput,
  type OptionRecord,
  type StepInput,
  type StepRecord,
  type TreeIds,
} from "./records.js";

export type { FlowRecord, OptionInput, OptionRecord, StepInput, StepRecord } from "./records.js";

/** Which server generation the data was made on (docs/api-generations.md). */
export type ApiGeneration = "10.2" | "12";

/** Everything the emulator holds: the `--data` file's content and `GET /__emulator/data`. */
export interface StoreData {
  readonly version: 1;
  /** Absent: 10.2 (files written before generation 12 existed have none). */
  readonly api?: "12";
  readonly nextOptionId: number;
  readonly nextStepId: number;
  /** Generation 12, where SaveEmailFlow creates flows. */
  readonly nextEmailFlowId?: number;
  readonly nextWorkflowId?: number;
  /** Flows; their own Split steps without `Options` (those are `options`). */
  readonly workflows: readonly FlowRecord[];
  /** The options of every flow's Split steps (top-level options), with their nested ones inside. */
  readonly options: readonly OptionRecord[];
}

/** What SaveEmailFlow stores (generation 12): the flow's own fields are the caller's business. */
export interface FlowInput {
  /** 0 creates a flow. */
  readonly emailFlowId: number;
  readonly name: string;
  readonly steps: readonly StepInput[];
  /** Every other field of the record, PascalCase. */
  readonly fields: Readonly<Record<string, unknown>>;
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
  private readonly records = new RecordBuilder(1, FIRST_NEW_STEP_ID);
  private nextEmailFlowId = 1;
  private nextWorkflowId = 1;
  readonly api: ApiGeneration;
  /** Called after every mutation (the data file's writer listens). */
  onChange: (() => void) | undefined;

  constructor(data: StoreData) {
    this.api = data.api ?? "10.2";
    for (const flow of data.workflows) this.addFlow(flow);
    for (const option of data.options) this.index(option);
    this.records.nextOptionId = Math.max(data.nextOptionId, this.records.nextOptionId);
    this.records.nextStepId = Math.max(data.nextStepId, this.records.nextStepId);
    this.nextEmailFlowId = Math.max(data.nextEmailFlowId ?? 1, this.nextEmailFlowId);
    this.nextWorkflowId = Math.max(data.nextWorkflowId ?? 1, this.nextWorkflowId);
  }

  /** Builds a store from seeded flows; options under their splits get ids here. */
  static fromSeed(flows: readonly SeedFlowInput[], api: ApiGeneration = "10.2"): Store {
    const store = new Store({ version: 1, ...(api === "12" ? { api } : {}), nextOptionId: 1, nextStepId: FIRST_NEW_STEP_ID, workflows: [], options: [] });
    const seeded: OptionInput[] = [];
    for (const flow of flows) {
      const steps = flow.steps.map((s, i) => {
        for (const o of s.options ?? []) seeded.push({ ...o, workflowStepId: s.id, workflowId: flow.workflowId });
        return store.records.step(s, i, s.id, flow.workflowId, noIds(), noIds(), false);
      });
      store.addFlow({ WorkflowId: flow.workflowId, EmailFlowId: flow.emailFlowId, Name: flow.name, ...flow.fields, Steps: steps });
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
      ...(this.api === "12" ? { api: this.api } : {}),
      nextOptionId: this.records.nextOptionId,
      nextStepId: this.records.nextStepId,
      ...(this.api === "12" ? { nextEmailFlowId: this.nextEmailFlowId, nextWorkflowId: this.nextWorkflowId } : {}),
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

  getFlowByWorkflowId(workflowId: number): FlowRecord | undefined {
    return this.flows.get(workflowId);
  }

  /** The flow that holds an option (at any depth). */
  flowOfOption(id: number): FlowRecord | undefined {
    const top = this.options.get(id) ?? this.options.get(this.nestedOptionOwner.get(id) ?? -1);
    return top ? this.flowSteps.get(top.WorkflowStepId)?.flow : undefined;
  }

  /** The flow that holds a step (at any depth). */
  flowOfStep(id: number): FlowRecord | undefined {
    const own = this.flowSteps.get(id);
    if (own) return own.flow;
    const owner = this.nestedStepOwner.get(id);
    return owner === undefined ? undefined : this.flowOfOption(owner);
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
  saveOption(bound: OptionInput, seedId?: number): StoreResult<OptionRecord> {
    const previous = bound.id > 0 ? this.options.get(bound.id) : undefined;
    if (bound.id > 0 && !previous) {
      const owner = this.nestedOptionOwner.get(bound.id);
      return owner === undefined
        ? fail("SoNotFoundException", `WorkflowStepOption ${bound.id} does not exist; send WorkflowStepOptionId 0 to create an option.`)
        : fail("ArgumentException", `WorkflowStepOption ${bound.id} is nested inside option ${owner}; save option ${owner} instead.`);
    }
    const target = this.resolveSplit(bound.workflowStepId, bound.workflowId);
    if (!target.ok) return target;
    const id = previous ? previous.WorkflowStepOptionId : seedId !== undefined && !this.isOptionIdUsed(seedId) ? seedId : this.records.nextOptionId++;
    const keep = previous ? treeIds(previous) : noIds();
    const record = this.records.option(bound, id, bound.workflowStepId, target.value, keep, noIds());
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

  /**
   * SaveEmailFlow (generation 12): replaces the flow, its steps and the options of its Split
   * steps as a whole. Steps and options (at any depth) sent with an id they already had in this
   * flow keep it; all others, and those with id 0 or none, get new ids. Options left out are
   * gone: the server replaces the flow ("it is not possible to save an individual step"), so a
   * missing option is deleted (inferred; no source says it outright).
   */
  saveFlow(input: FlowInput): StoreResult<FlowRecord> {
    const previous = input.emailFlowId > 0 ? this.flowsByEmailFlow.get(input.emailFlowId) : undefined;
    if (input.emailFlowId > 0 && !previous) {
      return fail("SoNotFoundException", `EmailFlow ${input.emailFlowId} does not exist; send EmailFlowId 0 to create a flow.`);
    }
    const workflowId = previous?.WorkflowId ?? this.nextWorkflowId++;
    const emailFlowId = previous?.EmailFlowId ?? this.nextEmailFlowId++;
    const keep = previous ? this.flowTreeIds(previous) : noIds();
    const claimed = noIds();
    const options: OptionRecord[] = [];
    const steps = input.steps.map((s, i) => {
      const id = this.records.stepId(s.id, keep, claimed);
      for (const o of s.typeName === "Split" ? (s.options ?? []) : []) {
        options.push(this.records.option(o, this.records.optionId(o.id, keep, claimed), id, workflowId, keep, claimed));
      }
      return this.records.step(s, i, id, workflowId, keep, claimed, false);
    });
    const record: FlowRecord = { WorkflowId: workflowId, EmailFlowId: emailFlowId, Name: input.name, ...input.fields, Steps: steps.sort(byRank) };
    if (previous) this.removeFlow(previous);
    this.addFlow(record);
    for (const o of options) this.index(o);
    this.onChange?.();
    return { ok: true, value: record };
  }

  /** DeleteEmailFlow: the flow, its steps and their options. False when there is no such flow. */
  deleteFlow(emailFlowId: number): boolean {
    const flow = this.flowsByEmailFlow.get(emailFlowId);
    if (!flow) return false;
    this.removeFlow(flow);
    this.onChange?.();
    return true;
  }

  /** Ids of a flow's own steps and of every option and step below them. */
  private flowTreeIds(flow: FlowRecord): TreeIds {
    const ids = noIds();
    for (const step of flow.Steps) {
      ids.steps.add(step.WorkflowStepId);
      for (const o of step.StepType === "Split" ? this.optionsOfSplit(step.WorkflowStepId) : []) {
        ids.options.add(o.WorkflowStepOptionId);
        treeIds(o, ids);
      }
    }
    return ids;
  }

  private removeFlow(flow: FlowRecord): void {
    for (const step of flow.Steps) {
      for (const o of step.StepType === "Split" ? [...this.optionsOfSplit(step.WorkflowStepId)] : []) this.unindex(o);
      this.flowSteps.delete(step.WorkflowStepId);
      this.bySplit.delete(step.WorkflowStepId);
      this.sortedBySplit.delete(step.WorkflowStepId);
    }
    this.flows.delete(flow.WorkflowId);
    this.flowsByEmailFlow.delete(flow.EmailFlowId);
  }

  private addFlow(flow: FlowRecord): void {
    this.flows.set(flow.WorkflowId, flow);
    this.flowsByEmailFlow.set(flow.EmailFlowId, flow);
    this.nextWorkflowId = Math.max(this.nextWorkflowId, flow.WorkflowId + 1);
    this.nextEmailFlowId = Math.max(this.nextEmailFlowId, flow.EmailFlowId + 1);
    for (const step of flow.Steps) {
      this.flowSteps.set(step.WorkflowStepId, { flow, step });
      this.records.nextStepId = Math.max(this.records.nextStepId, step.WorkflowStepId + 1);
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
    if (id >= this.records.nextOptionId) this.records.nextOptionId = id + 1;
    for (const o of tree.options) if (o >= this.records.nextOptionId) this.records.nextOptionId = o + 1;
    for (const s of tree.steps) if (s >= this.records.nextStepId) this.records.nextStepId = s + 1;
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
  readonly steps: readonly StepInput[];
  /** Generation 12: the flow's other fields. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

function fail(errorType: string, message: string): { ok: false; error: StoreError } {
  return { ok: false, error: { errorType, message } };
}
