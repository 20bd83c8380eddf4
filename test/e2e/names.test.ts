/**
 * Flows and splits referred to by name: one file fits every tenant built from the same
 * template, each with its own ids, found on the tenant at plan time. Built CLI, emulators on
 * 127.0.0.1.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { splitOptionNames as names, startTestEmulator } from "../helpers/emulator.js";
import { makeProject } from "../helpers/tmp-project.js";
import { onCleanup } from "../helpers/cleanup.js";

const seed = (workflowId: number, emailFlowId: number, splitId: number, splitName?: string) => ({
  workflows: [
    { workflowId: workflowId + 1, emailFlowId: emailFlowId + 1, name: "Newsletter", steps: [{ workflowStepId: splitId + 50, stepType: "Split", options: [] }] },
    {
      workflowId,
      emailFlowId,
      name: "Onboarding",
      steps: [
        { workflowStepId: splitId - 1, stepType: "Split", options: [], ...(splitName ? { splitName: "Other split" } : {}) },
        { workflowStepId: splitId, stepType: "Split", options: [], ...(splitName ? { splitName } : {}) },
      ],
    },
  ],
});

const FLOW = `import { workflow } from "wfsync";

export default workflow("Onboarding", (wf) =>
  wf.split("Lead score", (s) => {
    s.option("vip", { name: "VIP customers" }, (p) => p.sendEmail({ shipmentId: 21, subject: "Welcome" }));
    s.option("rest", { name: "Everyone else" });
  }),
);
`;

async function project(files: Record<string, string>, env: Record<string, string>) {
  const p = makeProject(files);
  onCleanup(() => p.cleanup());
  const cli = (...args: string[]) => runCli(args, { cwd: p.dir, env: { WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "wfsync", ...env } });
  return { p, cli };
}

const CONFIG = `import { defineConfig } from "wfsync";

export default defineConfig({
  environments: {
    a: { url: process.env.A_URL },
    b: { url: process.env.B_URL },
  },
});
`;

describe("flows and splits by name", () => {
  it("applies one file to two tenants whose ids differ, with no id table, and converges", async () => {
    const a = await startTestEmulator({ api: "12", seed: seed(5001, 40, 7002, "Lead score") });
    const b = await startTestEmulator({ api: "12", seed: seed(900, 90, 950, "Lead score") });
    const { p, cli } = await project({ "sync.config.ts": CONFIG, "workflows/onboarding.ts": FLOW }, { A_URL: a.url, B_URL: b.url });

    const validate = await cli("validate");
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toContain("valid in every environment (a, b)");
    expect(validate.stdout).toContain("1 flow and 1 split referred to by name: found on the tenant by plan and apply");

    const offline = await cli("plan", "--env", "a", "--no-refresh");
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain("E_NAMES_OFFLINE");

    const apply = await cli("apply", "--all-envs", "--auto-approve");
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain("+ 5001/7002/vip");
    expect(apply.stdout).toContain("+ 900/950/vip");
    expect(names(a, 7002)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(b, 950)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(a, 7001)).toEqual([]);
    expect(Object.keys(JSON.parse(p.read(".wfsync/b.state.json")).entries).sort()).toEqual(["900/950/rest", "900/950/vip"]);

    const plan = await cli("plan", "--all-envs", "--detailed-exitcode");
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("reports a name the tenant does not have, or has twice, at the call that uses it; nothing is sent", async () => {
    const a = await startTestEmulator({ api: "12", seed: seed(5001, 40, 7002, "Lead score") });
    const config = `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: process.env.A_URL });\n`;
    const missing = FLOW.replace('workflow("Onboarding"', 'workflow("Onboardng"');
    const { p, cli } = await project({ "sync.config.ts": config, "workflows/onboarding.ts": missing }, { A_URL: a.url });
    const r = await cli("apply", "--auto-approve");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("workflows/onboarding.ts:3:16");
    expect(r.stderr).toContain('E_FLOW_NAME: no flow on');
    expect(r.stderr).toContain('is named "Onboardng" (it has "Newsletter", "Onboarding")');
    expect(a.counters().byMethod.SaveEmailFlow ?? 0).toBe(0);

    p.write("workflows/onboarding.ts", FLOW.replace('wf.split("Lead score"', 'wf.split("Lead scor"'));
    const split = await cli("plan");
    expect(split.code).toBe(1);
    expect(split.stderr).toContain("workflows/onboarding.ts:4:3");
    expect(split.stderr).toContain('E_SPLIT_NAME: no Split step of workflow 5001 on');
    expect(split.stderr).toContain('(it has "Other split", "Lead score")');

    // A name written in another case still finds the one flow.
    p.write("workflows/onboarding.ts", FLOW.replace('workflow("Onboarding"', 'workflow("onboarding"'));
    const folded = await cli("plan");
    expect(folded.code, folded.stderr).toBe(0);
    expect(folded.stdout).toContain("+ 5001/7002/vip");
  });

  it("says why a split cannot be found by name on a server whose splits have no names (10.2.4–10.2.9)", async () => {
    const a = await startTestEmulator({ seed: seed(679, 12, 844) });
    const config = `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: process.env.A_URL });\n`;
    const { cli } = await project({ "sync.config.ts": config, "workflows/onboarding.ts": FLOW }, { A_URL: a.url });
    const r = await cli("plan");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("E_SPLIT_NAME: no Split step of workflow 679");
    expect(r.stderr).toContain("has a name (SplitName, servers 10.2.11 and later); refer to the split by its step id");
    // The flow itself is found by name there: only the split needs its id.
    const byId = FLOW.replace('wf.split("Lead score"', "wf.split(844");
    const p2 = await project({ "sync.config.ts": config, "workflows/onboarding.ts": byId }, { A_URL: a.url });
    const ok = await p2.cli("apply", "--auto-approve");
    expect(ok.code, ok.stderr).toBe(0);
    expect(names(a, 844)).toEqual(["Everyone else", "VIP customers"]);
  });
});
