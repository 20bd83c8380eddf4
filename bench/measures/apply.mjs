// apply.*: 500 creates through the real engine (client, queue, state journal) against the
// emulator (its own process, like a real server) at 20 ms latency and concurrency 8, measured
// from the first request to the last answer (start-up and compile are not apply throughput).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateProject } from "../generate.mjs";
import { startEmulatorProcess } from "../measure.mjs";
import { BENCH_ENV } from "./plan.mjs";
import { atLeast, result } from "./result.mjs";

const OPTIONS = 500;
const CONCURRENCY = 8;
const LATENCY_MS = 20;
/** The emulator's limit for the adaptive row: low enough that 500 creates take ~10 s, far longer than its one-second burst. */
const ADAPTIVE_LIMIT = 50;

export async function measureApply(reps) {
  const throughput = [];
  const throttled = [];
  const adaptive = [];
  const perOption = [];
  const wholeFlow = [];
  for (let i = 0; i < reps; i++) {
    // The defaults (an on-site server: no rate cap) plus concurrency 8, as `apply --concurrency 8`.
    const { optionsPerSecond } = await applyOnce({ rateLimit: 0 });
    perOption.push(optionsPerSecond);
    throughput.push(optionsPerSecond / (CONCURRENCY / (LATENCY_MS / 1000)));
    // The current generation (SaveEmailFlow): the same 500 options in 5 flows, one save per flow.
    wholeFlow.push((await applyOnce({ rateLimit: 0, api: "12" })).optionsPerSecond);
    // The tenant allows 100 requests/s and the config says so (rate: 100).
    throttled.push((await applyOnce({ rateLimit: 100, rate: 100 })).optionsPerSecond / 100);
    // A tenant that allows 50 requests/s, and no rate in the config: wfsync learns it from the
    // 429s. Allowed: the bucket's burst (one second's worth, full when the creates start) and
    // 50/s after; achieved: every request the server accepted in that time (creates and the
    // split reads after them), 429s not counted. No fail rate: 5xx faults are another row's business.
    const run = await applyOnce({ rateLimit: ADAPTIVE_LIMIT });
    adaptive.push(run.accepted / (ADAPTIVE_LIMIT * (run.seconds + 1)));
  }
  return [
    result("apply.throughput.ratio_vs_ideal", throughput, "×", atLeast(0.9)),
    result("apply.throttled.ratio_vs_limit", throttled, "×", atLeast(0.85)),
    result("apply.throttled.adaptive.ratio_vs_limit", adaptive, "×", atLeast(0.85)),
    result("apply.throughput.options_per_s", perOption, "options/s"),
    result("apply.current.options_per_s", wholeFlow, "options/s"),
  ];
}

/** Options per second of one 500-option apply; `env` adds to the benchmark's (WFSYNC_STATE_URL: a database state). */
export async function applyOnce({ rateLimit, rate, api = "10.2", env = {} }) {
  const { openSession } = await import("../../dist/cli/session.js");
  const { planWorkspace } = await import("../../dist/workspace/workspace.js");
  const { applyPlan } = await import("../../dist/apply/apply.js");

  const dir = mkdtempSync(path.join(tmpdir(), "wfsync-bench-apply-"));
  const seedFile = path.join(dir, "seed.json");
  writeFileSync(seedFile, JSON.stringify(generateProject(dir, OPTIONS, { concurrency: CONCURRENCY, ...(rate ? { rate } : {}) })));
  const emulator = await startEmulatorProcess(["--seed", seedFile, "--api", api, "--latency", String(LATENCY_MS), ...(rateLimit ? ["--rate-limit", String(rateLimit)] : [])], BENCH_ENV);
  // Exactly what `wfsync apply` does, minus printing: the session, then plan, then apply.
  const session = openSession({ logLevel: "silent", url: emulator.url }, { cwd: dir, env: { ...BENCH_ENV, ...env } });
  try {
    const { plan, state } = await planWorkspace(session, { refresh: true, lock: true, command: "bench" });
    // Let the refresh's requests drain from the rate limiter's window before timing the creates.
    await new Promise((r) => setTimeout(r, 1100));
    await emulatorAdmin(emulator.url, "/counters/reset");
    const t0 = performance.now();
    const outcome = await applyPlan(plan, { tenant: session.tenant, state, createsJustRead: true }); // as apply --auto-approve
    const seconds = (performance.now() - t0) / 1000;
    await state.close();
    if (outcome.failed.length || outcome.applied.length !== OPTIONS) throw new Error(`apply: ${outcome.applied.length} applied, ${outcome.failed.length} failed`);
    const counters = await emulatorAdmin(emulator.url, "/counters");
    return { optionsPerSecond: OPTIONS / seconds, seconds, accepted: counters.total - counters.rateLimited };
  } finally {
    session.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}


async function emulatorAdmin(url, route) {
  const res = await fetch(`${url}/__emulator${route}`, { method: route.endsWith("/reset") ? "POST" : "GET" });
  if (!res.ok) throw new Error(`emulator ${route}: ${res.status}`);
  return res.json();
}
