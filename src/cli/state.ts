import path from "node:path";
import type { Command } from "commander";
import { redactUrl, redactUrlsInText } from "../redact.js";
import { WfsyncError, formatLocation } from "../errors.js";
import { DEFAULT_STATE_PATH, copyState, isDatabaseState, listDatabaseStates, openState, storedEntry, type OpenStateOptions, type StateStore } from "../state/index.js";
import { openProject } from "../workspace/project.js";
import { parseAddress } from "../model/option.js";
import { globalOptions, type GlobalOptions } from "./global.js";
import { runCommand } from "./output.js";

/** The project's state (config "state" or WFSYNC_STATE_URL), its tenant, and where its root is. */
interface ProjectState {
  readonly state: string;
  readonly url: string | undefined;
  readonly root: string;
  readonly lockTimeoutMs: number | undefined;
  /** The config has environments and none was chosen (`state list --all` only). */
  readonly noEnvironment?: boolean;
}

/**
 * `anyEnvironment`: a project with environments needs none chosen (`state list --all`: a
 * database shared by all of them, WFSYNC_STATE_URL say, is one and the same whichever it is).
 */
function projectState(global: GlobalOptions, anyEnvironment = false): ProjectState {
  const { config } = openProject({
    cwd: process.cwd(),
    config: global.config,
    overrides: { url: global.url, environment: global.env },
    workflowFiles: "optional",
    ...(anyEnvironment ? { environment: "any" as const } : {}),
  });
  const noEnvironment = config.environments.length > 0 && config.environment === undefined;
  return { state: config.state, url: config.url, root: config.root, lockTimeoutMs: global.lockTimeout, ...(noEnvironment ? { noEnvironment } : {}) };
}

/**
 * A database holds the state of every tenant, named after it: the tenant URL (when known) says
 * which. A file is opened without it, so that `state list` shows a file whatever it is bound to.
 */
function openProjectState(p: ProjectState, options: Omit<OpenStateOptions, "tenant">): Promise<StateStore> {
  const tenant = isDatabaseState(p.state) ? p.url : undefined;
  return openState(p.state, { ...options, ...(tenant ? { tenant } : {}), ...(p.lockTimeoutMs !== undefined ? { lockTimeoutMs: p.lockTimeoutMs } : {}) });
}

/** `state list --all`: every state of the project's database, one line (or JSON object) each. */
async function listAll(p: ProjectState, json: boolean): Promise<number> {
  if (!isDatabaseState(p.state)) {
    if (p.noEnvironment) throw new WfsyncError("E_USAGE", "--all lists the states of a PostgreSQL database: set WFSYNC_STATE_URL, or choose an environment whose state is one (--env NAME)");
    throw new WfsyncError("E_USAGE", `--all lists the states of a PostgreSQL database; this project's state is the file ${path.relative(process.cwd(), p.state) || p.state}, which holds one`);
  }
  const { shown: where, states } = await listDatabaseStates(p.state);
  const rows = states.map((s) => ({ ...s, name: redactUrlsInText(s.name), tenant: redactUrl(s.tenant) }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ database: where, states: rows }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${where}: ${rows.length} state${rows.length === 1 ? "" : "s"}\n`);
  const width = Math.max(0, ...rows.map((r) => r.name.length));
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(width)}  ${r.tenant}  api ${r.api ?? "-"}  ${r.options} option${r.options === 1 ? "" : "s"}  last written ${r.updatedAt}\n`);
  }
  return 0;
}

function shown(store: StateStore): string {
  return path.isAbsolute(store.path) ? path.relative(process.cwd(), store.path) || store.path : store.path;
}

