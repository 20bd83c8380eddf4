/**
 * The tenant as the engine sees it: "the options of these splits", "create / update / delete
 * this option", in the model's terms. An adapter per SuperOffice API generation turns that into
 * calls; this file holds the 10.2.4–10.2.9 one (`SaveWorkflowStepOption` per option). Every
 * request goes through the tenant's queue, so its limits hold for plan, apply, import and watch.
 */
import { ApiError } from "../client/errors.js";
import type { TenantTarget } from "../client/routing.js";
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { parseSplitRef, type LiveOption, type SplitRef } from "../model/live.js";
import { caseInsensitiveGet } from "../model/carrier.js";
import { optionToCarrier, type OptionModel } from "../model/option.js";
import { CancelledError, type Reconciled, type TenantQueue } from "./queue.js";
import { listEmailFlows, type FlowRow } from "./flows.js";
import { splitOptions } from "./split.js";

export interface SplitsRead {
  readonly live: Map<SplitRef, LiveOption[]>;
  /** Splits the server does not have. */
  readonly missing: SplitRef[];
}

/** What the server answered for a saved option. */
export interface SavedOption {
  readonly id: number;
  /** The carrier as the server answered it (the state keeps it). */
  readonly server: unknown;
}

export interface ReadOptions {
  /** The queue's priority of these reads (default 0; see RunOptions.priority). */
  readonly priority?: number;
}

export interface WriteOptions {
  /** The option's address; queue events name the operation by it (`create 679/844/vip`). */
  readonly address: string;
  /**
   * Runs right before each attempt is sent, when the queue admits it; throwing there sends
   * nothing (watch: a newer edit of the option is waiting).
   */
  readonly beforeSend?: () => void;
  /** Aborted: no further attempt of this operation is admitted (apply stops on a state fault). */
  readonly signal?: AbortSignal;
}

export interface CreateOptions extends WriteOptions {
  /** Server ids other addresses already own: a look-up after a lost answer never takes them. */
  readonly taken: ReadonlySet<number>;
}

/** The SuperOffice API generation a tenant speaks (see docs/api-generations.md). */
export type ApiGeneration = "10.2" | "12";

export const API_GENERATIONS: readonly ApiGeneration[] = ["10.2", "12"];

/** The generation in words, for plan headers and messages. */
export function describeGeneration(api: ApiGeneration): string {
  return api === "10.2" ? "SuperOffice 10.2.4–10.2.9 API (options saved one by one)" : "SuperOffice 10.2.10 → 12.x API (options saved inside the flow)";
}

export interface Tenant {
  /** The normalised installation base (on Online the tenant's identity, `https://online.superoffice.com/Cust12345`). */
  readonly url: string;
  /** What is known of the tenant for labels: on Online its id, and once asked its host and version. */
  target(): TenantTarget;
  /** The API generation it speaks (found out on first use unless it was forced). */
  generation(): Promise<ApiGeneration>;
  /** The tenant's request queue (stop, idle, in-flight counts). */
  readonly queue: TenantQueue;
  /** Reads each split once; requests grow with splits, not options. Fails once all reads settled. */
  readSplits(splits: Iterable<SplitRef>, options?: ReadOptions): Promise<SplitsRead>;
  /** Split step carriers as the server sends them (`null`: no such step), for import. */
  readSplitSteps(workflowStepIds: readonly number[]): Promise<Map<number, unknown>>;
  /** An e-mail flow with its steps (`null`: no such flow), for import. */
  readFlow(emailFlowId: number): Promise<unknown>;
  /** Every e-mail flow of the tenant (the EmailFlows archive), for `wfsync flows` and import --all. */
  listFlows(): Promise<FlowRow[]>;
  /** Creates an option exactly once: an attempt whose answer was lost is looked up, never re-sent blind. */
  createOption(option: OptionModel, options: CreateOptions): Promise<SavedOption>;
  /** Replaces option `id`; `previous` (the server's last answer) lends its step ids. */
  updateOption(option: OptionModel, id: number, previous: unknown, options: WriteOptions): Promise<SavedOption>;
  deleteOption(id: number, options: WriteOptions): Promise<void>;
  close(): void;
}

export interface AdapterOptions {
  readonly close?: () => void;
  /** Default: the URL alone. */
  readonly target?: () => TenantTarget;
  /** How long to let a create whose request got no answer land before looking for it (default 2 s). */
  readonly settleMs?: number;
}

