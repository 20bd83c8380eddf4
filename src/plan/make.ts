/**
 * Makes a plan from a compiled project, the state and (unless told not to) the server.
 */
import type { TenantQueue } from "../apply/queue.js";
import type { WorkflowApi } from "../client/workflow.js";
import type { DesiredOption } from "../compile/validate.js";
import { WfsyncError } from "../errors.js";
import type { Address } from "../model/option.js";
import { diffModels, splitRef, type AppliedOption, type Plan, type SplitRef } from "./diff.js";
import { refreshSplits } from "./refresh.js";

export interface MakePlanInput {
  readonly desired: ReadonlyMap<Address, DesiredOption>;
  readonly applied: ReadonlyMap<Address, AppliedOption>;
  readonly massDeleteShare: number;
  /** Refresh from the server through this client and queue; leave out for `--no-refresh`. */
  readonly server?: { api: WorkflowApi; queue: TenantQueue };
}

export async function makePlan(input: MakePlanInput): Promise<Plan> {
  if (!input.server) return diffModels(input);
  const desiredSplits = new Set<SplitRef>([...input.desired.values()].map((d) => splitRef(d.option)));
  const splits = new Set<SplitRef>(desiredSplits);
  for (const s of input.applied.values()) splits.add(splitRef(s.option));
  const { live, missing } = await refreshSplits(input.server.api, input.server.queue, splits);
  const wanted = missing.filter((ref) => desiredSplits.has(ref));
  if (wanted.length) {
    throw new WfsyncError(
      "E_SPLIT_NOT_FOUND",
      `the server has no split step ${wanted.map((r) => r.split("/")[1]).join(", ")} (workflow/step ${wanted.join(", ")}); check the ids in code against the flow`,
    );
  }
  return diffModels({ ...input, live });
}
