/**
 * `wfsync flows`: what the tenant has — its e-mail flows and their Split steps (ids, names,
 * option counts) — so a user can write `workflow(id, …)`/`split(id, …)` or defineValues for a
 * new tenant without opening the web UI. Reads only.
 */
import type { Command } from "commander";
import { connectTenant } from "../tenant/connect.js";
import { discoverFlows, type DiscoveredFlow } from "../tenant/discover.js";
import { redactUrl } from "../redact.js";
import { openProject } from "../workspace/project.js";
import { globalOptions, makeLogger } from "./global.js";
import { runCommand } from "./output.js";
import { logQueueEvents } from "./session.js";

interface FlowsFlags {
  json?: boolean;
  splits: boolean;
}

export function registerFlowsCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("flows")
    .description("list the tenant's e-mail flows and their Split steps (workflow and step ids, names, option counts); sends nothing that changes data")
    .option("--json", "print a JSON array: { workflowId, emailFlowId, name, splits: [{ workflowStepId, name, options }] }")
    .option("--no-splits", "only the flows (one request), not their Split steps (one request per flow)")
    .addHelpText(
      "after",
      `
The ids are what builder files use: workflow(WORKFLOW_ID, …) and wf.split(STEP_ID, …). Import
one with: wfsync import --email-flow EMAIL_FLOW_ID`,
    )
    .action(async (flags: FlowsFlags, cmd: Command) => {
      const global = globalOptions(cmd);
      await runCommand(setExit, async () => {
        const { config, compiler } = openProject({
          cwd: process.cwd(),
          config: global.config,
          overrides: { url: global.url, api: global.api, environment: global.env },
          workflowFiles: "optional",
        });
        compiler.close();
        const logger = makeLogger(global);
        const tenant = connectTenant(config, { logger, onQueueEvent: logQueueEvents(logger) });
        try {
          const flows = await discoverFlows(tenant, { splits: flags.splits });
          process.stdout.write(flags.json ? `${JSON.stringify(flows, null, 2)}\n` : renderFlows(tenant.url, flows));
          return 0;
        } finally {
          tenant.close();
        }
      });
    });
}

export function renderFlows(url: string, flows: readonly DiscoveredFlow[]): string {
  const lines = [`Tenant ${redactUrl(url)} · ${flows.length} e-mail ${flows.length === 1 ? "flow" : "flows"}`, ""];
  if (flows.length === 0) lines.push("  (none)");
  for (const f of flows) {
    lines.push(`workflow ${f.workflowId}  ${JSON.stringify(f.name)}  (e-mail flow ${f.emailFlowId})`);
    if (f.splits === undefined) continue;
    if (f.splits.length === 0) lines.push("    no Split steps");
    for (const s of f.splits) {
      const name = s.name === "" ? "" : `  ${JSON.stringify(s.name)}`;
      lines.push(`    split ${s.workflowStepId}${name}  ${s.options} ${s.options === 1 ? "option" : "options"}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
