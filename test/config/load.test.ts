/** sync.config.ts: checked like workflow code, then field by field; flags and env override it. */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openProject, type OpenProjectOptions } from "../../src/workspace/project.js";
import { DEFAULTS } from "../../src/config/load.js";
import { WfsyncError, WfsyncErrors, formatError } from "../../src/errors.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const WORKFLOW = `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K" })));\n`;
const config = (body: string) => `import { defineConfig } from "wfsync";\n\nexport default defineConfig(${body});\n`;

let p: TmpProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

function open(files: Record<string, string>, options: Partial<OpenProjectOptions> = {}) {
  p = makeProject({ "workflows/k.ts": WORKFLOW, ...files });
  return openProject({ cwd: p.dir, env: {}, ...options });
}

function failure(files: Record<string, string>, options: Partial<OpenProjectOptions> = {}): WfsyncError {
  try {
    open(files, options);
  } catch (err) {
    expect(err).toBeInstanceOf(WfsyncError);
    return err as WfsyncError;
  }
  throw new Error("openProject did not fail");
}

/** The messages of an error, or of each of several. */
const messages = (err: WfsyncError) => (err instanceof WfsyncErrors ? err.errors : [err]).map((e) => e.message);

describe("config values", () => {
  it("fills in defaults for everything left out", () => {
    const { config: c, files } = open({ "sync.config.ts": config("{}") });
    expect(c).toEqual({
      root: p!.dir,
      configFile: p!.path("sync.config.ts"),
      url: undefined,
      workflows: [...DEFAULTS.workflows],
      state: p!.path(".wfsync/state.json"),
      concurrency: 4,
      rate: undefined,
      limitsFrom: { concurrency: "default", rate: "default" },
      adaptive: true,
      timeoutMs: 30_000,
      maxRetries: 5,
      massDeleteShare: 0.5,
      api: undefined,
      environment: undefined,
      environments: [],
    });
    expect(files).toEqual([p!.path("workflows/k.ts")]);
  });

  it("takes every setting from the file, paths relative to it", () => {
    const { config: c, files } = open({
      "sync.config.ts": config(`{ url: "https://online.superoffice.com/Cust1/", workflows: "flows/**/*.ts", state: "st/s.json",
        concurrency: 2, rate: 3.5, adaptive: false, timeoutMs: 1000, maxRetries: 0, massDeleteShare: 1 }`),
      "flows/deep/x.ts": WORKFLOW,
    });
    expect(c).toMatchObject({
      url: "https://online.superoffice.com/Cust1",
      workflows: ["flows/**/*.ts"],
      state: p!.path("st/s.json"),
      concurrency: 2,
      rate: 3.5,
      limitsFrom: { concurrency: "config", rate: "config" },
      adaptive: false,
      timeoutMs: 1000,
      maxRetries: 0,
      massDeleteShare: 1,
    });
    expect(files).toEqual([p!.path("flows/deep/x.ts")]);
  });

  it("lets flags override the file and WFSYNC_URL", () => {
    const files = { "sync.config.ts": config(`{ url: "http://from-file", concurrency: 2, rate: 3 }`) };
    const { config: c } = open(files, { env: { WFSYNC_URL: "http://from-env" }, overrides: { url: "http://from-flag", concurrency: 8, rate: 9 } });
    expect([c.url, c.concurrency, c.rate]).toEqual(["http://from-flag", 8, 9]);
    expect(c.limitsFrom).toEqual({ concurrency: "flag", rate: "flag" });
  });

  it("lets WFSYNC_URL override the file's url", () => {
    const { config: c } = open({ "sync.config.ts": config(`{ url: "http://from-file" }`) }, { env: { WFSYNC_URL: "https://from-env.example/Cust9" } });
    expect(c.url).toBe("https://from-env.example/Cust9");
  });

  it("takes a PostgreSQL state URL as it is (not a path), and WFSYNC_STATE_URL over the file's state", () => {
    const url = "postgres://wfsync@db.example.com:5432/crm?name=production";
    expect(open({ "sync.config.ts": config(`{ state: ${JSON.stringify(url)} }`) }).config.state).toBe(url);
    const fromEnv = "postgresql://ci:pw@db.example.com/crm";
    expect(open({ "sync.config.ts": config(`{ state: "my/state.json" }`) }, { env: { WFSYNC_STATE_URL: fromEnv } }).config.state).toBe(fromEnv);
  });

  it("finds the config given with --config, relative to the working folder, and resolves paths from its folder", () => {
    const { config: c, files } = open(
      { "sub/my.config.ts": config(`{ workflows: ["w/*.ts"] }`), "sub/w/one.ts": WORKFLOW },
      { config: "sub/my.config.ts" },
    );
    expect(c.root).toBe(p!.path("sub"));
    expect(c.state).toBe(p!.path("sub/.wfsync/state.json"));
    expect(files).toEqual([p!.path("sub/w/one.ts")]);
  });
});

describe("config problems", () => {
  it("reports a misspelt setting as a type error at its line", () => {
    const err = failure({ "sync.config.ts": config(`{\n  concurency: 4,\n}`) });
    expect(err.code).toBe("E_CONFIG");
    const [only] = (err as WfsyncErrors).errors;
    expect(only?.code).toBe("TS2561");
    expect(only?.location).toMatchObject({ line: 4, column: 3 });
    expect(only?.location?.file).toMatch(/sync\.config\.ts$/);
  });

  it("reports an unknown setting that bypassed the types", () => {
    const err = failure({ "sync.config.ts": config(`{ colour: "blue" } as any`) });
    expect(messages(err)).toEqual(['config "colour": unknown setting']);
  });

  it("refuses an adaptive that is not a boolean", () => {
    const err = failure({ "sync.config.ts": config(`{ adaptive: "yes" } as any`) });
    expect(messages(err)).toEqual(['config "adaptive": must be true or false, got "yes"']);
  });

  it.each(["password", "apiToken", "ticket", "clientSecret"])("refuses a secret-like setting (%s), once", (key) => {
    const err = failure({ "sync.config.ts": config(`{ ${key}: "hunter2" } as any`) });
    expect(messages(err)).toEqual([expect.stringMatching(new RegExp(`^config "${key}": credentials come from the environment`))]);
    expect(messages(err).join()).not.toContain("hunter2");
  });

  it("reports every bad value at once", () => {
    const err = failure({
      "sync.config.ts": config(
        `{ url: "ftp://x", workflows: [], state: "", concurrency: 1.5, rate: 0, timeoutMs: -1, maxRetries: 2.5, massDeleteShare: 2 }`,
      ),
    });
    expect(err).toBeInstanceOf(WfsyncErrors);
    expect(messages(err).map((m) => m.split(":")[0])).toEqual([
      'config "url"',
      'config "workflows"',
      'config "state"',
      'config "concurrency"',
      'config "rate"',
      'config "timeoutMs"',
      'config "maxRetries"',
      'config "massDeleteShare"',
    ]);
  });

  it("takes an Online tenant id as the url, and the Online environment from the file or WFSYNC_ONLINE_ENV", () => {
    const c = open({ "sync.config.ts": config(`{ url: "Cust12345", onlineEnvironment: "sod" }`) }).config;
    expect([c.url, c.onlineEnvironment]).toEqual(["Cust12345", "sod"]);
    const env = open({ "sync.config.ts": config(`{ url: "Cust12345", onlineEnvironment: "sod" }`) }, { env: { WFSYNC_ONLINE_ENV: "http://127.0.0.1:8765" } }).config;
    expect(env.onlineEnvironment).toBe("http://127.0.0.1:8765");
    expect(open({ "sync.config.ts": config(`{}`) }).config.onlineEnvironment).toBeUndefined();
    const err = failure({ "sync.config.ts": config(`{\n  onlineEnvironment: 7 as any,\n}`) });
    expect(err.message).toBe('config "onlineEnvironment": must be online, sod, qaonline, stage or a base URL, got 7');
    expect(err.location).toMatchObject({ line: 4, column: 3 });
  });

  it("takes the API generation, and refuses another at its line", () => {
    expect(open({ "sync.config.ts": config(`{ api: "12" }`) }).config.api).toBe("12");
    expect(open({ "sync.config.ts": config(`{}`) }).config.api).toBeUndefined();
    const err = failure({ "sync.config.ts": config(`{\n  api: "11" as any,\n}`) });
    expect(err.message).toBe('config "api": must be "10.2" (servers 10.2.4–10.2.9) or "12" (10.2.10 and later), got "11"');
    expect(err.location).toMatchObject({ line: 4, column: 3 });
  });

  it("takes the drift policy from the file or --drift, and refuses another value with what each one does", () => {
    expect(open({ "sync.config.ts": config(`{ drift: "report" }`) }).config.drift).toBe("report");
    expect(open({ "sync.config.ts": config(`{}`) }).config.drift).toBeUndefined();
    expect(open({ "sync.config.ts": config(`{ drift: "report" }`) }, { overrides: { drift: "adopt" } }).config.drift).toBe("adopt");
    const err = failure({ "sync.config.ts": config(`{\n  drift: "ignore" as any,\n}`) });
    expect(err.message).toMatch(/^config "drift": must be "revert" \(put the code's version back\), "report" .* got "ignore"$/);
    expect(err.location).toMatchObject({ line: 4, column: 3 });
    const flag = failure({ "sync.config.ts": config(`{}`) }, { overrides: { drift: "keep" } });
    expect(flag.message).toMatch(/^--drift must be "revert"/);
  });

  it("with api 10.2, refuses an option kind at its line", () => {
    const when = `import { workflow } from "wfsync";\n\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: "K", when: { selection: 3 } })));\n`;
    const { compiler } = open({ "sync.config.ts": config(`{ api: "10.2" }`), "workflows/k.ts": when });
    const result = compiler.compile();
    expect(result.errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.column} ${e.message}`)).toEqual([
      "E_UNSUPPORTED 3:55 `when` needs SuperOffice 10.2.10 or later (the flow API); this tenant runs the 10.2.4–10.2.9 API",
    ]);
  });

  it("locates each bad value at its property, with a code frame", () => {
    const err = failure({ "sync.config.ts": config(`{\n  url: "http://x",\n  concurrency: 0,\n}`) });
    expect(err.message).toBe('config "concurrency": must be a positive integer, got 0');
    expect(err.location).toMatchObject({ line: 5, column: 3 });
    expect(err.location?.file).toMatch(/sync\.config\.ts$/);
    expect(formatError(err)).toContain("> 5 |   concurrency: 0,\n    |   ^");
  });

  it("locates every bad value of one line at its own column, also unknown settings, through a const and a cast", () => {
    const body = `{ rate: 0, colour: "blue", massDeleteShare: 2 } as any`;
    const err = failure({ "sync.config.ts": `import { defineConfig } from "wfsync";\n\nconst c = ${body};\nexport default defineConfig(c);\n` });
    const line = `const c = ${body};`;
    expect((err as WfsyncErrors).errors.map((e) => [e.message.split(":")[0], e.location?.line, e.location?.column])).toEqual([
      ['config "colour"', 3, line.indexOf("colour") + 1],
      ['config "rate"', 3, line.indexOf("rate") + 1],
      ['config "massDeleteShare"', 3, line.indexOf("massDeleteShare") + 1],
    ]);
  });

  it("places a value it cannot find written as a property at the file's start", () => {
    const err = failure({ "sync.config.ts": `import { defineConfig } from "wfsync";\n\nconst base = { rate: 0 };\nexport default defineConfig({ ...base });\n` });
    expect(err.location).toMatchObject({ line: 1, column: 1 });
    expect(formatError(err).replace(err.location!.file, "sync.config.ts")).toBe('sync.config.ts:1:1 - error E_CONFIG: config "rate": must be a positive number, got 0');
  });

  it.each([
    ["WFSYNC_URL", { WFSYNC_URL: "ftp://anna:pa#ss-w0rd@host/Cust1" }, "{}", 'WFSYNC_URL must be an http(s) URL or an Online tenant id (Cust12345), got "ftp://[redacted]@host/Cust1"'],
    ["config url", {}, `{ url: "gopher://anna:pa/ss?w0rd@host" }`, 'config "url": must be an http(s) URL or an Online tenant id (Cust12345), got "gopher://[redacted]@host"'],
  ])("shows a refused %s without its user name or password", (_what, env, text, expected) => {
    const err = failure({ "sync.config.ts": config(text) }, { env });
    expect(messages(err)).toEqual([expected]);
    expect(JSON.stringify(err)).not.toMatch(/anna|w0rd/);
  });

  it("reports a bad WFSYNC_URL", () => {
    const err = failure({ "sync.config.ts": config("{}") }, { env: { WFSYNC_URL: "not a url" } });
    // Named as the variable it came from, not blamed on the config file.
    expect(messages(err)).toEqual(['WFSYNC_URL must be an http(s) URL or an Online tenant id (Cust12345), got "not a url"']);
    expect(err.location).toBeUndefined();
  });

  it("refuses a password in the config's state URL, at its line, without showing it", () => {
    const err = failure({ "sync.config.ts": config(`{\n  state: "postgres://wfsync:hunter2@db.example.com/crm",\n}`) });
    expect(messages(err)).toEqual([
      'config "state": the URL holds a password; credentials come from the environment: PGPASSWORD (or ~/.pgpass), or the whole URL in WFSYNC_STATE_URL',
    ]);
    expect(err.location?.line).toBe(4);
    expect(formatError(err)).not.toContain("hunter2");
  });

  it("reports a WFSYNC_STATE_URL that is not a database URL, without its password", () => {
    const err = failure({ "sync.config.ts": config("{}") }, { env: { WFSYNC_STATE_URL: "mysql://u:hunter2@db/x" } });
    expect(messages(err)).toEqual(['WFSYNC_STATE_URL must be a postgres:// URL, got "mysql://[redacted]@db/x"']);
  });

  it("reports a type error with its location and a code frame", () => {
    const err = failure({ "sync.config.ts": config(`{ concurrency: "2" }`) });
    const [only] = (err as WfsyncErrors).errors;
    expect(only?.code).toBe("TS2322");
    expect(only?.location).toMatchObject({ line: 3, column: 31 });
    expect(formatError(only!)).toContain(`> 3 | export default defineConfig({ concurrency: "2" });`);
  });

  it("reports a config file without a default export", () => {
    const err = failure({ "sync.config.ts": `export const config = {};\n` });
    expect(err.code).toBe("E_CONFIG");
    expect(err.message).toContain("export default defineConfig");
  });

  it("reports a missing config with a hint", () => {
    const err = failure({});
    expect(err.code).toBe("E_NO_CONFIG");
    expect(err.message).toContain(`no sync.config.ts in ${p!.dir}`);
    expect(err.message).toContain("wfsync init");
    expect(err.message).toContain("--config");
  });

  it("reports a missing --config file by the name given", () => {
    const err = failure({ "sync.config.ts": config("{}") }, { config: "other.config.ts" });
    expect(err.code).toBe("E_NO_CONFIG");
    expect(err.message).toBe("config file other.config.ts does not exist");
  });

  it("reports globs that match no workflow file", () => {
    const err = failure({ "sync.config.ts": config(`{ workflows: ["flows/*.ts"] }`) });
    expect(err.code).toBe("E_NO_WORKFLOW_FILES");
    expect(err.message).toBe('no workflow files match "flows/*.ts" in .');
  });

  it("never treats the config file as a workflow file, nor .d.ts files", () => {
    const { files } = open({ "sync.config.ts": config(`{ workflows: ["**/*.ts"] }`), "types/x.d.ts": "export {};\n" });
    expect(files.map((f) => path.relative(p!.dir, f))).toEqual(["workflows/k.ts"]);
  });
});

describe("files outside the config's globs", () => {
  it("never reports or compiles files the default globs find but the config's do not", () => {
    // workflows/k.ts is broken, but this config reads flows/ only.
    const project = open({
      "workflows/k.ts": `import { workflow } from "wfsync";\nexport default workflow("x", () => {});\n`,
      "flows/a.ts": WORKFLOW,
      "sync.config.ts": config(`{ workflows: ["flows/**/*.ts"] }`),
    }, { checkCache: false });
    const result = project.compiler.compile();
    expect(result.errors).toEqual([]);
    expect([...result.options.keys()]).toEqual(["1/2/k"]);
    expect([...result.checkedFiles]).toEqual([path.join(p!.dir, "flows/a.ts")]);
    // Parsed on a guess with the config, then dropped: not even type-checked.
    expect(project.compiler.modules().sort()).toEqual([path.join(p!.dir, "flows/a.ts"), path.join(p!.dir, "sync.config.ts")]);
  });
});