export function registerStateCommand(program: Command, setExit: (code: number) => void): void {
  const state = program.command("state").description("inspect, repair and move the state (what wfsync last applied): a file, or a PostgreSQL database");

  state
    .command("list")
    .description("one line per option wfsync manages: address, server id, where it is declared")
    .option("--json", "print as JSON")
    .option("--all", "a PostgreSQL state: every state the database holds (name, tenant, options, last write) instead of one")
    .action(async (opts: { json?: boolean; all?: boolean }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const global = globalOptions(cmd);
        if (opts.all) return listAll(projectState(global, true), opts.json ?? false);
        const store = await openProjectState(projectState(global), { lock: false });
        try {
          const entries = [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ tenant: store.tenant === undefined ? null : redactUrl(store.tenant), entries: entries.map(([address, e]) => ({ address, id: e.id, source: e.source ? formatLocation(e.source) : null, appliedAt: e.appliedAt })) }, null, 2)}\n`);
            return 0;
          }
          process.stdout.write(`state ${shown(store)} (tenant ${store.tenant === undefined ? "not bound yet" : redactUrl(store.tenant)}): ${entries.length} option${entries.length === 1 ? "" : "s"}\n`);
          const width = Math.max(0, ...entries.map(([a]) => a.length));
          for (const [address, e] of entries) {
            process.stdout.write(`${address.padEnd(width)}  id ${String(e.id).padEnd(7)} ${e.source ? formatLocation(e.source) : ""}\n`);
          }
          return 0;
        } finally {
          await store.close();
        }
      });
    });

  state
    .command("show")
    .argument("<address>", "workflowId/workflowStepId/key, e.g. 679/844/vip")
    .description("everything the state holds for one option, as JSON (the model and the server's last answer)")
    .action(async (address: string, _opts: object, cmd: Command) => {
      await runCommand(setExit, async () => {
        const store = await openProjectState(projectState(globalOptions(cmd)), { lock: false });
        try {
          const entry = store.get(address);
          if (!entry) throw notFound(address, [...store.entries().keys()]);
          process.stdout.write(`${JSON.stringify({ address, ...storedEntry(entry) }, null, 2)}\n`);
          return 0;
        } finally {
          await store.close();
        }
      });
    });

  state
    .command("rm")
    .argument("<address>", "workflowId/workflowStepId/key")
    .description("forget one option (the server is not touched): the next plan adopts it by Key, or creates it")
    .action(async (address: string, _opts: object, cmd: Command) => {
      await runCommand(setExit, async () => {
        const p = projectState(globalOptions(cmd));
        const peek = await openProjectState(p, { lock: false });
        const tenant = peek.tenant;
        await peek.close();
        const store = await openState(p.state, { lock: true, command: "wfsync state rm", ...(tenant ? { tenant } : {}), ...(p.lockTimeoutMs !== undefined ? { lockTimeoutMs: p.lockTimeoutMs } : {}) });
        try {
          if (!store.get(address)) throw notFound(address, [...store.entries().keys()]);
          await store.remove(address);
          process.stdout.write(`removed ${address} from the state; the option on the server is unchanged\n`);
          return 0;
        } finally {
          await store.close();
        }
      });
    });

  state
    .command("mv")
    .argument("<old>", "the address the state has, e.g. 679/844/vip")
    .argument("<new>", "the address the code now gives that option, in the same split, e.g. 679/844/premium")
    .description("give one option a new address (a key renamed in code): the next plan updates it in place, one Save and no delete + create (the server is not touched now)")
    .action(async (from: string, to: string, _opts: object, cmd: Command) => {
      await runCommand(setExit, async () => {
        const p = projectState(globalOptions(cmd));
        const peek = await openProjectState(p, { lock: false });
        const tenant = peek.tenant;
        await peek.close();
        const store = await openState(p.state, { lock: true, command: "wfsync state mv", ...(tenant ? { tenant } : {}), ...lockWait(p) });
        try {
          const entry = store.get(from);
          if (!entry) throw notFound(from, [...store.entries().keys()]);
          const target = checkMove(from, to, store);
          // The hash stays the one last applied (with the old key): the next plan sees the key
          // differ and sends it (10.2), or records the new address (12, no Keys on the server).
          const option = { ...entry.option, key: target.key };
          // Removed first: two entries with one id would make the state unreadable, whereas an
          // entry lost to a crash right here is only adopted again by the next plan.
          await store.remove(from);
          await store.record(to, { ...entry, option });
          await store.flush();
          process.stdout.write(`moved ${from} to ${to} in the state (option id ${entry.id}); the next plan changes its key on the server in place\n`);
          return 0;
        } finally {
          await store.close();
        }
      });
    });

  state
    .command("push")
    .argument("[file]", `the state file to move into the database (default: ${DEFAULT_STATE_PATH} beside the config)`)
    .option("--force", "replace a database state that holds other entries")
    .description("copy a state file into the database the config's \"state\" (or WFSYNC_STATE_URL) names: a project starts sharing its state")
    .action(async (file: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const p = needDatabase(projectState(globalOptions(cmd)), "push");
        const from = await openState(path.resolve(p.root, file ?? DEFAULT_STATE_PATH), { lock: true, command: "wfsync state push" });
        try {
          if (from.tenant === undefined) throw new WfsyncError("E_STATE_EMPTY", `There is no state in ${shown(from)} to push.`);
          const to = await openState(p.state, { tenant: from.tenant, lock: true, command: "wfsync state push", ...lockWait(p) });
          try {
            const result = await copyState(from, to, { replace: opts.force ?? false });
            process.stdout.write(moved(result, from, to));
            process.stdout.write(`wfsync now reads the database state; ${shown(from)} is no longer read (keep it as a backup, or delete it)\n`);
          } finally {
            await to.close();
          }
          return 0;
        } finally {
          await from.close();
        }
      });
    });

  state
    .command("pull")
    .argument("[file]", `the state file to write (default: ${DEFAULT_STATE_PATH} beside the config)`)
    .option("--force", "replace a state file that holds other entries")
    .description("copy the database state the config names into a file: a backup, or a project that stops sharing its state")
    .action(async (file: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const p = needDatabase(projectState(globalOptions(cmd)), "pull");
        const from = await openProjectState(p, { lock: false });
        try {
          if (from.tenant === undefined) throw new WfsyncError("E_STATE_EMPTY", `There is no state in ${shown(from)} to pull.`);
          const to = await openState(path.resolve(p.root, file ?? DEFAULT_STATE_PATH), { tenant: from.tenant, lock: true, command: "wfsync state pull", ...lockWait(p) });
          try {
            process.stdout.write(moved(await copyState(from, to, { replace: opts.force ?? false }), from, to));
          } finally {
            await to.close();
          }
          return 0;
        } finally {
          await from.close();
        }
      });
    });
}

/** The new address of `state mv`: well formed, in the old one's split, not taken. */
function checkMove(from: string, to: string, store: StateStore): { key: string } {
  const a = parseAddress(from)!;
  const b = parseAddress(to);
  if (!b || b.key === "") throw new WfsyncError("E_USAGE", `state mv: ${JSON.stringify(to)} is no address; expected workflowId/workflowStepId/key, e.g. ${a.workflowId}/${a.workflowStepId}/${a.key}-new`);
  if (a.workflowId !== b.workflowId || a.workflowStepId !== b.workflowStepId) {
    throw new WfsyncError("E_USAGE", `state mv: ${to} is in split ${b.workflowId}/${b.workflowStepId}, not in ${a.workflowId}/${a.workflowStepId} where ${from} is; an option cannot move to another split in place (remove it from code there and declare it in the other)`);
  }
  if (from === to) throw new WfsyncError("E_USAGE", `state mv: ${from} is already at that address`);
  if (store.get(to)) throw new WfsyncError("E_USAGE", `state mv: the state already has ${to} (option id ${store.get(to)!.id}); \`wfsync state rm ${to}\` first if that entry is stale`);
  return { key: b.key };
}

