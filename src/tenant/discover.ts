/**
 * What a tenant has: its e-mail flows (the EmailFlows archive) and, per flow, its Split steps
 * with their names and option counts (GetEmailFlow). `wfsync flows` shows it; import --all
 * imports from it. Reads only; one archive listing plus one GetEmailFlow per flow, all through
 * the tenant's queue.
 */
import { caseInsensitive } from "../model/carrier.js";
import { resolveStepType } from "../model/steps.js";
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

/** The top-level Split steps of an EmailFlow carrier. */
export function splitsOf(flow: unknown): DiscoveredSplit[] {
  if (flow === null || flow === undefined) return [];
  const steps = caseInsensitive(flow).get("steps");
  const out: DiscoveredSplit[] = [];
  for (const step of Array.isArray(steps) ? steps : []) {
    const s = caseInsensitive(step);
    if (resolveStepType(s.get("steptype")) !== "Split") continue;
    const id = s.get("workflowstepid");
    if (typeof id !== "number" || !(id > 0)) continue;
    const name = s.get("splitname") ?? s.get("name");
    const opts = s.get("options");
    out.push({ workflowStepId: id, name: typeof name === "string" ? name : "", options: Array.isArray(opts) ? opts.length : 0 });
  }
  return out.sort((a, b) => a.workflowStepId - b.workflowStepId);
}
