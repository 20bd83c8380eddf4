/**
 * The emulator: a local server answering like a SuperOffice installation for the Workflow agent
 * calls wfsync uses (and the EmailFlows archive), as a 10.2.4–10.2.9 server (`api: "10.2"`, the
 * default) or a 12.x one (`api: "12"`; docs/api-generations.md). `startEmulator` runs it
 * in-process (tests, benchmarks, demo); `wfsync emulator` (src/cli/emulator.ts) runs it from the
 * command line.
 */
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { WfsyncError } from "../errors.js";
import { describeCredentials, resolveCredentials, type AcceptedCredentials, type CredentialOptions } from "./auth.js";
import { Faults, checkFaults, type CountersSnapshot, type FaultSettings } from "./faults.js";
import { createRequestListener } from "./http.js";
import { DataFile, readDataFile } from "./persist.js";
import { API_GENERATIONS, profileFor, type ApiGeneration, type Profile } from "./profile.js";
import { DEMO_SEED, readSeedFile } from "./seed.js";
import { OnlineService, type OnlineApp, type OnlineOptions, type OnlineSettings } from "./online.js";
import { EmulatorState } from "./state.js";
import { Store, type FlowRecord, type SeedFlowInput, type StoreData } from "./store.js";

export { DEMO_SEED, parseFlowSeed, parseSeed } from "./seed.js";
export { ADMIN_ROUTES, adminRoutes } from "./admin.js";
export { API_GENERATIONS, type ApiGeneration } from "./profile.js";
export { DEFAULT_PASSWORD, DEFAULT_USERNAME } from "./auth.js";
export type { AcceptedCredentials, CredentialOptions } from "./auth.js";
export type { CountersSnapshot, FaultSettings } from "./faults.js";
export { DEFAULT_TENANT_ID, type OnlineApp, type OnlineOptions, type OnlineSettings } from "./online.js";
export type { FlowRecord, OptionRecord, StepRecord, StoreData } from "./store.js";

export interface EmulatorOptions extends CredentialOptions, Partial<FaultSettings> {
  /**
   * The server generation to play: "10.2" (10.2.4–10.2.9, options saved one at a time; the
   * default) or "12" (10.2.10 – 12.x: whole-flow saves, option kinds, no per-option routes).
   */
  api?: ApiGeneration;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the emulator is for this machine only. */
  host?: string;
  /** A seed object (the seed file's format); wins over `seedFile`. */
  seed?: unknown;
  /** A seed JSON file; without seed and seedFile the built-in DEMO_SEED is used. */
  seedFile?: string;
  /** Load from this file if it exists (else start from the seed) and keep it up to date. */
  dataFile?: string;
  /** Where credentials fall back to (default process.env): WFSYNC_USERNAME/PASSWORD/TOKEN/TICKET/APP_TOKEN. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Random source of the fail rate (tests make it deterministic). */
  random?: () => number;
  /** How long a data-file write waits to collect further changes (default 100 ms). */
  saveDelayMs?: number;
  /** Larger request bodies get 413 (default 10 MB). */
  maxBodyBytes?: number;
  /** Told about a failed data-file write at once (it is also thrown by flush/close). */
  onDataError?: (err: unknown) => void;
  /**
   * Play SuperOffice Online: `url` is then the environment (sign-in, OpenID keys, state API) and
   * the tenant is served from its own hosts, further ports on the same address (online.ts).
   */
  online?: OnlineOptions;
  /**
   * How long an idle keep-alive connection stays open before the emulator closes it (default
   * 5000 ms, Node's and so the built-in emulator's). Answers say so in `Keep-Alive: timeout=N`.
   */
  keepAliveTimeoutMs?: number;
}

