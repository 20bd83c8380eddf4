/**
 * Flows and splits referred to by name (`workflow("Onboarding", …)`, `wf.split("Lead score", …)`)
 * instead of by id, so one code base fits every tenant built from the same template without an
 * id table. Names are resolved against the tenant at plan time (the flows' names from the
 * EmailFlows archive, the splits' `SplitName` from the flow); an unknown or ambiguous name is an
 * error at the call that used it. `validate`, which has no tenant, checks everything else with
 * stand-in ids.
 */

/** What a name resolves to, or why it does not (a sentence). */
export type Resolved = { readonly id: number } | { readonly problem: string };

export interface NameResolver {
  flow(name: string): Resolved;
  split(workflowId: number, name: string): Resolved;
  /** Stand-in ids (validate without a tenant): nothing resolved may reach a server. */
  readonly standIn: boolean;
}

/** A name the code uses that the compile could not resolve (no resolver was set). */
export interface UnresolvedName {
  /** The workflow file (absolute) that uses the name. */
  readonly file: string;
  /** The flow: its id, or its name. */
  readonly flow: number | string;
  /** The split's name, when the split is named (else the flow alone is). */
  readonly split?: string;
}

export interface NamedFlow {
  readonly workflowId: number;
  readonly name: string;
  /** Its top-level Split steps with their names; undefined when the flow was not read. */
  readonly splits?: readonly { readonly workflowStepId: number; readonly name: string }[];
}

/** Resolves against what a tenant has. `where` names it in messages ("Cust12345"). */
export function tenantResolver(flows: readonly NamedFlow[], where: string): NameResolver {
  return {
    standIn: false,
    flow(name) {
      const found = match(flows, name, (f) => f.name);
      if (found.length === 1) return { id: found[0]!.workflowId };
      if (found.length > 1) return { problem: `${found.length} flows on ${where} are named ${JSON.stringify(name)} (workflows ${found.map((f) => f.workflowId).join(", ")}); refer to one by its id` };
      const names = [...new Set(flows.map((f) => f.name))].sort((x, y) => x.localeCompare(y)).map((n) => JSON.stringify(n)).slice(0, 10);
      return { problem: `no flow on ${where} is named ${JSON.stringify(name)}${names.length ? ` (it has ${names.join(", ")}${flows.length > 10 ? ", …" : ""})` : " (it has no flows)"}` };
    },
    split(workflowId, name) {
      const flow = flows.find((f) => f.workflowId === workflowId);
      if (!flow) return { problem: `no flow on ${where} has workflow id ${workflowId}, so its split ${JSON.stringify(name)} cannot be found` };
      const splits = flow.splits ?? [];
      const found = match(splits, name, (s) => s.name);
      if (found.length === 1) return { id: found[0]!.workflowStepId };
      if (found.length > 1) return { problem: `${found.length} Split steps of workflow ${workflowId} are named ${JSON.stringify(name)} (steps ${found.map((s) => s.workflowStepId).join(", ")}); refer to one by its id` };
      const named = splits.filter((s) => s.name !== "");
      if (named.length === 0) {
        return {
          problem: `no Split step of workflow ${workflowId} on ${where} has a name (SplitName, servers 10.2.11 and later); refer to the split by its step id (\`wfsync flows\` lists them)`,
        };
      }
      return { problem: `no Split step of workflow ${workflowId} on ${where} is named ${JSON.stringify(name)} (it has ${named.map((s) => JSON.stringify(s.name)).join(", ")})` };
    },
  };
}

/** Stand-in ids for `validate`: the same name always gets the same id, far from real ones. */
export function standInResolver(): NameResolver {
  const ids = new Map<string, number>();
  let next = 2_000_000_000;
  const idOf = (key: string) => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = next++));
    return { id };
  };
  return { standIn: true, flow: (name) => idOf(`flow\0${name}`), split: (workflowId, name) => idOf(`split\0${workflowId}\0${name}`) };
}

/** Exact matches, else (when there are none) the ones equal ignoring case and surrounding space. */
function match<T>(items: readonly T[], name: string, nameOf: (item: T) => string): T[] {
  const exact = items.filter((i) => nameOf(i) === name);
  if (exact.length) return exact;
  const folded = name.trim().toLowerCase();
  return items.filter((i) => nameOf(i).trim().toLowerCase() === folded);
}

/** "2 flows and 1 split", for messages. */
export function describeUnresolved(names: readonly UnresolvedName[]): string {
  const flows = new Set(names.filter((n) => n.split === undefined).map((n) => String(n.flow))).size;
  const splits = names.filter((n) => n.split !== undefined).length;
  const parts = [flows ? `${flows} ${flows === 1 ? "flow" : "flows"}` : "", splits ? `${splits} ${splits === 1 ? "split" : "splits"}` : ""].filter(Boolean);
  return parts.join(" and ");
}