/** The 10.2.4–10.2.9 adapter: options are saved and deleted one by one. */
export function perOptionTenant(url: string, api: WorkflowApi, queue: TenantQueue, adapter: AdapterOptions = {}): Tenant {
  const settleMs = adapter.settleMs ?? 2_000;
  const guarded =
    <T>(options: WriteOptions, send: () => Promise<T>) =>
    (): Promise<T> => {
      options.beforeSend?.();
      return send();
    };

  const readSplitSteps = (ids: readonly number[], priority?: number) => readSplitStepsById(api, queue, ids, priority);

  return {
    url,
    target: adapter.target ?? (() => ({ url })),
    queue,
    generation: async () => "10.2",
    readSplitSteps,
    async readSplits(splits, options) {
      const refs = [...new Set(splits)].sort();
      const steps = await readSplitSteps(
        refs.map((ref) => parseSplitRef(ref).workflowStepId),
        options?.priority,
      );
      const live = new Map<SplitRef, LiveOption[]>();
      const missing: SplitRef[] = [];
      for (const ref of refs) {
        const { workflowId, workflowStepId } = parseSplitRef(ref);
        const step = steps.get(workflowStepId);
        if (step === null || step === undefined) {
          missing.push(ref);
          live.set(ref, []);
        } else live.set(ref, splitOptions(step, workflowId, workflowStepId));
      }
      return { live, missing };
    },
    readFlow: (emailFlowId) => queue.run(() => api.getEmailFlow(emailFlowId), { label: `GetEmailFlow ${emailFlowId}` }),
    listFlows: () => listEmailFlows(api, queue),
    async createOption(option, options) {
      const saved = await queue.run(guarded(options, () => api.saveWorkflowStepOption(optionToCarrier(option, 0))), {
        label: `create ${options.address}`,
        ...(options.signal ? { signal: options.signal } : {}),
        // Never sent again while it may still land: only when the server answered (a 5xx) is
        // "not there" proof that it did not; after no answer, "not there yet" is all it says.
        reconcile: async (lastError) => {
          const found = await findCreated(api, option, options.taken);
          if (found.done || answered(lastError)) return found;
          throw new CreateUnknownError(options.address, lastError, settleMs);
        },
        settleMs: (lastError) => (answered(lastError) ? 0 : settleMs),
      });
      return { id: savedId(saved, options.address), server: saved };
    },
    async updateOption(option, id, previous, options) {
      const saved = await queue.run(guarded(options, () => api.saveWorkflowStepOption(optionToCarrier(option, id, previous))), {
        label: `update ${options.address}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { id: savedId(saved, options.address), server: saved };
    },
    async deleteOption(id, options) {
      await queue.run(guarded(options, () => api.deleteWorkflowStepOption(id)), {
        label: `delete ${options.address}`,
        ...(options.signal ? { signal: options.signal } : {}),
        reconcile: async (): Promise<Reconciled<void>> => ((await api.getWorkflowStepOption(id)) === null ? { done: true, value: undefined } : { done: false }),
      });
    },
    close: adapter.close ?? (() => undefined),
  };
}

/** The server answered the attempt (with a status), so it is not still working on it. */
function answered(err: ApiError): boolean {
  return err.status !== undefined;
}

/** A create sent, not answered, and not (yet) on the server: it must not be sent again. */
export class CreateUnknownError extends WfsyncError {
  constructor(address: string, cause: ApiError, settleMs: number) {
    super(
      "E_CREATE_UNKNOWN",
      `not known whether ${address} was created: ${cause.message} It was not on the server ${Math.round(settleMs / 100) / 10} s later either. ` +
        "It was not sent again; the next run finds it if it landed, or creates it",
      { cause, userError: false },
    );
    this.name = "CreateUnknownError";
  }
}

/**
 * Split steps by id through GetWorkflowStep (both generations have it), `null` for a step the
 * server does not have. Fails once every read settled, with the fault rather than a read it kept
 * from being sent: on the first failure (a 401, say) the caller closes the connection pool, and
 * reads still in flight would then fail with misleading "connection reset" retries.
 */
export async function readSplitStepsById(
  api: Pick<WorkflowApi, "getWorkflowStep">,
  queue: TenantQueue,
  ids: readonly number[],
  priority?: number,
): Promise<Map<number, unknown>> {
  const steps = new Map<number, unknown>();
  const outcomes = await Promise.allSettled(
    [...new Set(ids)].sort((a, b) => a - b).map(async (id) => {
      const step = await queue.run(() => api.getWorkflowStep(id), { label: `GetWorkflowStep ${id}`, ...(priority ? { priority } : {}) });
      steps.set(id, step ?? null);
    }),
  );
  throwFirstFault(outcomes);
  return steps;
}

/** Rethrows the first failure of settled reads: the fault itself over reads it kept from being sent. */
export function throwFirstFault(outcomes: readonly PromiseSettledResult<unknown>[]): void {
  const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  const failed = rejected.find((o) => !(o.reason instanceof CancelledError)) ?? rejected[0];
  if (failed) throw failed.reason;
}

/** Looks a create up on its split by Key: did an attempt whose answer was lost take effect? */
async function findCreated(api: WorkflowApi, option: OptionModel, taken: ReadonlySet<number>): Promise<Reconciled<unknown>> {
  const step = await api.getWorkflowStep(option.workflowStepId);
  if (step === null) return { done: false };
  const matches = splitOptions(step, option.workflowId, option.workflowStepId).filter((l) => l.option.key === option.key && !taken.has(l.id));
  if (matches.length === 1) return { done: true, value: matches[0]!.raw };
  if (matches.length > 1) {
    throw new WfsyncError("E_CONFLICT", `after a lost answer, ${matches.length} options with Key "${option.key}" exist on split ${option.workflowStepId}; resolve by hand`);
  }
  return { done: false };
}

function savedId(saved: unknown, address: string): number {
  const id = caseInsensitiveGet(saved, "workflowstepoptionid");
  if (typeof id !== "number" || !Number.isInteger(id) || id <= 0) {
    throw new ApiError({
      kind: "rejected",
      method: "SaveWorkflowStepOption",
      message: `the server saved ${address} but answered without a WorkflowStepOptionId`,
      outcomeUnknown: true,
    });
  }
  return id;
}
