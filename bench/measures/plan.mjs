// plan.*: `wfsync plan` (refresh on) as a whole process against the emulator (no latency), with
// every option already applied; wall time and the child's peak RSS.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateProject } from "../generate.mjs";
import { mustSucceed, startEmulatorProcess, wfsync } from "../measure.mjs";
import { atMost, result } from "./result.mjs";

export const BENCH_ENV = { ...process.env, WFSYNC_USERNAME: "wfsync", WFSYNC_PASSWORD: "wfsync", WFSYNC_TOKEN: "", WFSYNC_TICKET: "", WFSYNC_URL: "" };

/** A generated project whose options are all on a fresh emulator (in a child process). */
export async function appliedProject(options) {
  const dir = mkdtempSync(path.join(tmpdir(), `wfsync-bench-plan-${options}-`));
  const seedFile = path.join(dir, "seed.json");
  const seed = generateProject(dir, options, { concurrency: 8 });
  writeFileSync(seedFile, JSON.stringify(seed));
  const emulator = await startEmulatorProcess(["--seed", seedFile], BENCH_ENV);
  const run = (args) => wfsync([...args, "--url", emulator.url], { cwd: dir, env: BENCH_ENV });
  await mustSucceed(run(["apply", "--auto-approve"]), "apply (setup)");
  return {
    dir,
    run,
    async close() {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function measurePlan(options, reps) {
  const project = await appliedProject(options);
  try {
    const ms = [];
    const rss = [];
    for (let i = 0; i < reps; i++) {
      const r = await mustSucceed(project.run(["plan", "--detailed-exitcode"]), "plan");
      if (!r.stdout.includes("No changes.")) throw new Error(`plan after apply is not empty:\n${r.stdout.slice(0, 2000)}`);
      ms.push(r.ms);
      rss.push(r.rssMb);
    }
    if (options >= 10000) {
      return [result(`plan.${options}.peak_rss_mb`, rss, "MB", atMost(500)), result(`plan.${options}.ms`, ms, "ms")];
    }
    return [result(`plan.${options}.ms`, ms, "ms"), result(`plan.${options}.peak_rss_mb`, rss, "MB")];
  } finally {
    await project.close();
  }
}
