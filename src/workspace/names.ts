/**
 * Finding on the tenant the flows and splits the code refers to by name: the flows' names from
 * the EmailFlows archive (one listing), the Split steps' names from each flow whose splits are
 * named (one GetEmailFlow each). What does not resolve is the compile's error at the call.
 */
import { tenantLabel } from "../client/routing.js";
import { tenantResolver, type NameResolver, type NamedFlow, type UnresolvedName } from "../compile/names.js";
import { splitsOf } from "../tenant/discover.js";
import type { Tenant } from "../tenant/tenant.js";

export async function tenantNames(tenant: Pick<Tenant, "listFlows" | "readFlow" | "target">, unresolved: readonly UnresolvedName[]): Promise<NameResolver> {
  const rows = await tenant.listFlows();
  const where = tenantLabel(tenant.target(), { version: false });
  const flowsOnly = tenantResolver(
    rows.map((r) => ({ workflowId: r.workflowId, name: r.name })),
    where,
  );
  // The flows whose Split steps are named in code: only these are read.
  const wanted = new Set<number>();
  for (const u of unresolved) {
    if (u.split === undefined) continue;
    const found = typeof u.flow === "number" ? { id: u.flow } : flowsOnly.flow(u.flow);
    if ("id" in found) wanted.add(found.id);
  }
  const byWorkflow = new Map(rows.map((r) => [r.workflowId, r]));
  const splits = new Map(
    await Promise.all(
      [...wanted]
        .filter((id) => byWorkflow.has(id))
        .map(async (id) => [id, splitsOf(await tenant.readFlow(byWorkflow.get(id)!.emailFlowId))] as const),
    ),
  );
  const flows: NamedFlow[] = rows.map((r) => ({ workflowId: r.workflowId, name: r.name, ...(splits.has(r.workflowId) ? { splits: splits.get(r.workflowId)! } : {}) }));
  return tenantResolver(flows, where);
}