function lockWait(p: ProjectState): { lockTimeoutMs?: number } {
  return p.lockTimeoutMs !== undefined ? { lockTimeoutMs: p.lockTimeoutMs } : {};
}

function needDatabase(p: ProjectState, verb: "push" | "pull"): ProjectState {
  if (isDatabaseState(p.state)) return p;
  throw new WfsyncError("E_USAGE", `state ${verb} moves a state between a file and a database, but this project's state is the file ${path.relative(process.cwd(), p.state) || p.state}.`, {
    detail: 'Set config "state" to the database (e.g. "postgres://wfsync@db.example.com/wfsync") or WFSYNC_STATE_URL first.',
  });
}

function moved(result: { copied: number; removed: number; same: boolean }, from: StateStore, to: StateStore): string {
  if (result.same) return `${shown(to)} already holds the ${to.entries().size} entries of ${shown(from)}; nothing copied\n`;
  const removed = result.removed ? `, removed ${result.removed} it had` : "";
  return `copied ${result.copied} entr${result.copied === 1 ? "y" : "ies"} from ${shown(from)} to ${shown(to)} (tenant ${redactUrl(from.tenant ?? "?")})${removed}\n`;
}

function notFound(address: string, known: string[]): WfsyncError {
  const near = known.filter((k) => k.endsWith(`/${address.split("/").pop()}`)).slice(0, 3);
  return new WfsyncError(
    "E_STATE_NO_ENTRY",
    `the state has no option ${address}${near.length ? `; did you mean ${near.join(", ")}?` : ""} (see \`wfsync state list\`)`,
  );
}
