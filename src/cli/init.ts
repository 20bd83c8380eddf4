import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { checkTsconfigOptions, dslTypesPath } from "../compile/project.js";
import { WfsyncError } from "../errors.js";
import { runCommand } from "./output.js";

const CONFIG = `import { defineConfig } from "wfsync";

export default defineConfig({
  // The installation base of the tenant; --url or WFSYNC_URL override it. Credentials come from
  // the environment only: WFSYNC_USERNAME + WFSYNC_PASSWORD, WFSYNC_TOKEN, or WFSYNC_TICKET
  // (+ WFSYNC_APP_TOKEN). http://127.0.0.1:8765 is \`wfsync emulator\`.
  url: "http://127.0.0.1:8765",
  workflows: ["workflows/**/*.ts"],
  state: ".wfsync/state.json",
  // Requests in flight at once. With no \`rate\`, SuperOffice Online gets its documented 10
  // requests/s and an on-site server no cap; either way wfsync slows down while the server throttles.
  concurrency: 4,

  // One code base on several tenants: name them here (drop \`url\` and \`state\` above), pick one
  // with --env NAME, and put the ids that differ in defineValues (see the README, "Environments").
  // environments: {
  //   sandbox: { url: "http://127.0.0.1:8765" },
  //   production: { url: process.env.PRODUCTION_URL, concurrency: 2 },
  // },
});
`;

// Workflow 801 / split 811 is the emulator's flow for this example: trying a new project on
// \`wfsync emulator\` never touches the demo's splits.
const EXAMPLE = `import { workflow } from "wfsync";

export default workflow(801, (wf) => {
  wf.split(811, (split) => {
    split.option("vip", { name: "VIP customers" }, (path) => {
      path.addToList({ selection: 12 });
      path.waitForTime({ numIntervals: 2, intervalType: "Days" });
      path.sendEmail({ shipmentId: 3, subject: "Welcome" });
    });
    split.option("everyone-else", { name: "Everyone else" }, (path) => {
      path.sendEmail({ shipmentId: 4, subject: "Welcome" });
    });
  });
});
`;

/**
 * Lets an editor check as wfsync does (wfsync itself needs no tsconfig). "wfsync" is mapped to
 * the DSL's declarations by a path relative to the project, so the file holds no absolute path
 * and keeps working when the folder and wfsync move together (a project with wfsync in its own
 * node_modules resolves "wfsync" through the package's exports, with or without the mapping).
 */
function editorTsconfig(dir: string): string {
  const options = checkTsconfigOptions();
  let target = path.relative(dir, dslTypesPath()).split(path.sep).join("/");
  if (!target.startsWith(".")) target = `./${target}`;
  const config = { compilerOptions: { ...options, paths: { wfsync: [target] } }, include: ["sync.config.ts", "workflows/**/*.ts"] };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** How the user can run wfsync again from `cwd`: as they would type it. */
export function wfsyncCommand(env: NodeJS.ProcessEnv = process.env, script = process.argv[1]): string {
  const bin = script === undefined ? undefined : safeRealpath(script);
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const onPath = safeRealpath(path.join(dir, "wfsync"));
    if (onPath !== undefined && (bin === undefined || onPath === bin)) return "wfsync";
  }
  return bin === undefined ? "npx wfsync" : `node ${quote(bin)}`;
}

function safeRealpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

export interface InitResult {
  written: string[];
  skipped: string[];
}

/** Scaffolds a project in `dir`. Refuses (writing nothing) when a file it would create exists. */
export function initProject(dir: string): InitResult {
  const files: [string, string][] = [
    ["sync.config.ts", CONFIG],
    [path.join("workflows", "example.ts"), EXAMPLE],
    ["tsconfig.json", editorTsconfig(dir)],
  ];
  const clashes = files.filter(([f]) => existsSync(path.join(dir, f))).map(([f]) => f);
  if (clashes.length) {
    throw new WfsyncError("E_INIT_EXISTS", `${clashes.join(", ")} already exist in ${dir}; nothing was written`);
  }
  const written: string[] = [];
  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text, { flag: "wx" });
    written.push(file);
  }
  const gitignore = path.join(dir, ".gitignore");
  const current = existsSync(gitignore) ? readFileSync(gitignore, "utf8") : "";
  if (!/^\.wfsync\/?$/m.test(current)) {
    writeFileSync(gitignore, `${current}${current && !current.endsWith("\n") ? "\n" : ""}.wfsync/\n`);
    written.push(".gitignore");
  }
  return { written, skipped: [] };
}

export function registerInitCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("init")
    .argument("[dir]", "folder to create the project in", ".")
    .description("scaffold a project: sync.config.ts, workflows/example.ts, tsconfig.json (editor support), .gitignore")
    .action(async (dir: string) => {
      await runCommand(setExit, () => {
        const target = path.resolve(dir);
        mkdirSync(target, { recursive: true });
        const result = initProject(target);
        for (const f of result.written) process.stdout.write(`created ${path.join(dir, f)}\n`);
        const wfsync = wfsyncCommand();
        process.stdout.write(`\nNext: ${target === process.cwd() ? "" : `cd ${quote(dir)} && `}${wfsync} validate\n`);
        process.stdout.write(`Try it: ${wfsync} emulator (in another terminal), then WFSYNC_USERNAME=wfsync WFSYNC_PASSWORD=wfsync ${wfsync} plan\n`);
        return 0;
      });
    });
}

