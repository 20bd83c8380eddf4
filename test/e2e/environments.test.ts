/**
 * One code base, two tenants: the same flow has different ids on each (defineValues), one tenant
 * speaks the 10.2 API and the other the current one, each environment has its own state bound to
 * its tenant. Runs the built CLI against two emulators on 127.0.0.1.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { splitOptionNames as names, startTestEmulator } from "../helpers/emulator.js";
import { makeProject } from "../helpers/tmp-project.js";
import { onCleanup } from "../helpers/cleanup.js";

const seed = (workflowId: number, emailFlowId: number, splitId: number) => ({
  workflows: [{ workflowId, emailFlowId, name: "Onboarding", steps: [{ workflowStepId: splitId, stepType: "Split", options: [] }] }],
});

const IDS = `import { defineValues } from "wfsync";

export const ids = defineValues({
  sandbox: { onboarding: { flow: 679, split: 844 } },
  production: { onboarding: { flow: 5001, split: 7002 } },
});
`;

const FLOW = `import { workflow } from "wfsync";
import { ids } from "./ids";

export default workflow(ids.onboarding.flow, (wf) =>
  wf.split(ids.onboarding.split, (s) => {
    s.option("vip", { name: "VIP customers" }, (p) => p.sendEmail({ shipmentId: 21, subject: "Welcome" }));
    s.option("rest", { name: "Everyone else" });
  }),
);
`;

async function twoTenants() {
  const sandbox = await startTestEmulator({ seed: seed(679, 12, 844) });
  const production = await startTestEmulator({ seed: seed(5001, 40, 7002), api: "12" });
  const project = makeProject({
    "sync.config.ts": `import { defineConfig } from "wfsync";

export default defineConfig({
  environments: {
    sandbox: { url: process.env.SANDBOX_URL },
    production: { url: process.env.PRODUCTION_URL },
  },
});
`,
    "workflows/ids.ts": IDS,
    "workflows/onboarding.ts": FLOW,
  });
  onCleanup(() => project.cleanup());
  const env = { WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "wfsync", SANDBOX_URL: sandbox.url, PRODUCTION_URL: production.url };
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env });
  return { sandbox, production, project, env, cli };
}

describe("environments end to end", () => {
  it("applies one code base to two tenants with different ids and API generations, and both converge", async () => {
    const { sandbox, production, project, cli } = await twoTenants();

    const validate = await cli("validate");
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toContain("valid in every environment (sandbox, production)");

    const noEnv = await cli("plan");
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toContain("E_NO_ENV");
    expect(noEnv.stderr).toContain("sandbox, production");

    for (const env of ["sandbox", "production"]) {
      const apply = await cli("apply", "--env", env, "--auto-approve");
      expect(apply.stderr, env).toBe("");
      expect(apply.code, env).toBe(0);
    }
    expect(names(sandbox, 844)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(production, 7002)).toEqual(["Everyone else", "VIP customers"]);
    expect(production.counters().byMethod.SaveWorkflowStepOption ?? 0).toBe(0);
    expect(sandbox.counters().byMethod.SaveEmailFlow ?? 0).toBe(0);

    // Each environment has its own state, bound to its own tenant.
    const sandboxState = JSON.parse(project.read(".wfsync/sandbox.state.json"));
    const productionState = JSON.parse(project.read(".wfsync/production.state.json"));
    expect(sandboxState.tenant).toBe(sandbox.url);
    expect(Object.keys(sandboxState.entries).sort()).toEqual(["679/844/rest", "679/844/vip"]);
    expect(productionState.tenant).toBe(production.url);
    expect(Object.keys(productionState.entries).sort()).toEqual(["5001/7002/rest", "5001/7002/vip"]);

    for (const env of ["sandbox", "production"]) {
      const plan = await cli("plan", "--env", env, "--detailed-exitcode");
      expect(plan.code, `${env}: ${plan.stdout}${plan.stderr}`).toBe(0);
      expect(plan.stdout).toContain("0 to create, 0 to update, 0 to delete");
    }
  });

  it("refuses an environment's state pointed at another tenant", async () => {
    const { project, cli, env } = await twoTenants();
    expect((await cli("apply", "--env", "sandbox", "--auto-approve")).code).toBe(0);
    project.write(
      "sync.config.ts",
      `import { defineConfig } from "wfsync";\n\nexport default defineConfig({\n  environments: {\n    sandbox: { url: process.env.SANDBOX_URL },\n    production: { url: process.env.PRODUCTION_URL, state: ".wfsync/sandbox.state.json" },\n  },\n});\n`,
    );
    const wrong = await runCli(["plan", "--env", "production"], { cwd: project.dir, env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/E_STATE_TENANT/);
  });

  it("keeps one tenant's failure to that tenant: the other stays applied", async () => {
    const { sandbox, production, cli } = await twoTenants();
    production.setCredentials({ username: "someone", password: "else" });
    const bad = await cli("apply", "--env", "production", "--auto-approve");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/401|credentials/i);
    const good = await cli("apply", "--env", "sandbox", "--auto-approve");
    expect(good.code).toBe(0);
    expect(names(sandbox, 844)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(production, 7002)).toEqual([]);
  });

  it("lists each tenant's flows with their own ids", async () => {
    const { cli } = await twoTenants();
    const flows = await cli("flows", "--env", "production", "--json");
    expect(flows.stderr).toBe("");
    expect(JSON.parse(flows.stdout)).toEqual([{ workflowId: 5001, emailFlowId: 40, name: "Onboarding", splits: [{ workflowStepId: 7002, name: "", options: 0 }] }]);
    const text = await cli("flows", "--env", "sandbox");
    expect(text.stdout).toContain('workflow 679  "Onboarding"  (e-mail flow 12)');
    expect(text.stdout).toContain("split 844  0 options");
  });

  it("plans and applies a fleet: every environment on its own tenant, one approval, the worst exit code", async () => {
    const { sandbox, production, cli } = await twoTenants();

    const json = await cli("plan", "--all-envs", "--json");
    expect(json.code).toBe(0);
    const docs = JSON.parse(json.stdout) as { format_version: number; environment: string; tenant: { url: string }; api: string; summary: { create: number } }[];
    expect(docs.every((d) => d.format_version === 1)).toBe(true);
    expect(docs.map((d) => [d.environment, d.tenant.url, d.api, d.summary.create])).toEqual([
      ["sandbox", sandbox.url, "10.2", 2],
      ["production", production.url, "12", 2],
    ]);

    // Off a terminal nothing is sent without --auto-approve, for any tenant.
    const unapproved = await cli("apply", "--env", "sandbox", "--env", "production");
    expect(unapproved.code).toBe(1);
    expect(unapproved.stderr).toContain("E_NEEDS_APPROVAL");
    expect(names(sandbox, 844)).toEqual([]);
    expect(names(production, 7002)).toEqual([]);

    // One tenant refusing the credentials leaves the other applied; the exit code says so.
    production.setCredentials({ username: "someone", password: "else" });
    const apply = await cli("apply", "--all-envs", "--auto-approve");
    expect(apply.code).toBe(1);
    expect(names(sandbox, 844)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(production, 7002)).toEqual([]);
    const table = apply.stdout.slice(apply.stdout.lastIndexOf("Environment"));
    expect(table).toMatch(/sandbox\s+\S+\s+2\s+0\s+0\s+2 applied/);
    expect(table).toMatch(/production\s+\S+\s+-\s+-\s+-\s+error E_\w+/);

    production.setCredentials({});
    const rest = await cli("apply", "--all-envs", "--auto-approve");
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    expect(names(production, 7002)).toEqual(["Everyone else", "VIP customers"]);
    const plan = await cli("plan", "--all-envs", "--detailed-exitcode");
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toMatch(/sandbox\s+\S+\s+0\s+0\s+0\s+no changes/);
  });

  it("a fleet on GitHub Actions: one annotation for a type error in both environments, a Markdown plan per environment", async () => {
    const { project, env } = await twoTenants();
    const md = await runCli(["plan", "--all-envs", "--format", "markdown"], { cwd: project.dir, env: { ...env, GITHUB_ACTIONS: undefined } });
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain("### wfsync plan: environment `sandbox`");
    expect(md.stdout).toContain("### wfsync plan: environment `production`");
    expect(md.stdout.match(/\*\*Plan: 2 to create/g)).toHaveLength(2);
    project.write("workflows/onboarding.ts", FLOW.replace("shipmentId: 21", 'shipmentId: "21"'));
    const run = await runCli(["plan", "--all-envs"], { cwd: project.dir, env: { ...env, GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: project.dir } });
    expect(run.code).toBe(1);
    const annotations = run.stderr.split("\n").filter((l) => l.startsWith("::error "));
    expect(annotations, run.stderr).toHaveLength(1);
    expect(annotations[0]).toMatch(/^::error file=workflows\/onboarding\.ts,line=6,col=\d+,title=wfsync TS2322::/);
  });

  it("stops a fleet environment whose code fails for it before its tenant is asked anything; the others are planned", async () => {
    const { sandbox, production, project, cli } = await twoTenants();
    // The subject is a value only sandbox has: production's evaluation throws, sandbox's does not.
    project.write(
      "workflows/subject.ts",
      `import { defineValues } from "wfsync";\n\nexport const subject = (defineValues({ sandbox: { text: "Hi" } }) as { text: string }).text;\n`,
    );
    project.write("workflows/onboarding.ts", `import { subject } from "./subject";\n${FLOW.replace('subject: "Welcome"', "subject")}`);
    const before = { sandbox: sandbox.counters().total, production: production.counters().total };
    const plan = await cli("plan", "--all-envs");
    expect(plan.code, plan.stdout + plan.stderr).toBe(1);
    expect(plan.stdout).toContain('defineValues has no values for environment "production"');
    expect(plan.stdout).toMatch(/sandbox\s+\S+\s+2\s+0\s+0\s+changes/);
    expect(plan.stdout).toMatch(/production\s+\S+\s+-\s+-\s+-\s+error E_COMPILE/);
    expect(production.counters().total).toBe(before.production);
    expect(sandbox.counters().total).toBeGreaterThan(before.sandbox);
  });

  it("streams a fleet apply as NDJSON: every event names its environment, each environment ends with its summary or error", async () => {
    const { sandbox, production, cli } = await twoTenants();
    production.setCredentials({ username: "someone", password: "else" });
    const run = await cli("apply", "--all-envs", "--auto-approve", "--json=stream");
    expect(run.code, run.stderr).toBe(1);
    const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string; environment?: string; result?: string; applied?: number; code?: string });
    expect(events.every((e) => e.environment === "sandbox" || e.environment === "production")).toBe(true);
    const of = (env: string) => events.filter((e) => e.environment === env);
    // sandbox: its plan first, two creates started and done (in the order the tenant answers),
    // its summary last, with the counts of its operation_done events.
    const types = of("sandbox").map((e) => e.type);
    expect([types[0], types.at(-1)]).toEqual(["plan", "summary"]);
    expect(types.slice(1, -1).sort()).toEqual(["operation_done", "operation_done", "operation_started", "operation_started"]);
    const done = of("sandbox").filter((e) => e.type === "operation_done");
    expect(done.map((e) => e.result)).toEqual(["applied", "applied"]);
    expect(of("sandbox").at(-1)).toMatchObject({ type: "summary", applied: 2, failed: 0 });
    // production refused the credentials while planning: one error event, nothing else of it.
    expect(of("production").map((e) => [e.type, e.code])).toEqual([["error", "E_API_AUTH"]]);
    expect(names(sandbox, 844)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(production, 7002)).toEqual([]);

    production.setCredentials({});
    const again = await cli("apply", "--all-envs", "--auto-approve", "--json=stream");
    expect(again.code, again.stderr).toBe(0);
    const second = again.stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string; environment: string; applied?: number });
    expect(second.filter((e) => e.type === "summary").map((e) => [e.environment, e.applied])).toEqual([
      ["sandbox", 0],
      ["production", 2],
    ]);
  });

  it("refuses several environments where a command follows one, and unknown names", async () => {
    const { cli } = await twoTenants();
    const watch = await cli("watch", "--all-envs");
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain("watch works on one environment");
    const unknown = await cli("plan", "--env", "sandbox", "--env", "staging");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("--env staging: the config has no such environment; it defines sandbox, production");
  });

  it("writes a second tenant's ids into defineValues by matching flows and splits by name, leaving out what it cannot match", async () => {
    const { project, cli } = await twoTenants();
    project.write(
      "workflows/ids.ts",
      `import { defineValues } from "wfsync";\n\nexport const ids = defineValues({\n  sandbox: { onboarding: { flow: 679, split: 844 }, lists: { vip: 12 }, subject: "Welcome" },\n});\n`,
    );
    project.write("workflows/onboarding.ts", FLOW.replace("Welcome", "Welcome").replace("shipmentId: 21", "shipmentId: ids.lists.vip"));
    const r = await cli("import", "--ids-from", "sandbox", "--env", "production");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("added production in defineValues at workflows/ids.ts:3");
    expect(r.stdout).toContain('onboarding.flow: 679 → 5001  (flow "Onboarding")');
    expect(r.stdout).toContain('onboarding.split: 844 → 7002  (flow "Onboarding", Split step 1 of 1 (by place: no split names))');
    expect(r.stdout).toContain("lists.vip: 12 → left out: not a workflow or Split step id on sandbox");
    expect(r.stdout).toContain("subject: not an id: kept, or copied from the source");
    expect(project.read("workflows/ids.ts")).toContain('  production: { onboarding: { flow: 5001, split: 7002 }, lists: {}, subject: "Welcome" },\n');
    // Until the id left out is filled in, every environment's check names it.
    const invalid = await cli("validate");
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('environment "production" has no value for lists.vip (environment "sandbox" has 12)');

    // Filled in by hand, then run again: the entry is rewritten in place and the hand-set id stays.
    project.write("workflows/ids.ts", project.read("workflows/ids.ts").replace("lists: {}", "lists: { vip: 40 }"));
    expect((await cli("validate")).code).toBe(0);
    const again = await cli("import", "--ids-from", "sandbox", "--env", "production");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("rewrote production in defineValues at workflows/ids.ts:3");
    expect(again.stdout).toContain("lists.vip: 40 kept as it was");
    expect(project.read("workflows/ids.ts")).toContain('  production: { onboarding: { flow: 5001, split: 7002 }, lists: { vip: 40 }, subject: "Welcome" },\n');
    const usage = await cli("import", "--ids-from", "sandbox");
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("--ids-from sandbox needs --env TARGET");
  });

  it("gives each environment its own credentials (WFSYNC_<ENV>_…), never a mix with the shared ones", async () => {
    const { sandbox, production, project } = await twoTenants();
    production.setCredentials({ username: "prod-admin", password: "Pr0d-s3cret-pass" });
    const env = {
      WFSYNC_USERNAME: "wfsync",
      WFSYNC_PASSWORD: "wfsync",
      WFSYNC_PRODUCTION_USERNAME: "prod-admin",
      WFSYNC_PRODUCTION_PASSWORD: "Pr0d-s3cret-pass",
      SANDBOX_URL: sandbox.url,
      PRODUCTION_URL: production.url,
    };
    const apply = await runCli(["apply", "--all-envs", "--auto-approve"], { cwd: project.dir, env });
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(names(sandbox, 844)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(production, 7002)).toEqual(["Everyone else", "VIP customers"]);
    expect(apply.stdout).not.toContain("Pr0d-s3cret-pass");

    // Half an environment's credentials: refused in its own names; the shared ones are not used.
    const { WFSYNC_PRODUCTION_PASSWORD: _gone, ...half } = env;
    const refused = await runCli(["plan", "--env", "production"], { cwd: project.dir, env: half });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("E_NO_CREDENTIALS: WFSYNC_PRODUCTION_PASSWORD is not set; Basic authentication needs both WFSYNC_PRODUCTION_USERNAME and WFSYNC_PRODUCTION_PASSWORD.");
    const shared = await runCli(["plan", "--env", "sandbox"], { cwd: project.dir, env: half });
    expect(shared.code, shared.stderr).toBe(0);
  });

  it("a saved plan keeps its environment: plan --env production --out, then apply FILE; a conflicting --env is refused", async () => {
    const { sandbox, production, project, cli } = await twoTenants();
    const planned = await cli("plan", "--env", "production", "--out", "prod.json");
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(project.read("prod.json"))).toMatchObject({ environment: "production", api: "12" });
    const conflicting = await cli("apply", "prod.json", "--env", "sandbox", "--auto-approve");
    expect(conflicting.code).toBe(1);
    expect(conflicting.stderr).toContain("--env sandbox: prod.json was planned for environment production");
    const several = await cli("plan", "--env", "sandbox", "--env", "production", "--out", "both.json");
    expect(several.code).toBe(1);
    expect(several.stderr).toContain("--out saves the plan of one environment");
    const applied = await cli("apply", "prod.json", "--auto-approve");
    expect(applied.code, applied.stderr).toBe(0);
    expect(names(production, 7002)).toEqual(["Everyone else", "VIP customers"]);
    expect(names(sandbox, 844)).toEqual([]);
  });
});
