/**
 * The server generation the emulator plays (docs/api-generations.md): `10.2` (servers
 * 10.2.4–10.2.9, options saved one at a time; the default) or `12` (10.2.10 – 12.x, options
 * saved inside the whole flow). A profile is everything that differs: the agent methods, which
 * of them write, how a seed becomes data, and the out-of-band admin routes. Both keep their data
 * in the same store and answer the same Archive agent.
 */
import { methodTable, type AgentMethod, type Answer } from "./agent.js";
import { ARCHIVE_METHODS, archiveResource } from "./archive.js";
import { FLOW_ADMIN_ROUTES, flowAdmin } from "./flow-admin.js";
import { FLOW_METHODS, withServerFields } from "./flow-handlers.js";
import { PER_OPTION_METHODS } from "./handlers.js";
import { PER_OPTION_ADMIN_ROUTES, perOptionAdmin } from "./option-admin.js";
import { parseFlowSeed, parseSeed } from "./seed.js";
import { Store, type ApiGeneration, type SeedFlowInput } from "./store.js";

export type { ApiGeneration } from "./store.js";
export const API_GENERATIONS: readonly ApiGeneration[] = ["10.2", "12"];

export interface Profile {
  readonly api: ApiGeneration;
  /** Which servers it answers like, in words. */
  readonly servers: string;
  /** An agent method (`agent` is the controller: Workflow, Archive) or the REST archive (`archive`). */
  findMethod(agent: string, name: string): AgentMethod | undefined;
  /** Methods that change data, which `writeDelay` slows down. */
  readonly writes: ReadonlySet<string>;
  /** Validates a seed (throws E_EMULATOR_SEED listing every problem). */
  parseSeed(raw: unknown, source: string): readonly SeedFlowInput[];
  /** A store holding just the seed. */
  freshStore(seed: readonly SeedFlowInput[]): Store;
  /** Out-of-band changes (`route` without the /__emulator prefix), or undefined for none of its routes. */
  admin(store: Store, method: string, route: string, text: string): Answer | undefined;
  readonly adminRoutes: readonly string[];
}

const archiveMethod = methodTable(ARCHIVE_METHODS);

function finder(workflow: (name: string) => AgentMethod | undefined): Profile["findMethod"] {
  return (agent, name) => {
    switch (agent.toLowerCase()) {
      case "workflow":
        return workflow(name);
      case "archive":
        return archiveMethod(name);
      case "rest-archive":
        return archiveResource(name);
      default:
        return undefined;
    }
  };
}

const PER_OPTION: Profile = {
  api: "10.2",
  servers: "SuperOffice 10.2.4–10.2.9",
  findMethod: finder(methodTable(PER_OPTION_METHODS)),
  writes: new Set(["SaveWorkflowStepOption", "DeleteWorkflowStepOption"]),
  parseSeed: (raw, source) => parseSeed(raw, source),
  freshStore: (seed) => Store.fromSeed(seed),
  admin: perOptionAdmin,
  adminRoutes: PER_OPTION_ADMIN_ROUTES,
};

const FLOW: Profile = {
  api: "12",
  servers: "SuperOffice 12.x (current API generation)",
  findMethod: finder(methodTable(FLOW_METHODS)),
  writes: new Set(["SaveEmailFlow", "DeleteEmailFlow"]),
  parseSeed: (raw, source) => parseFlowSeed(raw, source),
  // Seeded flows are created when the store is: a reset makes them anew.
  freshStore: (seed) => {
    const now = Date.now();
    return Store.fromSeed(
      seed.map((f) => ({ ...f, fields: withServerFields(f.fields ?? {}, undefined, now) })),
      "12",
    );
  },
  admin: flowAdmin,
  adminRoutes: FLOW_ADMIN_ROUTES,
};

export function profileFor(api: ApiGeneration): Profile {
  return api === "12" ? FLOW : PER_OPTION;
}
