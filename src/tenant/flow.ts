/**
 * The current-generation adapter (SuperOffice 10.2.10 → 12.x, every Online tenant): options are
 * saved inside the whole flow. Reading a split reads its flow (`GetEmailFlow`); writing is
 * read-modify-write of the flow (`SaveEmailFlow`), where everything wfsync does not manage goes
 * back exactly as read.
 *
 * - Several changes of one flow become one save: writes are collected per flow and flushed
 *   together; two saves of one flow never overlap. Different flows save concurrently through
 *   the tenant queue.
 * - The flow is read right before it is changed, and read again just before the save: if it
 *   changed in between (`UpdatedDate`), the changes are made again on the fresh copy, never
 *   saved over someone else's edit.
 * - The server stores no Key: new options are told apart by the ids the save assigned, and a
 *   save whose answer was lost is looked up by what identifies an option there (kind, target,
 *   name). As on 10.2, a create is never sent again while it may still land.
 */
import { ApiError } from "../client/errors.js";
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { caseInsensitiveGet } from "../model/carrier.js";
import { optionToFlowCarrier } from "../model/flow.js";
import { identityOf, parseSplitRef, type LiveOption, type SplitRef } from "../model/live.js";
import { parseAddress, type OptionModel } from "../model/option.js";
import { liveFlowOption } from "./flow-carrier.js";
import { listEmailFlows } from "./flows.js";
import { CancelledError, type TenantQueue } from "./queue.js";
import { splitOptions } from "./split.js";
import { CreateUnknownError, readSplitStepsById, throwFirstFault, type AdapterOptions, type CreateOptions, type SavedOption, type SplitsRead, type Tenant, type WriteOptions } from "./tenant.js";

/** How often a flow changed by someone else between read and save is re-read before giving up. */
const MAX_REBUILDS = 3;

type Edit =
  | { kind: "create"; option: OptionModel; taken: ReadonlySet<number> }
  | { kind: "update"; option: OptionModel; id: number }
  | { kind: "delete"; id: number; workflowStepId: number };

interface PendingEdit {
  readonly edit: Edit;
  readonly options: WriteOptions;
  resolve(saved: SavedOption): void;
  reject(err: unknown): void;
}

