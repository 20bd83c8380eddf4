/**
 * `wfsync emulator`: runs the local SuperOffice WebAPI until SIGINT/SIGTERM. The first line of
 * output is the base URL (scripts read it); a short summary for people follows.
 */
import type { Command } from "commander";
import { WfsyncError } from "../errors.js";
import { API_GENERATIONS, DEFAULT_PASSWORD, DEFAULT_USERNAME, startEmulator, type ApiGeneration, type EmulatorOptions, type RunningEmulator } from "../emulator/index.js";
import { globalOptions } from "./global.js";
import { runCommand } from "./output.js";

/** The port `wfsync init` writes into sync.config.ts, so the two work together out of the box. */
export const DEFAULT_EMULATOR_PORT = 8765;

const MAX_FLOWS_SHOWN = 10;

interface EmulatorFlags {
  api: string;
  port: string;
  host: string;
  data?: string;
  seed?: string;
  rateLimit?: string;
  latency?: string;
  failRate?: string;
  username?: string;
  password?: string;
  token?: string;
  ticket?: string;
  appToken?: string;
  online?: boolean;
  tenants?: string;
}

const HELP = `
Profiles (--api): which SuperOffice servers it answers like.
  10.2  servers 10.2.4–10.2.9 (the default): options saved one at a time.
        POST {base}/api/v1/Agents/Workflow/<Method> for SaveWorkflowStepOption,
        GetWorkflowStepOption, DeleteWorkflowStepOption, CreateDefaultWorkflowStepOption,
        GetWorkflowStep, CreateDefaultWorkflowStepFromType and GetEmailFlow.
  12    SuperOffice 12.x (current API generation; 10.2.10 and later, every Online tenant):
        options saved inside the whole flow. GetEmailFlow, SaveEmailFlow, CreateDefaultEmailFlow,
        DeleteEmailFlow, GetWorkflowStep, GetWorkflowStepOption,
        CreateDefaultWorkflowStepFromType, CreateDefaultWorkflowStepOptionFromType; the
        per-option methods answer 404, as on such a server.
Both: the EmailFlows archive (POST {base}/api/v1/Agents/Archive/GetArchiveListByColumns), and
any path prefix before /api (e.g. {base}/Cust12345/api/...).

Credentials: each of --username/--password, --token, --ticket, --app-token falls back to
WFSYNC_USERNAME/WFSYNC_PASSWORD, WFSYNC_TOKEN, WFSYNC_TICKET, WFSYNC_APP_TOKEN, so a client
started from the same shell agrees. With none of them set, the emulator accepts Basic
user "${DEFAULT_USERNAME}", password "${DEFAULT_PASSWORD}" (for local use only). Prefer the
environment for secrets: flags show up in process lists.

Online (--online): plays SuperOffice Online for tenant Cust12345. The base URL printed first is
the environment (what WFSYNC_ONLINE_ENV names): the system user sign-in
(POST {base}/Login/api/PartnerSystemUser/Authenticate), its OpenID keys and the tenant state API
(GET {base}/api/state/Cust12345). The tenant is served from its own host (another port, printed
below) under /Cust12345/api/...; any other host answers 421. Register your app's public key first:
POST {base}/__emulator/online/app {"clientId", "clientSecret", "systemUserToken", "publicKey"}.
Only tickets it issued are accepted there (no Basic).

Data: without --seed, the built-in demo seed (workflows 679, 702, 733 used by the example
workflows/). --data FILE loads FILE if it exists (else starts from the seed) and writes every
change to it atomically.

Tenants (--tenants N): N independent tenants in one process, each with its own port and its own
copy of the data (the same seed), for trying one code base on many tenants (wfsync's
environments). The first N lines of output are their base URLs, one a line; with --port P they
listen on P, P+1, …. Not with --data (one file cannot hold several tenants) or --online.

Admin (no credentials, never throttled): GET {base}/__emulator/ lists the routes: counters,
data, out-of-band option and flow changes (drift), reset, faults, accepted credentials.

Examples:
  $ wfsync emulator
  $ wfsync emulator --api 12
  $ wfsync emulator --port 0 --data .wfsync/emulator.json
  $ wfsync emulator --latency 20 --rate-limit 10 --fail-rate 0.05
  $ wfsync emulator --api 12 --online
`;

