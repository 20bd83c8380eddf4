import path from "node:path";
import type { Command } from "commander";
import { redactUrl } from "../redact.js";
import { WfsyncError, formatLocation } from "../errors.js";
import { openState, storedEntry } from "../state/index.js";
import { openProject } from "../workspace/project.js";
import { globalOptions, type GlobalOptions } from "./global.js";
import { runCommand } from "./output.js";

/** The state file of the project in the current folder (from its config). */
function statePath(global: GlobalOptions): string {
  return openProject({ cwd: process.cwd(), config: global.config, overrides: { url: global.url, environment: global.env }, workflowFiles: "optional" }).config.state;
}

export function registerStateCommand(program: Command, setExit: (code: number) => void): void {
  const state = program.command("state").description("inspect and repair the state file (what wfsync last applied)");

  state
    .command("list")
    .description("one line per option wfsync manages: address, server id, where it is declared")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await runCommand(setExit, async () => {
        const file = statePath(globalOptions(cmd));
        const store = await openState(file, { lock: false });
        try {
          const entries = [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ tenant: store.tenant === undefined ? null : redactUrl(store.tenant), entries: entries.map(([address, e]) => ({ address, id: e.id, source: e.source ? formatLocation(e.source) : null, appliedAt: e.appliedAt })) }, null, 2)}\n`);
            return 0;
          }
          process.stdout.write(`state ${path.relative(process.cwd(), file) || file} (tenant ${store.tenant === undefined ? "not bound yet" : redactUrl(store.tenant)}): ${entries.length} option${entries.length === 1 ? "" : "s"}\n`);
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
        const store = await openState(statePath(globalOptions(cmd)), { lock: false });
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
        const file = statePath(globalOptions(cmd));
        const peek = await openState(file, { lock: false });
        const tenant = peek.tenant;
        await peek.close();
        const store = await openState(file, { lock: true, command: "wfsync state rm", ...(tenant ? { tenant } : {}) });
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
}

function notFound(address: string, known: string[]): WfsyncError {
  const near = known.filter((k) => k.endsWith(`/${address.split("/").pop()}`)).slice(0, 3);
  return new WfsyncError(
    "E_STATE_NO_ENTRY",
    `the state has no option ${address}${near.length ? `; did you mean ${near.join(", ")}?` : ""} (see \`wfsync state list\`)`,
  );
}