export interface RunningOnline {
  readonly tenantId: string;
  /** The environment base, what WFSYNC_ONLINE_ENV names (= the emulator's url). */
  readonly environment: string;
  /** The tenant's hosts (`http://127.0.0.1:PORT`); the one serving it is `settings().host` (1-based). */
  readonly hosts: readonly string[];
  /** Where the tenant is served now: `${host}/${tenantId}`. */
  tenantUrl(): string;
  settings(): OnlineSettings;
  /** What GET /__emulator/online shows (sign-in and state-lookup counts among it). */
  status(): Record<string, unknown>;
  register(app: OnlineApp): void;
  /** Partial settings, as POST /__emulator/online takes them. */
  update(settings: Partial<OnlineSettings>): void;
  expireTickets(): void;
}

/** Connections the emulator accepted, and which side closed those that closed. */
export interface ConnectionStats {
  readonly opened: number;
  /** Closed by the client first (it retired an idle socket, or was done). */
  readonly closedByClient: number;
  /** Closed by the emulator first: an idle keep-alive connection it timed out. */
  readonly closedByServer: number;
}

export interface RunningEmulator {
  /** The installation base, e.g. http://127.0.0.1:41234; the agent is at `${url}/api/v1/Agents/Workflow/`. */
  readonly url: string;
  /** The server generation it plays. */
  readonly api: ApiGeneration;
  /** Which servers it answers like, in words ("SuperOffice 12.x (current API generation)"). */
  readonly servers: string;
  readonly host: string;
  readonly port: number;
  /** The credentials accepted now (see setCredentials). */
  readonly credentials: AcceptedCredentials;
  /** The accepted credentials in words, without secrets (the public default is named). */
  readonly authDescription: string;
  /** Accept these instead from now on (a revoked password, a rotated token); `{}` is the default user. */
  setCredentials(options: CredentialOptions): void;
  /** Where the data came from at start-up. */
  readonly dataSource: "data file" | "seed file" | "seed" | "demo seed";
  workflows(): readonly FlowRecord[];
  data(): StoreData;
  counters(): CountersSnapshot;
  connections(): ConnectionStats;
  /** Resolves when the next connection closes, with the side that closed it first. */
  nextConnectionClose(): Promise<"client" | "server">;
  resetCounters(): void;
  faults(): FaultSettings;
  setFaults(settings: Partial<FaultSettings>): void;
  /** Back to the seed. */
  reset(): void;
  /** Writes pending data-file changes now. */
  flush(): Promise<void>;
  /** Stops accepting calls, lets calls in flight finish (up to a second), writes the data file. */
  close(): Promise<void>;
  /** Online mode's controls; undefined when it plays an on-site server. */
  readonly online: RunningOnline | undefined;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const CLOSE_GRACE_MS = 1000;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const faultProblem = checkFaults(options);
  if (faultProblem) throw new WfsyncError("E_EMULATOR_OPTION", `Invalid fault setting: ${faultProblem}`);
  const api = options.api ?? "10.2";
  if (!API_GENERATIONS.includes(api)) {
    throw new WfsyncError("E_EMULATOR_OPTION", `Invalid api ${JSON.stringify(api)}: expected ${API_GENERATIONS.map((a) => `"${a}"`).join(" or ")}`);
  }
  const profile = profileFor(api);
  const { seed, seedSource } = await loadSeed(options, profile);
  const saved = options.dataFile === undefined ? undefined : await readDataFile(options.dataFile, api);
  const store = saved ? new Store(saved) : profile.freshStore(seed);
  const credentials = resolveCredentials(options, options.env ?? process.env);
  const faults = new Faults(
    { latency: options.latency, rateLimit: options.rateLimit, failRate: options.failRate, writeDelay: options.writeDelay },
    options.random,
  );
  const state = new EmulatorState(profile, seed, store, faults, credentials, options.maxBodyBytes ?? DEFAULT_MAX_BODY);

  let dataFile: DataFile | undefined;
  if (options.dataFile !== undefined) {
    await mkdir(dirname(resolve(options.dataFile)), { recursive: true });
    dataFile = new DataFile(options.dataFile, () => state.store.toData(), options.saveDelayMs ?? 100, options.onDataError);
    state.attachDataFile(dataFile);
    // A new data file exists from the start, so a user sees where the data goes.
    if (!saved) await dataFile.flush();
  }

