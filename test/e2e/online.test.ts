/**
 * SuperOffice Online end to end: the built CLI signs in as the system user against the emulator
 * in Online mode on 127.0.0.1 (its key pair made by the test), finds the tenant's host through
 * the state API, applies, renews an expired ticket mid-apply without losing or repeating a
 * save, follows a 421, reports an offline tenant, and shows none of the secrets anywhere.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import type { RunningEmulator, RunningOnline } from "../../src/emulator/index.js";
import { BIN, runCli } from "../helpers/cli.js";
import { onCleanup } from "../helpers/cleanup.js";
import { onlineEnv, startOnlineEmulator, testApp } from "../helpers/online.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";
import { configText, duplicateKeys, manyOptions, workflowFile } from "./harness.js";

type OnlineEmulator = RunningEmulator & { online: RunningOnline };

const A = workflowFile(679, { 844: [{ key: "a" }, { key: "b" }] });

function onlineProject(files: Record<string, string>, config: Parameters<typeof configText>[1] = {}): TmpProject {
  // The tenant by its id alone; the environment (the emulator) comes from WFSYNC_ONLINE_ENV.
  const p = makeProject({ "sync.config.ts": configText("Cust12345", config), ...files }, "wfsync-online-");
  onCleanup(() => p.cleanup());
  return p;
}

const cli = (p: TmpProject, emu: RunningEmulator, args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: p.dir, env: { ...onlineEnv(emu), ...env } });
const status = (emu: OnlineEmulator) => emu.online.status() as { signIns: number; stateLookups: number; misdirected: number };
const hostOf = (url: string): string => new URL(url).host;

/** Everything the run wrote where a person or a CI log could read it. */
function expectNoSecrets(texts: readonly string[], extra: readonly string[] = []): void {
  const app = testApp();
  const keyLines = app.privateKeyPem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
  const secrets = [app.clientSecret, app.systemUserToken, ...keyLines, ...extra];
  const all = texts.join("\n");
  for (const secret of secrets) expect(all.includes(secret), `a secret (${secret.slice(0, 6)}…) was shown or stored`).toBe(false);
}

