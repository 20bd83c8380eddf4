/**
 * `wfsync state push/pull/list/show/rm` with a PostgreSQL state (the built CLI): a project moves
 * its state file into the database, works on it there, and pulls it back out.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { startCli } from "../helpers/cli.js";
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { adminClient, pgTitle, probePostgres, stateUrl, testSchema } from "../helpers/postgres.js";
import { configText, expectApplied, manyOptions, startEngine, workflowFile } from "../e2e/harness.js";

const probe = await probePostgres();

describe.skipIf(!probe.ok)(pgTitle("state commands on a PostgreSQL state", probe), () => {
  it("push moves the file into the database; list, show and rm work there; pull writes it back out", { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(5) }) } });
    expectApplied((await engine.apply()).result);
    const fileShow = await startCli(["state", "show", "679/844/o2"], { cwd: engine.project.dir }).done;
    expect(fileShow.code, fileShow.stderr).toBe(0);

    // The same project, now with its state in the database (named after its tenant: no ?name=).
    const url = stateUrl(schema);
    engine.project.write("sync.config.ts", configText(engine.emu.url, { state: url }));
    const cli = async (...args: string[]) => startCli(args, { cwd: engine.project.dir }).done;

    const pushed = await cli("state", "push");
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`copied 5 entries from .wfsync/state.json to postgres://[redacted]@127.0.0.1:5432/test?schema=${schema} (state "${engine.emu.url}") (tenant ${engine.emu.url})`);
    expect((await cli("state", "push")).stdout).toContain("already holds the 5 entries");

    const list = await cli("state", "list");
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split("\n")[0]).toBe(`state postgres://[redacted]@127.0.0.1:5432/test?schema=${schema} (state "${engine.emu.url}") (tenant ${engine.emu.url}): 5 options`);
    const show = await cli("state", "show", "679/844/o2");
    expect(show.stdout).toBe(fileShow.stdout);

    const rm = await cli("state", "rm", "679/844/o2");
    expect(rm.code, rm.stderr).toBe(0);
    expect((await cli("state", "list")).stdout).toContain(": 4 options");
    // The plan sees the forgotten option and adopts it by Key: nothing to create.
    const plan = await cli("plan", "--json");
    expect(JSON.parse(plan.stdout).summary.create).toBe(0);

    const refused = await cli("state", "push");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error E_STATE_EXISTS");
    expect(refused.stderr).toContain("pass --force");

    const pulled = await cli("state", "pull", "backup.json");
    expect(pulled.code, pulled.stderr).toBe(0);
    const backup = JSON.parse(fs.readFileSync(engine.project.path("backup.json"), "utf8"));
    expect(backup.tenant).toBe(engine.emu.url);
    expect(Object.keys(backup.entries).sort()).toEqual(["679/844/o0", "679/844/o1", "679/844/o3", "679/844/o4"]);

    const forced = await cli("state", "push", "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect((await cli("state", "list")).stdout).toContain(": 5 options");
  });

  it("refuses a password in the config's state URL without showing it; takes one from WFSYNC_STATE_URL", { timeout: 60_000 }, async () => {
    const admin = await adminClient();
    const schema = await testSchema(admin);
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(2) }) } });
    engine.project.write("sync.config.ts", configText(engine.emu.url, { state: "postgres://postgres:s3cret-pw@127.0.0.1:5432/test" }));
    const refused = await startCli(["state", "list"], { cwd: engine.project.dir }).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('config "state": the URL holds a password; credentials come from the environment');
    expect(refused.stderr).not.toContain("s3cret");

    // Trust auth ignores the password; what matters is that it is accepted from the environment and never shown.
    const withPassword = stateUrl(schema).replace("postgres@", "postgres:s3cret-pw@");
    const env = { ...EMULATOR_CREDENTIALS, WFSYNC_STATE_URL: withPassword };
    const applied = await startCli(["apply", "--auto-approve"], { cwd: engine.project.dir, env }).done;
    expect(applied.code, applied.stderr).toBe(0);
    const list = await startCli(["state", "list"], { cwd: engine.project.dir, env }).done;
    expect(list.stdout).toContain(": 2 options");
    expect(list.stdout + list.stderr + applied.stdout + applied.stderr).not.toContain("s3cret");
  });

  it("push and pull need a database state", async () => {
    const engine = await startEngine({ files: { "workflows/a.ts": workflowFile(679, { 844: manyOptions(1) }) } });
    const r = await startCli(["state", "pull"], { cwd: engine.project.dir }).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error E_USAGE: state pull moves a state between a file and a database, but this project's state is the file .wfsync/state.json.");
  });
});
