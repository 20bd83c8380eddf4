/**
 * The `wfsync` command as users run it: `node bin/wfsync.js` (which needs `dist/`; `npm test`
 * builds it first in `pretest`).
 */
import { EMULATOR_CREDENTIALS } from "../helpers/emulator.js";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/wfsync.js", import.meta.url));
const VERSION = (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The environment without any WFSYNC_ setting of the machine running the tests. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WFSYNC_")));

function wfsync(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return wfsyncWith({}, cwd, ...args);
}

function wfsyncWith(env: Record<string, string>, cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...ENV, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let p: TmpProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe("--url", () => {
  it("a value that is no http(s) URL is a usage error of the flag, not of sync.config.ts", () => {
    p = makeProject({ "sync.config.ts": 'import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: "http://127.0.0.1:1" });\n' });
    for (const url of ["notaurl", "ftp://example.com"]) {
      const r = wfsync(p.dir, "plan", "--url", url);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error E_USAGE: --url: expected an http(s) URL such as https://online.superoffice.com/Cust12345 or an Online tenant id (Cust12345), got "${url}"\n`);
    }
  });

  it.each([
    ["another scheme", "ftp://anna:pa#ss-w0rd@host/Cust1", "ftp://[redacted]@host/Cust1"],
    ["a password with / and ?", "http://anna:pa/ss?w0rd@host/Cust1", "http://[redacted]@host/Cust1"],
    ["no scheme at all", "anna:pa#ss-w0rd@host", "[redacted]@host"],
  ])("names no part of the user name or password of a refused --url (%s)", (_what, url, shown) => {
    p = makeProject({ "sync.config.ts": 'import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: "http://127.0.0.1:1" });\n' });
    const r = wfsync(p.dir, "plan", "--url", url);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error E_USAGE: --url: expected an http(s) URL such as https://online.superoffice.com/Cust12345 or an Online tenant id (Cust12345), got "${shown}"\n`);
  });
});

describe("help and version", () => {
  it("prints help listing init and validate", () => {
    const r = wfsync(REPO, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wfsync /);
    expect(r.stdout).toMatch(/^\s+init \[dir\]/m);
    expect(r.stdout).toMatch(/^\s+validate\s/m);
  });

  it.each(["init", "validate"])("prints help for %s", (command) => {
    const r = wfsync(REPO, command, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: wfsync ${command}`);
  });

  it("prints the package version", () => {
    const r = wfsync(REPO, "--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it("fails on an unknown command", () => {
    const r = wfsync(REPO, "frobnicate");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe("validate", () => {
  const EXAMPLE = "3 workflows, 4 splits, 8 options, 26 steps: valid\n";

  it("validates the repository's example project", () => {
    const r = wfsync(REPO, "validate");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(EXAMPLE);
    expect(r.code).toBe(0);
  });

  it("works from another folder, through the absolute path of the bin and --config", () => {
    p = makeProject();
    const r = wfsync(p.dir, "--config", `${REPO}sync.config.ts`, "validate");
    expect(r.stdout).toBe(EXAMPLE);
    expect(r.code).toBe(0);
  });

  it("exits 1 with every problem at file:line:col and a count", () => {
    p = makeProject({
      "sync.config.ts": `import { defineConfig } from "wfsync";\n\nexport default defineConfig({});\n`,
      "workflows/a.ts": `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" }, (p) => p.sendEmail({ shipmentId: "3" }))));\n`,
      "workflows/b.ts": `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(3, (s) => {\n  s.option("k", { name: "K" });\n  s.option("k", { name: "L" });\n}));\n`,
    });
    const r = wfsync(p.dir, "validate");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^workflows\/a\.ts:3:\d+ - error TS2322: /m);
    expect(r.stderr).toMatch(/^> 3 \| export default workflow/m);
    expect(r.stderr).toMatch(/^workflows\/b\.ts:5:3 - error E_DUPLICATE_KEY: /m);
    expect(r.stderr).toMatch(/2 problems in 2 files\n$/);
  });

  it("exits 1 and says how to start when there is no config", () => {
    p = makeProject();
    const r = wfsync(p.dir, "validate");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error E_NO_CONFIG");
    expect(r.stderr).toContain("wfsync init");
  });
});