export function flowTenant(url: string, api: WorkflowApi, queue: TenantQueue, adapter: AdapterOptions = {}): Tenant {
  const settleMs = adapter.settleMs ?? 2_000;
  let flowIds: Map<number, number> | undefined;
  const pending = new Map<number, PendingEdit[]>();
  const running = new Map<number, Promise<void>>();

  /** The e-mail flow of a workflow; the archive is read once, and again for an id it lacked. */
  const emailFlowOf = async (workflowId: number): Promise<number | undefined> => {
    if (!flowIds?.has(workflowId)) flowIds = new Map((await listEmailFlows(api, queue)).map((r) => [r.workflowId, r.emailFlowId]));
    return flowIds.get(workflowId);
  };

  const getFlow = (emailFlowId: number, priority?: number): Promise<unknown> =>
    queue.run(() => api.getEmailFlow(emailFlowId), { label: `GetEmailFlow ${emailFlowId}`, ...(priority ? { priority } : {}) });

  const write = async (workflowId: number, edit: Edit, options: WriteOptions): Promise<SavedOption> => {
    const emailFlowId = await emailFlowOf(workflowId);
    if (emailFlowId === undefined) throw new WfsyncError("E_FLOW_NOT_FOUND", `the server has no e-mail flow for workflow ${workflowId}`);
    return new Promise<SavedOption>((resolve, reject) => {
      const list = pending.get(emailFlowId) ?? [];
      list.push({ edit, options, resolve, reject });
      pending.set(emailFlowId, list);
      if (list.length === 1) schedule(emailFlowId);
    });
  };

  /** Flushes a flow's pending edits after the current turn (so concurrent writes batch), one save at a time. */
  const schedule = (emailFlowId: number): void => {
    const before = running.get(emailFlowId) ?? Promise.resolve();
    const next = before.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            const batch = pending.get(emailFlowId) ?? [];
            pending.delete(emailFlowId);
            void flush(emailFlowId, batch).finally(resolve);
          }),
        ),
    );
    running.set(emailFlowId, next);
  };

  const flush = async (emailFlowId: number, batch: PendingEdit[]): Promise<void> => {
    let live = batch.filter((p) => sendable(p));
    for (let rebuild = 0; live.length; rebuild++) {
      try {
        const outcome = await saveOnce(emailFlowId, live, rebuild);
        if (outcome.done) return;
        live = outcome.again;
      } catch (err) {
        for (const p of live) p.reject(err);
        return;
      }
    }
  };

  /** Runs an edit's beforeSend; one that refuses is failed and left out of the save. */
  const sendable = (p: PendingEdit): boolean => {
    try {
      p.options.beforeSend?.();
      if (p.options.signal?.aborted) throw new CancelledError(`${p.edit.kind} ${p.options.address}`, undefined, false, p.options.signal.reason);
      return true;
    } catch (err) {
      p.reject(err);
      return false;
    }
  };

  /**
   * One read-modify-write. Resolves `{ done: true }` when every edit is settled, or the edits to
   * try again on a fresh copy (the flow changed under us, or a lost answer left them unsent).
   */
  const saveOnce = async (emailFlowId: number, batch: PendingEdit[], rebuild: number): Promise<{ done: true } | { done: false; again: PendingEdit[] }> => {
    const flow = await getFlow(emailFlowId);
    if (flow === null || flow === undefined) throw new WfsyncError("E_FLOW_NOT_FOUND", `the server has no e-mail flow ${emailFlowId}`);
    const edited = structuredClone(flow) as Record<string, unknown>;
    const before = new Set(optionIdsOf(edited));
    const applied = batch.filter((p) => applyEdit(edited, p));
    if (applied.length === 0) return { done: true };
    const fresh = await getFlow(emailFlowId);
    if (updatedDate(fresh) !== updatedDate(flow)) {
      if (rebuild + 1 >= MAX_REBUILDS) {
        throw new WfsyncError("E_FLOW_CHANGED", `e-mail flow ${emailFlowId} kept changing on the server while wfsync saved it (${MAX_REBUILDS} tries); nothing was saved over it. Run again when it is quiet`);
      }
      return { done: false, again: applied };
    }
    let saved: unknown;
    try {
      saved = await queue.run(() => api.saveEmailFlow(edited), {
        label: `SaveEmailFlow ${emailFlowId} (${applied.map((p) => `${p.edit.kind} ${p.options.address}`).join(", ")})`,
        ...(applied[0]!.options.signal ? { signal: applied[0]!.options.signal } : {}),
      });
    } catch (err) {
      if (!(err instanceof ApiError) || !err.outcomeUnknown) throw err;
      return settleLostSave(emailFlowId, applied, before, err);
    }
    resolveFromSaved(saved, applied, before);
    return { done: true };
  };

  /**
   * A save whose outcome is unknown: look at the flow again. Creates found there are done; after
   * no answer at all, a create not found is reported as unknown, never sent again. The rest
   * (updates and deletes are safe to repeat) goes into the next save.
   */
  const settleLostSave = async (emailFlowId: number, batch: PendingEdit[], before: ReadonlySet<number>, err: ApiError): Promise<{ done: false; again: PendingEdit[] }> => {
    const answered = err.status !== undefined;
    if (!answered) await new Promise((r) => setTimeout(r, settleMs));
    const flow = await getFlow(emailFlowId);
    const again: PendingEdit[] = [];
    const claimed = new Set<number>();
    for (const p of batch) {
      if (p.edit.kind !== "create") {
        again.push(p);
        continue;
      }
      const found = findByIdentity(flow, p.edit, before, claimed);
      if (found) {
        claimed.add(found.id);
        p.resolve(found);
      } else if (answered) again.push(p);
      else p.reject(new CreateUnknownError(p.options.address, err, settleMs));
    }
    return { done: false, again };
  };

  return {
    url,
    target: adapter.target ?? (() => ({ url })),
    queue,
    generation: async () => "12",
    readSplitSteps: (ids) => readSplitStepsById(api, queue, ids),
    async readSplits(splits, options) {
      const refs = [...new Set(splits)].sort();
      const byWorkflow = new Map<number, SplitRef[]>();
      for (const ref of refs) {
        const { workflowId } = parseSplitRef(ref);
        byWorkflow.set(workflowId, [...(byWorkflow.get(workflowId) ?? []), ref]);
      }
      const live = new Map<SplitRef, LiveOption[]>();
      const missing: SplitRef[] = [];
      const outcomes = await Promise.allSettled(
        [...byWorkflow].map(async ([workflowId, of]) => {
          const emailFlowId = await emailFlowOf(workflowId);
          const flow = emailFlowId === undefined ? null : await getFlow(emailFlowId, options?.priority);
          for (const ref of of) {
            const step = flow ? findStep(flow, parseSplitRef(ref).workflowStepId) : undefined;
            if (!step) {
              missing.push(ref);
              live.set(ref, []);
            } else live.set(ref, splitOptions(step, workflowId, parseSplitRef(ref).workflowStepId, liveFlowOption));
          }
        }),
      );
      throwFirstFault(outcomes);
      return { live, missing: missing.sort() } satisfies SplitsRead;
    },
    async readFlow(emailFlowId) {
      return getFlow(emailFlowId);
    },
    listFlows: () => listEmailFlows(api, queue),
    createOption: (option, options: CreateOptions) => write(option.workflowId, { kind: "create", option, taken: options.taken }, options),
    updateOption: (option, id, _previous, options) => write(option.workflowId, { kind: "update", option, id }, options),
    async deleteOption(id, options) {
      const where = parseAddress(options.address);
      if (!where) throw new WfsyncError("E_INTERNAL", `cannot tell the flow of ${options.address}`, { userError: false });
      await write(where.workflowId, { kind: "delete", id, workflowStepId: where.workflowStepId }, options);
    },
    close: adapter.close ?? (() => undefined),
  };
}

