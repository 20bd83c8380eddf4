/**
 * What a tenant has: its e-mail flows (the EmailFlows archive) and, per flow, its Split steps
 * with their names and option counts (GetEmailFlow). `wfsync flows` shows it; import --all
 * imports from it. Reads only; one archive listing plus one GetEmailFlow per flow, all through
 * the tenant's queue.
 */
import { caseInsensitive } from "../model/carrier.js";
import { flowSplitSteps } from "../model/split.js";
import type { FlowRow } from "./flows.js";
import type { Tenant } from "./tenant.js";

export interface DiscoveredSplit {
  readonly workflowStepId: number;
  /** The Split's name on the server (`SplitName`, 10.2.11 and later), else "". */
  readonly name: string;
  /** Options the split has on the server. */
  readonly options: number;
}

export interface DiscoveredFlow extends FlowRow {
  /** The flow's own Split steps (not those nested inside an option), by step id; `undefined` when not read. */
  readonly splits?: readonly DiscoveredSplit[];
}

/** Every flow of the tenant, by workflow id; with `splits`, each flow read for its Split steps. */
export async function discoverFlows(tenant: Pick<Tenant, "listFlows" | "readFlow">, options: { splits: boolean }): Promise<DiscoveredFlow[]> {
  const rows = [...(await tenant.listFlows())].sort((a, b) => a.workflowId - b.workflowId || a.emailFlowId - b.emailFlowId);
  if (!options.splits) return rows;
  // Concurrently: the tenant's queue keeps the limits.
  return Promise.all(rows.map(async (row) => ({ ...row, splits: splitsOf(await tenant.readFlow(row.emailFlowId)) })));
}

/** The top-level Split steps of an EmailFlow carrier, with their names and option counts. */
export function splitsOf(flow: unknown): DiscoveredSplit[] {
  return flowSplitSteps(flow)
    .filter(({ workflowStepId }) => workflowStepId > 0)
    .map(({ workflowStepId, step }) => {
      const s = caseInsensitive(step);
      const name = s.get("splitname") ?? s.get("name");
      const options = s.get("options");
      return { workflowStepId, name: typeof name === "string" ? name : "", options: Array.isArray(options) ? options.length : 0 };
    });
}