describe("init", () => {
  it("creates a project that validates out of the box", () => {
    p = makeProject();
    const r = wfsync(p.dir, "init", "proj");
    expect(r.code).toBe(0);
    for (const f of ["sync.config.ts", "workflows/example.ts", "tsconfig.json", ".gitignore"]) {
      expect(fs.existsSync(p.path(`proj/${f}`)), f).toBe(true);
    }
    expect(p.read("proj/.gitignore")).toBe(".wfsync/\n");
    const v = wfsync(p.path("proj"), "validate");
    expect(v.stderr).toBe("");
    expect(v.stdout).toBe("1 workflow, 1 split, 2 options, 4 steps: valid\n");
    expect(v.code).toBe(0);
    // A next step the user can type: wfsync is not on this PATH, so the full command.
    expect(r.stdout).toContain(`Next: cd proj && node ${fs.realpathSync(BIN)} validate\n`);
    // The config offers environments, commented out, and the example keeps off the demo's splits.
    expect(p.read("proj/sync.config.ts")).toMatch(/\/\/ environments: \{\n {2}\/\/ {3}sandbox:/);
    expect(p.read("proj/workflows/example.ts")).toContain("workflow(801, (wf) => {\n  wf.split(811,");
  });

  it("writes a tsconfig with no absolute path that an editor's TypeScript resolves \"wfsync\" with", () => {
    p = makeProject();
    expect(wfsync(p.dir, "init", "proj").code).toBe(0);
    const tsconfig = p.read("proj/tsconfig.json");
    // No string in it starts at the root (or a drive).
    expect(tsconfig).not.toMatch(/"(\/|[A-Za-z]:[\\/])/);
    expect(JSON.parse(tsconfig).compilerOptions.paths.wfsync[0]).toMatch(/^\.\.?\//);
    // The editor's view: plain tsc on the project, which must find wfsync's types and pass.
    const tsc = spawnSync(process.execPath, [fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url)), "-p", "tsconfig.json"], {
      cwd: p.path("proj"),
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    // And a type error is one there too, so the check above could fail.
    p.write("proj/workflows/bad.ts", 'import { workflow } from "wfsync";\nexport default workflow(true, () => {});\n');
    const bad = spawnSync(process.execPath, [fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url)), "-p", "tsconfig.json"], {
      cwd: p.path("proj"),
      encoding: "utf8",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain("workflows/bad.ts");
  });

  it("initialises the current folder and keeps an existing .gitignore", () => {
    p = makeProject({ ".gitignore": "node_modules" });
    expect(wfsync(p.dir, "init").code).toBe(0);
    expect(p.read(".gitignore")).toBe("node_modules\n.wfsync/\n");
    expect(wfsync(p.dir, "validate").code).toBe(0);
  });

  it("refuses a folder that has a sync.config.ts, and writes nothing", () => {
    p = makeProject({ "sync.config.ts": "// mine\n" });
    const r = wfsync(p.dir, "init");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("E_INIT_EXISTS");
    expect(r.stderr).toContain("sync.config.ts");
    expect(fs.readdirSync(p.dir)).toEqual(["sync.config.ts"]);
    expect(p.read("sync.config.ts")).toBe("// mine\n");
  });
});

describe("file-system faults are one clear error, never a stack trace", () => {
  const project = (state?: string): TmpProject =>
    makeProject({
      "sync.config.ts": `import { defineConfig } from "wfsync";\n\nexport default defineConfig(${JSON.stringify({ url: "http://127.0.0.1:1", ...(state ? { state } : {}) })});\n`,
      "workflows/a.ts": `import { workflow } from "wfsync";\n\nexport default workflow(679, (wf) => wf.split(844, (s) => s.option("vip", { name: "VIP" }, (p) => p.addToList({ selection: 1 }))));\n`,
    });
  /** One error line (and its detail), no stack frames. */
  const expectOneError = (r: { code: number | null; stderr: string }, code: string, message: string): void => {
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.split("\n")[0]).toBe(`error ${code}: ${message}`);
  };

  it.each([
    ["plan --no-refresh", ["plan", "--no-refresh"]],
    ["apply", ["apply", "--auto-approve"]],
  ])('state: ".wfsync", a folder (%s)', (_what, args) => {
    p = project(".wfsync");
    fs.mkdirSync(p.path(".wfsync"));
    const r = wfsyncWith(EMULATOR_CREDENTIALS, p.dir, ...args);
    expectOneError(r, "E_STATE_PATH", `The state path ${p.path(".wfsync")} is a folder.`);
    expect(r.stderr).toContain('Set config "state" to a file');
  });

  it.each([
    ["plan --no-refresh", ["plan", "--no-refresh"], ""],
    ["apply, which creates the folder", ["apply", "--auto-approve"], "notes"],
  ])("a state folder that cannot be created: a file in its path (%s)", (_what, args, at) => {
    p = project("notes/state.json");
    p.write("notes", "a file, not a folder\n");
    const r = wfsyncWith(EMULATOR_CREDENTIALS, p.dir, ...args);
    const where = at ? ` (${p.path(at)})` : "";
    expectOneError(r, "E_STATE_PATH", `Cannot use the state path ${p.path("notes/state.json")}: a part of the path is a file, not a folder${where}.`);
  });

  it("--log-file naming a folder", () => {
    p = project();
    const r = wfsync(p.dir, "--log-file", "/etc", "plan", "--no-refresh");
    expectOneError(r, "E_LOG_FILE", "cannot write the log file /etc: it is a folder");
    expect(r.stderr).toContain("Give --log-file the path of a file");
  });

  it.runIf(fs.existsSync("/dev/full"))("--log-file on a full disk (/dev/full)", () => {
    p = project();
    const r = wfsync(p.dir, "--log-file", "/dev/full", "plan", "--no-refresh");
    expectOneError(r, "E_LOG_FILE", "cannot write the log file /dev/full: no space left on device");
  });
});

describe("errors on a terminal", () => {
  const hasScript = spawnSync("script", ["--version"]).status === 0;

  /** Runs wfsync with stdout and stderr on a pseudo-terminal (util-linux `script`); returns what it printed. */
  function onTerminal(cwd: string, env: Record<string, string>, ...args: string[]): string {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
    const { NO_COLOR: _unset, ...base } = ENV;
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd, env: { ...base, ...env, TERM: "xterm" }, encoding: "utf8", timeout: 60_000 });
    return r.stdout;
  }

  it.skipIf(!hasScript)("validate and plan colour the location and `error CODE` alike, and not with NO_COLOR", () => {
    p = makeProject({
      "sync.config.ts": `import { defineConfig } from "wfsync";\n\nexport default defineConfig({ url: "http://127.0.0.1:9" });\n`,
      "workflows/a.ts": `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" }, (p) => p.sendEmail({ shipmentId: "3" }))));\n`,
    });
    const painted = /\u001b\[36mworkflows\/a\.ts:3:\d+\u001b\[0m - \u001b\[31merror TS2322\u001b\[0m: /;
    for (const args of [["validate"], ["plan", "--no-refresh"]]) {
      expect(onTerminal(p.dir, {}, ...args), args.join(" ")).toMatch(painted);
      const plain = onTerminal(p.dir, { NO_COLOR: "1" }, ...args);
      expect(plain).toMatch(/workflows\/a\.ts:3:\d+ - error TS2322: /);
      expect(plain).not.toContain("\u001b[");
    }
  });
});
