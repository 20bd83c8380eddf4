#!/usr/bin/env node
// `npm run bench [-- --json] [-- --only <id-prefix>] [-- --quick]`: wfsync's performance budget.
// Generates its own projects, runs against the emulator on 127.0.0.1, reports medians.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { measureApply } from "./measures/apply.mjs";
import { measureCompileCold, measureCompileIncremental } from "./measures/compile.mjs";
import { measureEmulator } from "./measures/emulator.mjs";
import { measureFleet } from "./measures/fleet.mjs";
import { measurePgState } from "./measures/pgstate.mjs";
import { measurePlan } from "./measures/plan.mjs";
import { measureWatch } from "./measures/watch.mjs";

const { values: flags } = parseArgs({
  options: { json: { type: "boolean" }, only: { type: "string" }, quick: { type: "boolean" } },
});
const quick = flags.quick ?? false;

/** Each measure group: the ids it produces (for --only) and how to run it. */
const groups = [
  { ids: ["compile.cold.1000.ratio_vs_tsc", "compile.cold.1000.nocache.ratio_vs_tsc"], run: () => measureCompileCold(1000, quick ? 3 : 5) },
  { ids: ["compile.cold.10000.ratio_vs_tsc", "compile.cold.10000.nocache.ratio_vs_tsc"], run: () => measureCompileCold(10000, quick ? 1 : 3) },
  { ids: ["compile.incremental.1000.ms", "compile.incremental.1000.heap_growth_mb"], run: () => measureCompileIncremental(1000, quick ? 10 : 30, quick ? 100 : 1000) },
  { ids: ["plan.1000.ms"], run: () => measurePlan(1000, quick ? 3 : 5) },
  { ids: ["plan.10000.peak_rss_mb", "plan.10000.ms"], run: () => measurePlan(10000, quick ? 1 : 3) },
  { ids: ["plan.fleet.20x100.ratio_vs_slowest", "plan.fleet.20x100.ms", "plan.fleet.20x100.slowest_single.ms", "plan.fleet.20x100.ratio_vs_median_single"], run: () => measureFleet(20, 100, quick ? 1 : 3) },
  { ids: ["apply.throughput.ratio_vs_ideal", "apply.throttled.ratio_vs_limit", "apply.throttled.adaptive.ratio_vs_limit", "apply.throughput.options_per_s", "apply.current.options_per_s"], run: () => measureApply(quick ? 1 : 3) },
  { ids: ["apply.pgstate.ratio_vs_file"], run: () => measurePgState(quick ? 2 : 5) },
  { ids: ["watch.edit_to_applied.p50.ms", "watch.edit_to_applied.p95.ms"], run: () => measureWatch(1000, quick ? 15 : 30) },
  { ids: ["emulator.requests_per_s"], run: () => measureEmulator(quick ? 2000 : 8000) },
];

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  date: new Date().toISOString(),
};

const results = [];
const started = performance.now();
for (const group of groups) {
  if (flags.only && !group.ids.some((id) => id.startsWith(flags.only))) continue;
  if (!flags.json) process.stderr.write(`running ${group.ids.join(", ")} …\n`);
  try {
    for (const r of await group.run()) {
      if (!flags.only || r.id.startsWith(flags.only)) results.push(r);
    }
  } catch (err) {
    for (const id of group.ids) results.push({ id, value: null, unit: "", budget: null, pass: false, error: String(err?.stack ?? err) });
  }
}

if (flags.json) {
  process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n`);
} else {
  const rows = results.map((r) => [
    r.id,
    r.value === null ? "error" : `${format(r.value)} ${r.unit}`,
    r.min === undefined ? "" : `${format(r.min)}–${format(r.max)}`,
    r.budget ? `${r.budget.op} ${format(r.budget.value)}` : "report",
    r.budget ? (r.pass ? "met" : "NOT MET") : "",
  ]);
  const head = ["measure", "median", "min–max", "budget", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}`);
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  for (const r of results) if (r.error) console.log(`\n${r.id}: ${r.error}`);
  console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
}
process.exitCode = results.some((r) => r.budget && !r.pass) ? 1 : 0;

function format(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}