export function registerEmulatorCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("emulator")
    .description("run a local SuperOffice WebAPI (Workflow agent; servers 10.2.4–10.2.9, or 12.x with --api 12) to try wfsync without a tenant")
    .option("-p, --port <port>", "port to listen on; 0 picks a free one", String(DEFAULT_EMULATOR_PORT))
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--data <file>", "keep all data in this JSON file across restarts")
    .option("--seed <file>", "seed flows from this JSON file instead of the built-in demo seed")
    .option("--rate-limit <n>", "agent calls per second; the excess gets 429 with Retry-After")
    .option("--latency <ms>", "response time of agent calls: each answer leaves this many milliseconds after its request arrived")
    .option("--fail-rate <f>", "answer this share (0..1) of agent calls with 500 or 503")
    .option("--username <user>", "Basic user name (default: WFSYNC_USERNAME)")
    .option("--password <password>", "Basic password (default: WFSYNC_PASSWORD)")
    .option("--token <token>", "accepted Bearer token (default: WFSYNC_TOKEN)")
    .option("--ticket <ticket>", "accepted SOTicket (default: WFSYNC_TICKET)")
    .option("--app-token <token>", "SO-AppToken required with SOTicket (default: WFSYNC_APP_TOKEN)")
    .option("--online", "play SuperOffice Online: system user sign-in, the tenant state API, tenant Cust12345 on its own host")
    .option("--tenants <n>", "serve n independent tenants, each on its own port; their URLs are the first n lines", "1")
    .addHelpText("after", HELP)
    // --api is the global option (the generation a client speaks, here the one to play).
    .action((flags: Omit<EmulatorFlags, "api">, cmd: Command) => runCommand(setExit, () => runEmulator({ ...flags, api: globalOptions(cmd).api ?? "10.2" })));
}

/** At most this many tenants in one emulator process (each is a server and a copy of the data). */
const MAX_TENANTS = 200;

export async function runEmulator(flags: EmulatorFlags): Promise<number> {
  const options = emulatorOptions(flags);
  const tenants = number("--tenants", flags.tenants ?? "1", (n) => Number.isInteger(n) && n >= 1 && n <= MAX_TENANTS, `an integer 1..${MAX_TENANTS}`);
  if (tenants > 1 && flags.data !== undefined) throw new WfsyncError("E_EMULATOR_OPTION", "--tenants cannot go with --data: one data file cannot hold several tenants");
  if (tenants > 1 && flags.online) throw new WfsyncError("E_EMULATOR_OPTION", "--tenants cannot go with --online: the Online emulator plays one tenant");
  // Listen for signals first: a script may send one as soon as it has read the URL line.
  const stop = waitForSignal();
  const running: RunningEmulator[] = [];
  try {
    for (let i = 0; i < tenants; i++) {
      running.push(
        await startEmulator({
          ...options,
          port: options.port === 0 ? 0 : options.port! + i,
          onDataError: (err) => process.stderr.write(`warning: cannot write ${flags.data}: ${(err as Error).message}\n`),
        }),
      );
    }
    const [first] = running;
    const urls = running.map((emu) => `${emu.url}\n`).join("");
    process.stdout.write(`${urls}${summary(first!, flags).join("\n")}\n${tenants > 1 ? `${tenants} tenants, each with its own copy of the data: the URLs above.\n` : ""}`);
    const signal = await stop.signal;
    process.stderr.write(`${signal}: stopping the emulator…\n`);
    return 0;
  } finally {
    stop.dispose();
    await Promise.all(running.map((emu) => emu.close()));
  }
}

