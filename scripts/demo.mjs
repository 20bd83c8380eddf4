#!/usr/bin/env node
// `npm run demo`: the whole loop against the built-in emulator, in a scratch copy of the example
// project (so the demo never touches this folder's state): validate, plan, apply, plan again
// (no changes), edit a workflow, plan and apply the edit, and a final empty plan.
// `npm run demo -- --api 12` runs it against the emulator's current-generation (12.x) profile.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../dist/emulator/index.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = path.join(repo, "bin", "wfsync.js");
const work = mkdtempSync(path.join(tmpdir(), "wfsync-demo-"));
cpSync(path.join(repo, "workflows"), path.join(work, "workflows"), { recursive: true });
cpSync(path.join(repo, "sync.config.ts"), path.join(work, "sync.config.ts"));

const env = { ...process.env, WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "wfsync" };
delete env.WFSYNC_TOKEN;
delete env.WFSYNC_TICKET;
// The emulator reads the same variables as the client, so both agree on the credentials.
const apiAt = process.argv.indexOf("--api");
const api = apiAt > 0 ? process.argv[apiAt + 1] : "10.2";
const emulator = await startEmulator({ port: 0, env, api });

// Bold command lines on a terminal only (NO_COLOR, a pipe or a file get plain text).
const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const bold = (text) => (color ? `\u001b[1m${text}\u001b[0m` : text);

// Asynchronous on purpose: the emulator runs in this process and must keep answering.
function wfsync(...args) {
  process.stdout.write(`\n${bold(`$ wfsync ${args.join(" ")}`)}\n`);
  const child = spawn(process.execPath, [bin, ...args, "--url", emulator.url], { cwd: work, env, stdio: "inherit" });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

let failed = false;
try {
  process.stdout.write(`Emulator at ${emulator.url}, ${emulator.servers} (demo seed: Onboarding, Webinar follow-up, Re-engagement)\n`);
  process.stdout.write(`Scratch copy of the example project: ${work}\n`);
  const steps = [
    () => wfsync("validate"),
    () => wfsync("plan"),
    () => wfsync("apply", "--auto-approve"),
    () => wfsync("plan", "--detailed-exitcode"),
    () => {
      const file = path.join(work, "workflows", "onboarding.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace('"VIP customers"', '"VIP and key accounts"'));
      process.stdout.write('\n(edited workflows/onboarding.ts: the "vip" option is renamed)\n');
      return 0;
    },
    () => wfsync("plan"),
    () => wfsync("apply", "--auto-approve"),
    () => wfsync("plan", "--detailed-exitcode"),
  ];
  for (const step of steps) {
    if ((await step()) !== 0) {
      failed = true;
      break;
    }
  }
} finally {
  await emulator.close();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(failed ? "\nThe demo stopped at a failing step.\n" : "\nDone: the emulator now has every option of the example project.\n");
process.exitCode = failed ? 1 : 0;