  const server = createServer(createRequestListener(state));
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5000;
  const connections = trackConnections(server);
  const host = options.host ?? "127.0.0.1";
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const origin = (p: number): string => `http://${host.includes(":") ? `[${host}]` : host}:${p}`;
  const url = origin(port);
  state.url = url;
  const servers = [server];
  const online = options.online ? new OnlineService(options.online, api) : undefined;
  if (online) {
    state.online = online;
    online.hostUrls = [url];
    for (let i = 1; i <= online.hosts; i++) {
      const tenantServer = createServer(createRequestListener(state, i));
      await listen(tenantServer, 0, host);
      servers.push(tenantServer);
      online.hostUrls.push(origin((tenantServer.address() as AddressInfo).port));
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    api,
    servers: profile.servers,
    host,
    port,
    get credentials() {
      return state.credentials;
    },
    get authDescription() {
      return describeCredentials(state.credentials);
    },
    setCredentials: (c) => {
      state.credentials = resolveCredentials(c, {});
    },
    dataSource: saved ? "data file" : seedSource,
    workflows: () => state.store.workflows(),
    data: () => state.store.toData(),
    counters: () => state.counters.snapshot(),
    connections: () => ({ ...connections.stats }),
    nextConnectionClose: () => new Promise((resolve) => connections.waiting.push(resolve)),
    resetCounters: () => state.counters.reset(),
    faults: () => state.faults.settings,
    setFaults: (settings) => state.faults.update(settings),
    reset: () => state.reset(),
    flush: async () => {
      await dataFile?.flush();
    },
    close: () => (closing ??= Promise.all(servers.map(closeServer)).then(() => dataFile?.flush())),
    online: online ? runningOnline(online) : undefined,
  };
}

function runningOnline(online: OnlineService): RunningOnline {
  return {
    tenantId: online.tenantId,
    environment: online.envUrl,
    hosts: online.hostUrls.slice(1),
    tenantUrl: () => online.tenantBase(),
    settings: () => online.settings,
    status: () => online.status() as Record<string, unknown>,
    register: (app) => online.register(app),
    update: (settings) => {
      const answer = online.update(JSON.stringify(settings));
      if (answer.status !== 200) throw new WfsyncError("E_EMULATOR_OPTION", `Invalid online setting: ${JSON.stringify(answer.body)}`);
    },
    expireTickets: () => void online.expireTickets(),
  };
}

async function loadSeed(options: EmulatorOptions, profile: Profile): Promise<{ seed: readonly SeedFlowInput[]; seedSource: RunningEmulator["dataSource"] }> {
  const parse = (raw: unknown, source: string): SeedFlowInput[] => [...profile.parseSeed(raw, source)];
  if (options.seed !== undefined) return { seed: parse(options.seed, "seed"), seedSource: "seed" };
  if (options.seedFile !== undefined) return { seed: await readSeedFile(options.seedFile, parse), seedSource: "seed file" };
  return { seed: parse(DEMO_SEED, "built-in demo seed"), seedSource: "demo seed" };
}

/** Counts connections and who closed each: a client that sees the other side's FIN first had it closed under it. */
function trackConnections(server: Server): { stats: { opened: number; closedByClient: number; closedByServer: number }; waiting: ((by: "client" | "server") => void)[] } {
  const stats = { opened: 0, closedByClient: 0, closedByServer: 0 };
  const waiting: ((by: "client" | "server") => void)[] = [];
  server.on("connection", (socket) => {
    stats.opened++;
    let clientEnded = false;
    socket.on("end", () => (clientEnded = true));
    socket.on("close", () => {
      const by = clientEnded ? "client" : "server";
      if (by === "client") stats.closedByClient++;
      else stats.closedByServer++;
      for (const w of waiting.splice(0)) w(by);
    });
  });
  return { stats, waiting };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === "EADDRINUSE" ? `port ${port} is in use` : err.message;
      reject(new WfsyncError("E_EMULATOR_LISTEN", `Cannot listen on ${host}:${port}: ${why}`, { cause: err }));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Calls in flight may finish; idle keep-alive connections go now, the rest after a grace period.
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
