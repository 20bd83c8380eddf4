/**
 * Environments in sync.config.ts: named targets, one chosen with --env (or WFSYNC_ENV); values
 * that differ per tenant through defineValues; process.env readable in the config only, without
 * credentials.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openProject, configEnvironment, type OpenProjectOptions } from "../../src/workspace/project.js";
import { WfsyncError, WfsyncErrors } from "../../src/errors.js";
import { makeProject, type TmpProject } from "../helpers/tmp-project.js";

const config = (body: string) => `import { defineConfig } from "wfsync";\n\nexport default defineConfig(${body});\n`;
const TWO = config(`{
  rate: 3,
  environments: {
    sandbox: { url: "http://127.0.0.1:1001" },
    production: { url: "https://online.superoffice.com/Cust9", state: "prod/state.json", rate: 7, api: "12" },
  },
}`);
const IDS = `import { defineValues } from "wfsync";

export const ids = defineValues({
  sandbox: { flow: 679, split: 844, lists: { vip: 12 } },
  production: { flow: 1201, split: 1302, lists: { vip: 40 } },
});
`;
const WORKFLOW = `import { workflow } from "wfsync";
import { ids } from "./ids";

export default workflow(ids.flow, (wf) =>
  wf.split(ids.split, (s) => s.option("vip", { name: "VIP" }, (p) => p.addToList({ selection: ids.lists.vip }))),
);
`;

let p: TmpProject | undefined;
const opened: { compiler: { close(): void } }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.compiler.close();
  p?.cleanup();
  p = undefined;
});

function open(files: Record<string, string>, options: Partial<OpenProjectOptions> = {}) {
  if (p) for (const [rel, text] of Object.entries(files)) p.write(rel, text);
  else p = makeProject({ "workflows/ids.ts": IDS, "workflows/flow.ts": WORKFLOW, ...files });
  const project = openProject({ cwd: p.dir, env: {}, checkCache: false, ...options });
  opened.push(project);
  return project;
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

const messages = (err: WfsyncError) => (err instanceof WfsyncErrors ? err.errors : [err]).map((e) => e.message);

describe("choosing an environment", () => {
  it("takes the chosen environment's settings over the top level's, with its own state file", () => {
    const sandbox = open({ "sync.config.ts": TWO }, { overrides: { environment: "sandbox" } }).config;
    expect(sandbox).toMatchObject({ environment: "sandbox", environments: ["sandbox", "production"], url: "http://127.0.0.1:1001", rate: 3, api: undefined });
    expect(sandbox.state).toBe(p!.path(".wfsync/sandbox.state.json"));
    const production = open({}, { overrides: { environment: "production" } }).config;
    expect(production).toMatchObject({ environment: "production", url: "https://online.superoffice.com/Cust9", rate: 7, api: "12" });
    expect(production.state).toBe(p!.path("prod/state.json"));
  });

  it("takes WFSYNC_ENV when --env is not given, and --env over it", () => {
    expect(open({ "sync.config.ts": TWO }, { env: { WFSYNC_ENV: "production" } }).config.environment).toBe("production");
    expect(open({}, { env: { WFSYNC_ENV: "production" }, overrides: { environment: "sandbox" } }).config.environment).toBe("sandbox");
  });

  it("refuses to guess: a project with environments and none chosen names them", () => {
    const err = failure({ "sync.config.ts": TWO });
    expect(err.code).toBe("E_NO_ENV");
    expect(err.message).toContain("sandbox, production");
    expect(err.message).toContain("--env");
  });

  it("refuses an environment the config does not define, naming those it does", () => {
    const err = failure({ "sync.config.ts": TWO }, { overrides: { environment: "staging" } });
    expect(messages(err)).toEqual(['--env staging: sync.config.ts has no environment "staging"; it defines sandbox, production']);
    const none = failure({ "sync.config.ts": config(`{ url: "http://x" }`), "workflows/ids.ts": "export {};\n", "workflows/flow.ts": "export {};\n" }, { env: { WFSYNC_ENV: "x" } });
    expect(messages(none)[0]).toMatch(/^WFSYNC_ENV x: sync.config.ts defines no environments/);
  });

  it("locates a bad setting inside an environment at its property", () => {
    const err = failure(
      { "sync.config.ts": config(`{\n  environments: {\n    sandbox: { url: "http://a" },\n    production: { url: "ftp://b", rate: -1 },\n  },\n})`.slice(0, -1)) },
      { overrides: { environment: "production" } },
    );
    const found = (err as WfsyncErrors).errors.map((e) => [e.message.split(":")[0], e.location?.line, e.location?.column]);
    expect(found).toEqual([
      ['config "environments.production.url"', 6, 19],
      ['config "environments.production.rate"', 6, 35],
    ]);
  });

  it("refuses settings an environment cannot have, credentials, bad names and one shared state file", () => {
    const err = failure(
      {
        "sync.config.ts": config(`{ state: "one.json", environments: { "a b": {}, sandbox: { workflows: "x/*.ts", password: "p" } as never } }`),
      },
      { overrides: { environment: "sandbox" } },
    );
    const shown = messages(err).join("\n");
    expect(shown).toContain('environment name "a b" must be');
    expect(shown).toContain('config "environments.sandbox.workflows": not a setting an environment can have');
    expect(shown).toContain('config "environments.sandbox.password": credentials come from the environment');
    expect(shown).toContain('config "state": with environments, each has its own state file');
  });
});

describe("values per environment (defineValues)", () => {
  it("gives each environment its own ids", () => {
    const sandbox = open({ "sync.config.ts": TWO }, { overrides: { environment: "sandbox" } });
    const a = sandbox.compiler.compile();
    expect(a.errors).toEqual([]);
    const prod = open({}, { overrides: { environment: "production" } });
    const b = prod.compiler.compile();
    expect(b.errors).toEqual([]);
    const ids = (r: typeof a) => [...r.options.values()].map((o) => [o.address, JSON.stringify(o.option.steps)]);
    expect(ids(a)).toEqual([["679/844/vip", expect.stringContaining('"selection":12')]]);
    expect(ids(b)).toEqual([["1201/1302/vip", expect.stringContaining('"selection":40')]]);
  });

  it("reports a value one environment lacks, naming it, whichever environment is chosen", () => {
    const lacking = IDS.replace("lists: { vip: 40 }", "lists: {}");
    for (const environment of ["sandbox", "production"]) {
      const r = open({ "sync.config.ts": TWO, "workflows/ids.ts": lacking, "workflows/flow.ts": WORKFLOW.replace("ids.lists.vip", "12") }, { overrides: { environment } }).compiler.compile();
      // Once for ids.ts and once for flow.ts, which imports it: both at the defineValues call.
      const shown = new Set(r.errors.map((e) => [e.location?.file, e.location?.line, e.message.replace(/^.* threw /, "")].join(" ")));
      expect([...shown]).toEqual(['workflows/ids.ts 3 Error: environment "production" has no value for lists.vip (environment "sandbox" has 12)']);
    }
  });

  it("refuses an environment name the config does not define, and a project without environments", () => {
    const typo = IDS.replace("production:", "prodution:");
    const r = open({ "sync.config.ts": TWO, "workflows/ids.ts": typo }, { overrides: { environment: "sandbox" } }).compiler.compile();
    expect(r.errors.map((e) => e.message).join("\n")).toContain('defineValues names environment "prodution", which sync.config.ts does not define (it defines: sandbox, production)');
    p!.cleanup();
    p = undefined;
    const none = open({ "sync.config.ts": config(`{ url: "http://x" }`) }).compiler.compile();
    expect(none.errors.map((e) => e.message).join("\n")).toContain("defineValues needs environments: add `environments` to sync.config.ts");
  });
});

describe("process.env in sync.config.ts", () => {
  it("reads variables, and type-checks without any install", () => {
    const c = open(
      { "sync.config.ts": config(`{ environments: { sandbox: { url: process.env.SANDBOX_URL ?? "http://fallback" } } }`) },
      { env: { SANDBOX_URL: "http://127.0.0.1:4321" }, overrides: { environment: "sandbox" } },
    ).config;
    expect(c.url).toBe("http://127.0.0.1:4321");
  });

  it("holds no credential: wfsync's secrets, secret-looking names and URLs with a password are left out", () => {
    const env = {
      WFSYNC_PASSWORD: "hunter2",
      WFSYNC_TOKEN: "t",
      WFSYNC_TICKET: "7T:x",
      WFSYNC_APP_TOKEN: "a",
      WFSYNC_PRIVATE_KEY: "-----BEGIN",
      WFSYNC_CLIENT_SECRET: "s",
      AWS_SECRET_ACCESS_KEY: "k",
      PGPASSWORD: "pg",
      MY_API_KEY: "k",
      DB_PASS: "p",
      DATABASE_URL: "postgres://user:pw@db/x",
      WFSYNC_USERNAME: "admin",
      SANDBOX_URL: "http://127.0.0.1:1",
      PWD: "/home/x",
      MONKEY: "banana",
    };
    expect(Object.keys(configEnvironment(env)).sort()).toEqual(["MONKEY", "PWD", "SANDBOX_URL", "WFSYNC_USERNAME"]);
    // And in a real evaluation: the config sees undefined for a password.
    const c = open(
      { "sync.config.ts": config(`{ environments: { sandbox: { url: "http://h/" + String(process.env.WFSYNC_PASSWORD) } } }`) },
      { env, overrides: { environment: "sandbox" } },
    ).config;
    expect(c.url).toBe("http://h/undefined");
  });

  it("stays out of reach of workflow files", () => {
    const leak = `import { workflow } from "wfsync";\nexport default workflow(1, (wf) => wf.split(2, (s) => s.option("k", { name: String(process.env.HOME) })));\n`;
    const r = open({ "sync.config.ts": config(`{ url: "http://x" }`), "workflows/ids.ts": "export {};\n", "workflows/flow.ts": leak }, { env: { HOME: "/root" } }).compiler.compile();
    expect(r.errors.map((e) => e.message).join("\n")).toContain("process is not available in a workflow file");
  });
});