function emulatorOptions(flags: EmulatorFlags): EmulatorOptions {
  const optional = <T>(value: T | undefined, make: (v: T) => EmulatorOptions): EmulatorOptions => (value === undefined ? {} : make(value));
  if (!(API_GENERATIONS as readonly string[]).includes(flags.api)) {
    throw new WfsyncError("E_EMULATOR_OPTION", `--api must be ${API_GENERATIONS.join(" or ")}, got ${JSON.stringify(flags.api)}`);
  }
  return {
    api: flags.api as ApiGeneration,
    port: number("--port", flags.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "an integer 0..65535"),
    host: flags.host,
    username: flags.username,
    password: flags.password,
    token: flags.token,
    ticket: flags.ticket,
    appToken: flags.appToken,
    ...(flags.online ? { online: {} } : {}),
    ...optional(flags.data, (dataFile) => ({ dataFile })),
    ...optional(flags.seed, (seedFile) => ({ seedFile })),
    ...optional(flags.rateLimit, (v) => ({ rateLimit: number("--rate-limit", v, (n) => n > 0, "a number > 0") })),
    ...optional(flags.latency, (v) => ({ latency: number("--latency", v, (n) => n >= 0, "milliseconds ≥ 0") })),
    ...optional(flags.failRate, (v) => ({ failRate: number("--fail-rate", v, (n) => n >= 0 && n <= 1, "a number 0..1") })),
  };
}

function number(flag: string, text: string, valid: (n: number) => boolean, expected: string): number {
  const n = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(n) || !valid(n)) throw new WfsyncError("E_EMULATOR_OPTION", `${flag} must be ${expected}, got ${JSON.stringify(text)}`);
  return n;
}

function summary(emu: RunningEmulator, flags: EmulatorFlags): string[] {
  const lines = [
    `wfsync emulator: SuperOffice WebAPI, Workflow agent (${emu.api === "12" ? "SuperOffice 12.x, current API generation" : "servers 10.2.4–10.2.9"})`,
    `  api:    ${emu.api}${emu.api === "12" ? " (options saved inside the whole flow: SaveEmailFlow)" : " (options saved one at a time; --api 12 for SuperOffice 12.x)"}`,
    ...(emu.online
      ? [
          `  online: environment ${emu.url} (WFSYNC_ONLINE_ENV=${emu.url}); tenant ${emu.online.tenantId} on ${emu.online.tenantUrl()}`,
          `  agent:  ${emu.online.tenantUrl()}/api/v1/Agents/Workflow/<Method>`,
          `  auth:   system user tickets only; register the app: POST ${emu.url}/__emulator/online/app`,
        ]
      : [`  agent:  ${emu.url}/api/v1/Agents/Workflow/<Method>`, `  auth:   ${emu.authDescription}`]),
  ];
  if (emu.credentials.isDefault && !emu.online) {
    lines.push(`          (clients: WFSYNC_USERNAME=${DEFAULT_USERNAME} WFSYNC_PASSWORD=${DEFAULT_PASSWORD} WFSYNC_URL=${emu.url})`);
  }
  lines.push(`  data:   ${emu.dataSource}${flags.data !== undefined ? `, kept in ${flags.data}` : ", in memory"}`);
  const flows = emu.workflows();
  for (const flow of flows.slice(0, MAX_FLOWS_SHOWN)) {
    const splits = flow.Steps.filter((s) => s.StepType === "Split").map((s) => s.WorkflowStepId);
    lines.push(`  flow:   ${flow.WorkflowId} ${JSON.stringify(flow.Name)} (email flow ${flow.EmailFlowId}; splits ${splits.join(", ") || "none"})`);
  }
  if (flows.length > MAX_FLOWS_SHOWN) lines.push(`          … and ${flows.length - MAX_FLOWS_SHOWN} more (GET ${emu.url}/__emulator/data)`);
  const f = emu.faults();
  const faults = [
    f.latency > 0 ? `latency ${f.latency} ms` : "",
    f.rateLimit > 0 ? `rate limit ${f.rateLimit}/s` : "",
    f.failRate > 0 ? `fail rate ${f.failRate}` : "",
  ].filter(Boolean);
  lines.push(`  faults: ${faults.join(", ") || "none"}`);
  lines.push(`  admin:  ${emu.url}/__emulator/`);
  lines.push("Ctrl+C stops it.");
  return lines;
}

function waitForSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
