// plan.fleet.*: `wfsync plan --all-envs` over 20 environments × 100 options, each environment its
// own tenant of one emulator process (`emulator --tenants 20`: own port, own data) answering in
// 20 ms (as apply's benchmark: a server, not a loopback echo), every option already applied. One
// process rather than twenty: real tenants do not spend this machine's two cores answering, and
// twenty cold emulator processes woken at once by a fleet's requests would. The budget compares the fleet plan's
// wall time with the slowest of the same environments planned one at a time (`plan --env e`):
// planning 20 tenants at once should cost little more than planning the slowest one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateProject } from "../generate.mjs";
import { median, mustSucceed, startEmulatorTenants, wfsync } from "../measure.mjs";
import { BENCH_ENV } from "./plan.mjs";
import { atMost, result } from "./result.mjs";

const LATENCY_MS = 20;

export async function measureFleet(environments, options, reps) {
  const dir = mkdtempSync(path.join(tmpdir(), `wfsync-bench-fleet-${environments}x${options}-`));
  const seedFile = path.join(dir, "seed.json");
  const seed = generateProject(dir, options, { concurrency: 8 });
  writeFileSync(seedFile, JSON.stringify(seed));
  const emulator = await startEmulatorTenants(environments, ["--seed", seedFile, "--latency", String(LATENCY_MS)], BENCH_ENV);
  try {
    // The generated config with its url replaced by one environment per emulator (defaults otherwise).
    const config = readFileSync(path.join(dir, "sync.config.ts"), "utf8");
    const envs = emulator.urls.map((url, i) => `    e${i}: { url: ${JSON.stringify(url)} },`).join("\n");
    writeFileSync(
      path.join(dir, "sync.config.ts"),
      config.replace(/\n\s*url: [^\n]*\n/, "\n").replace(/\n\}\);\n$/, `\n  environments: {\n${envs}\n  },\n});\n`),
    );
    const run = (args) => wfsync(args, { cwd: dir, env: BENCH_ENV });
    await mustSucceed(run(["apply", "--all-envs", "--auto-approve"]), "apply --all-envs (setup)");

    const fleet = [];
    const slowest = [];
    const typical = [];
    for (let i = 0; i < reps; i++) {
      const singles = [];
      for (let e = 0; e < environments; e++) {
        const r = await mustSucceed(run(["plan", "--env", `e${e}`, "--detailed-exitcode"]), `plan --env e${e}`);
        singles.push(r.ms);
      }
      slowest.push(Math.max(...singles));
      typical.push(median(singles));
      const r = await mustSucceed(run(["plan", "--all-envs", "--detailed-exitcode"]), "plan --all-envs");
      if ((r.stdout.match(/no changes/g) ?? []).length !== environments) throw new Error(`fleet plan after apply is not empty:\n${r.stdout.slice(-3000)}`);
      fleet.push(r.ms);
    }
    const ratios = fleet.map((ms, i) => ms / slowest[i]);
    return [
      result(`plan.fleet.${environments}x${options}.ratio_vs_slowest`, ratios, "×", atMost(1.5)),
      result(`plan.fleet.${environments}x${options}.ms`, fleet, "ms"),
      result(`plan.fleet.${environments}x${options}.slowest_single.ms`, slowest, "ms"),
      // The denominator is the (the slowest single plan); against a typical one it reads:
      result(`plan.fleet.${environments}x${options}.ratio_vs_median_single`, fleet.map((ms, i) => ms / typical[i]), "×"),
    ];
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
