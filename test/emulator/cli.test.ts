/**
 * `wfsync emulator` as a user runs it: the built CLI (npm test builds it first), first stdout
 * line the base URL, clean exit 0 on SIGTERM with the data file written.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, vipOption } from "./helpers.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(root, "bin/wfsync.js");
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(join(root, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does it in pretest)");
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts the CLI with no WFSYNC_* variables, so the documented default user applies. */
function runCli(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_")));
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<string>((res, rej) => {
    lines.once("line", res);
    child.once("exit", (code) => rej(new Error(`exited ${code} before printing: ${stderr}`)));
  });
  firstLine.catch(() => {}); // awaited only by tests that expect a start
  const exit = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return { child, firstLine, exit, stderr: () => stderr };
}

describe("wfsync emulator (CLI)", () => {
  it("prints the base URL first, serves, and exits 0 on SIGTERM after writing its data file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wfsync-emulator-cli-"));
    try {
      const dataFile = join(dir, "data.json");
      const run = runCli(["emulator", "--port", "0", "--data", dataFile]);
      const url = await run.firstLine;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const saved = await call({ url }, "SaveWorkflowStepOption", { body: vipOption() });
      expect(saved.status).toBe(200);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      const onDisk = JSON.parse(await readFile(dataFile, "utf8")) as { options: unknown[] };
      expect(onDisk.options).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 with a message for an invalid flag value", async () => {
    const run = runCli(["emulator", "--port", "0", "--fail-rate", "2"]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain("--fail-rate must be a number 0..1");
    const api = runCli(["emulator", "--port", "0", "--api", "11"]);
    expect(await api.exit).toBe(1);
    expect(api.stderr()).toContain('--api must be 10.2 or 12, got "11"');
  });

  it("--api 12 plays a 12.x server and says so; --help names both profiles", async () => {
    const run = runCli(["emulator", "--port", "0", "--api", "12"]);
    const url = await run.firstLine;
    const root = (await (await fetch(`${url}/`)).json()) as { api: string; server: string };
    expect(root).toMatchObject({ api: "12", server: "SuperOffice 12.x (current API generation)" });
    expect((await call({ url }, "CreateDefaultWorkflowStepOption")).status).toBe(404);
    expect((await call({ url }, "GetEmailFlow", { query: "emailFlowId=12" })).status).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);

    const help = runCli(["emulator", "--help"]);
    const out: string[] = [];
    help.child.stdout!.on("data", (d: Buffer) => out.push(d.toString()));
    expect(await help.exit).toBe(0);
    const text = out.join("");
    expect(text).toContain("--api <generation>");
    expect(text).toContain("SuperOffice 12.x (current API generation");
    expect(text).toContain("servers 10.2.4–10.2.9 (the default)");
  });

  it("--tenants serves independent tenants in one process: one URL a line, each its own data", async () => {
    const run = runCli(["emulator", "--port", "0", "--tenants", "3"]);
    const lines = createInterface({ input: run.child.stdout! });
    const urls: string[] = [];
    for await (const line of lines) {
      urls.push(line);
      if (urls.length === 3) break;
    }
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(urls).size).toBe(3);
    expect((await call({ url: urls[1]! }, "SaveWorkflowStepOption", { body: vipOption() })).status).toBe(200);
    const options = async (url: string) => ((await (await fetch(`${url}/__emulator/data`)).json()) as { options: unknown[] }).options.length;
    expect([await options(urls[0]!), await options(urls[1]!), await options(urls[2]!)]).toEqual([0, 1, 0]);
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);

    const refused = runCli(["emulator", "--port", "0", "--tenants", "2", "--data", join(tmpdir(), "never-written.json")]);
    expect(await refused.exit).toBe(1);
    expect(refused.stderr()).toContain("--tenants cannot go with --data");
  });
});