describe("SuperOffice Online through the CLI", () => {
  it("signs in as the system user, names the tenant, applies, and converges; no secret in any output or file", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const p = onlineProject({ "workflows/a.ts": A });
    const host = hostOf(emu.online.hosts[0]!);
    fs.writeFileSync(p.path("app.pem"), testApp().privateKeyPem);
    const byFile = { WFSYNC_PRIVATE_KEY: p.path("app.pem") };

    const plan = await cli(p, emu, ["plan"], byFile);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split("\n")[0]).toBe(`Tenant Cust12345 (${host}), SuperOffice 12.4.1514 · SuperOffice 10.2.10 → 12.x API (options saved inside the flow)`);

    const json = await cli(p, emu, ["plan", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      tenant: { url: `${emu.url}/Cust12345`, label: `Cust12345 (${host}), SuperOffice 12.4.1514`, id: "Cust12345", environment: emu.url, host, version: "12.4.1514" },
      api: "12",
      summary: { create: 2 },
    });

    const apply = await cli(p, emu, ["apply", "--auto-approve", "--log-level", "debug", "--log-file", "wfsync.log"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply: 2 applied, 0 failed");
    expect(apply.stderr).toContain("signed in as the system user");

    const again = await cli(p, emu, ["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain("No changes.");
    // The state is bound to the tenant, not to the host that serves it today.
    expect(JSON.parse(p.read(".wfsync/state.json")).tenant).toBe(`${emu.url}/Cust12345`);
    expect(emu.counters().unauthorized).toBe(0);

    const outputs = [plan, json, apply, again].flatMap((r) => [r.stdout, r.stderr]);
    const files = [".wfsync/state.json", "wfsync.log"].map((f) => p.read(f));
    expectNoSecrets([...outputs, ...files]);
    // The tickets the emulator issued (it keeps them only in memory) are secrets too.
    expect(`${outputs.join("")}${files.join("")}`).not.toMatch(/7T:[A-Za-z0-9+/=]{8}/);
  });

  it("renews a ticket that expires mid-apply: each option saved exactly once, the state exact", { timeout: 60_000 }, async () => {
    const emu = await startOnlineEmulator({ api: "10.2" });
    // A ticket dies after 8 calls: the apply's 20 saves (4 at a time) run into 401s again and
    // again. A request refused twice stops the apply, as it should; a ticket living twice the
    // concurrency keeps the renewed one alive until every request refused before has re-sent.
    emu.online.update({ ticketCalls: 8 });
    const p = onlineProject(
      { "workflows/a.ts": workflowFile(679, { 844: manyOptions(10, "a") }), "workflows/b.ts": workflowFile(702, { 910: manyOptions(10, "b") }) },
      { concurrency: 4, rate: 1000 },
    );
    const apply = await cli(p, emu, ["apply", "--auto-approve", "--log-file", "wfsync.log"]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply: 20 applied, 0 failed");

    const counters = emu.counters();
    expect(counters.unauthorized).toBeGreaterThan(0);
    expect(status(emu).signIns).toBeGreaterThan(1);
    // A refused save did nothing and was sent once more: 20 saves took effect, not one more.
    expect(counters.handled.SaveWorkflowStepOption).toBe(20);
    const options = emu.data().options;
    expect(options).toHaveLength(20);
    expect(duplicateKeys(options)).toEqual([]);
    const state = JSON.parse(p.read(".wfsync/state.json")) as { entries: Record<string, { id: number }> };
    const ids = new Map(options.map((o) => [`${o.WorkflowId}/${o.WorkflowStepId}/${o.Key}`, o.WorkflowStepOptionId]));
    expect(Object.fromEntries(Object.entries(state.entries).map(([address, e]) => [address, e.id]))).toEqual(Object.fromEntries(ids));

    const again = await cli(p, emu, ["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    expectNoSecrets([apply.stdout, apply.stderr, again.stdout, again.stderr, p.read(".wfsync/state.json"), p.read("wfsync.log")]);
  });

  it("follows a 421: the tenant moved and the state API named its old host once more", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    emu.online.update({ host: 2, staleLookups: 1 });
    const p = onlineProject({ "workflows/a.ts": A });
    const apply = await cli(p, emu, ["apply", "--auto-approve"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout.split("\n")[0]).toContain(`Tenant Cust12345 (${hostOf(emu.online.hosts[1]!)})`);
    expect(status(emu)).toMatchObject({ misdirected: 1, stateLookups: 2 });
    expect(emu.data().options).toHaveLength(2);
  });

  it.each([
    { state: "Offline", words: "Cust12345 is offline" },
    { state: "Maintenance", words: "Cust12345 is in maintenance" },
  ])("reports a tenant that is $state with E_TENANT_OFFLINE, sending nothing", async ({ state, words }) => {
    const emu = await startOnlineEmulator({ api: "12" });
    emu.online.update({ state });
    const p = onlineProject({ "workflows/a.ts": A });
    for (const args of [["plan"], ["apply", "--auto-approve"]]) {
      const run = await cli(p, emu, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("E_TENANT_OFFLINE");
      expect(run.stderr).toContain(words);
      expect(run.stderr).not.toMatch(/network|ECONN|\n\s+at /);
    }
    expect(emu.counters().total).toBe(0);
    expect(status(emu).signIns).toBe(0);
  });

  it("refuses the system user against an on-site URL, naming what to set", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const p = onlineProject({ "workflows/a.ts": A });
    const run = await cli(p, emu, ["plan", "--url", "https://crm.example.com/sales"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("E_SYSTEM_USER_ONSITE");
    expect(run.stderr).toContain("Cust12345");
    expectNoSecrets([run.stdout, run.stderr]);
  });

  it("watch's start line names the tenant, its host and version", { timeout: 60_000 }, async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const p = onlineProject({ "workflows/a.ts": A });
    const child = spawn(process.execPath, [BIN, "watch"], { cwd: p.dir, env: { PATH: process.env.PATH, NO_COLOR: "1", ...onlineEnv(emu) }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    let out = "";
    const ready = new Promise<string>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const line = out.split("\n").find((l) => l.startsWith("watching "));
        if (line) resolve(line);
      });
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    try {
      const line = await Promise.race([ready, exited.then((code) => `exited ${code}: ${out}`)]);
      expect(line).toMatch(new RegExp(`^watching 1 file \\(2 options\\) → Cust12345 \\(${hostOf(emu.online.hosts[0]!).replace(/\./g, "\\.")}\\), SuperOffice 12\\.4\\.1514 \\(SuperOffice 10\\.2\\.10 → 12\\.x API`));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expectNoSecrets([out]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