/** A flow's top-level step with this id (only those hold addressable options). */
function findStep(flow: unknown, workflowStepId: number): Record<string, unknown> | undefined {
  const steps = caseInsensitiveGet(flow, "steps");
  if (!Array.isArray(steps)) return undefined;
  return steps.find((s) => caseInsensitiveGet(s, "workflowstepid") === workflowStepId) as Record<string, unknown> | undefined;
}

/** The `Options` array of a split step of `flow` (case-insensitively found, created if absent). */
function optionsOf(flow: Record<string, unknown>, workflowStepId: number): unknown[] | undefined {
  const step = findStep(flow, workflowStepId);
  if (!step) return undefined;
  const key = Object.keys(step).find((k) => k.toLowerCase() === "options") ?? "Options";
  if (!Array.isArray(step[key])) step[key] = [];
  return step[key] as unknown[];
}

function optionId(carrier: unknown): number {
  const id = caseInsensitiveGet(carrier, "workflowstepoptionid");
  return typeof id === "number" ? id : 0;
}

function optionIdsOf(flow: unknown): number[] {
  const ids: number[] = [];
  const steps = caseInsensitiveGet(flow, "steps");
  for (const step of Array.isArray(steps) ? steps : []) {
    const options = caseInsensitiveGet(step, "options");
    for (const o of Array.isArray(options) ? options : []) ids.push(optionId(o));
  }
  return ids;
}

function updatedDate(flow: unknown): unknown {
  return caseInsensitiveGet(flow, "updateddate");
}

/** Makes one edit on the flow copy; false (and the edit settled) when it cannot be made. */
function applyEdit(flow: Record<string, unknown>, p: PendingEdit): boolean {
  const { edit } = p;
  const split = edit.kind === "delete" ? edit.workflowStepId : edit.option.workflowStepId;
  const options = optionsOf(flow, split);
  if (!options) {
    p.reject(new WfsyncError("E_SPLIT_NOT_FOUND", `the server has no split step ${split} in the flow any more; ${p.options.address} was not saved`));
    return false;
  }
  switch (edit.kind) {
    case "create":
      options.push(optionToFlowCarrier(edit.option, 0));
      return true;
    case "update": {
      const at = options.findIndex((o) => optionId(o) === edit.id);
      if (at < 0) {
        p.reject(new WfsyncError("E_OPTION_GONE", `${p.options.address} (option ${edit.id}) is gone from the server; the next plan creates it again`));
        return false;
      }
      options[at] = optionToFlowCarrier(edit.option, edit.id, options[at]);
      return true;
    }
    case "delete": {
      const at = options.findIndex((o) => optionId(o) === edit.id);
      if (at >= 0) options.splice(at, 1);
      return true;
    }
    default: {
      const never: never = edit;
      return never;
    }
  }
}

/** Settles each edit from the saved flow: creates get the ids the save assigned, in order. */
function resolveFromSaved(saved: unknown, batch: readonly PendingEdit[], before: ReadonlySet<number>): void {
  const claimed = new Set<number>();
  for (const p of batch) {
    const { edit } = p;
    if (edit.kind === "delete") {
      p.resolve({ id: edit.id, server: null });
      continue;
    }
    const options = carriersOf(saved, edit.option.workflowStepId);
    const found =
      edit.kind === "update"
        ? options.find((o) => optionId(o) === edit.id)
        : options.find((o) => !before.has(optionId(o)) && !claimed.has(optionId(o)) && carrierIdentity(o, edit.option) === identityOf(edit.option, true));
    if (!found || optionId(found) <= 0) {
      p.reject(new ApiError({ kind: "rejected", method: "SaveEmailFlow", message: `the server saved the flow but its answer has no option for ${p.options.address}`, outcomeUnknown: true }));
      continue;
    }
    claimed.add(optionId(found));
    p.resolve({ id: optionId(found), server: found });
  }
}

function carriersOf(flow: unknown, workflowStepId: number): unknown[] {
  const step = findStep(flow, workflowStepId);
  const options = step ? caseInsensitiveGet(step, "options") : undefined;
  return Array.isArray(options) ? options : [];
}

/** After a lost answer: the option this create made, if the flow has it (and nobody owns it). */
function findByIdentity(flow: unknown, edit: Extract<Edit, { kind: "create" }>, before: ReadonlySet<number>, claimed: ReadonlySet<number>): SavedOption | undefined {
  const want = identityOf(edit.option, true);
  const matches = carriersOf(flow, edit.option.workflowStepId).filter(
    (o) => !before.has(optionId(o)) && !edit.taken.has(optionId(o)) && !claimed.has(optionId(o)) && carrierIdentity(o, edit.option) === want,
  );
  return matches.length === 1 ? { id: optionId(matches[0]), server: matches[0] } : undefined;
}

/** The server identity of a carrier of `option`'s split. */
function carrierIdentity(carrier: unknown, of: OptionModel): string {
  return identityOf(liveFlowOption(carrier, of.workflowId, of.workflowStepId).option, true);
}
