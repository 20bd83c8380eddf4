// compile.*: cold `wfsync validate` against `tsc --noEmit` (TypeScript 6.0.2, the version
// ts-morph checks with) on the same generated files, whole processes, interleaved in one run;
// and in-process recompiles after a one-file change.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { generateProject } from "../generate.mjs";
import { median, mustSucceed, runNode, wfsync } from "../measure.mjs";
import { tsc } from "../paths.mjs";
import { atMost, result } from "./result.mjs";

export async function measureCompileCold(options, reps) {
  const dir = mkdtempSync(path.join(tmpdir(), `wfsync-bench-compile-${options}-`));
  try {
    generateProject(dir, options);
    const cache = path.join(dir, ".wfsync", "check-cache.json");
    await mustSucceed(wfsync(["validate"], { cwd: dir }), "validate (priming)");
    const tscMs = [];
    const cachedMs = [];
    const uncachedMs = [];
    for (let i = 0; i < reps; i++) {
      tscMs.push((await mustSucceed(runNode([tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: dir }), "tsc")).ms);
      cachedMs.push((await mustSucceed(wfsync(["validate"], { cwd: dir }), "validate")).ms);
      rmSync(cache, { force: true });
      uncachedMs.push((await mustSucceed(wfsync(["validate"], { cwd: dir }), "validate (no cache)")).ms);
    }
    const t = median(tscMs);
    return [
      { ...result(`compile.cold.${options}.ratio_vs_tsc`, cachedMs.map((ms) => ms / t), "×", atMost(1.3)), detail: { tscMs: t, validateMs: median(cachedMs) } },
      { ...result(`compile.cold.${options}.nocache.ratio_vs_tsc`, uncachedMs.map((ms) => ms / t), "×"), detail: { tscMs: t, validateMs: median(uncachedMs) } },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Heap in use after a full garbage collection, in MB. */
function heapAfterGc() {
  v8.setFlagsFromString("--expose-gc");
  runInNewContext("gc")();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * `reps` timed recompiles after a one-file change, then `churn` more to see whether memory stays
 * flat (a watch daemon recompiles thousands of times): heap after GC at the end minus after the
 * timed ones.
 */
export async function measureCompileIncremental(options, reps, churn) {
  const { WorkflowCompiler } = await import("../../dist/compile/compiler.js");
  const dir = mkdtempSync(path.join(tmpdir(), `wfsync-bench-incr-${options}-`));
  try {
    generateProject(dir, options);
    const compiler = new WorkflowCompiler({ root: dir });
    const files = listTs(path.join(dir, "workflows"));
    compiler.setWorkflowFiles(files);
    const first = compiler.compile();
    if (first.errors.length) throw new Error(`generated project has errors: ${first.errors[0].message}`);
    const file = files[Math.floor(files.length / 2)];
    const original = readFileSync(file, "utf8");
    const samples = [];
    for (let i = 0; i < reps; i++) {
      const name = `Renamed ${i}`;
      writeFileSync(file, original.replace(/name: "Option 0 of split (\d+)"/, `name: "${name}"`));
      const t0 = performance.now();
      const r = compiler.compile([file]);
      samples.push(performance.now() - t0);
      if (r.errors.length || ![...r.options.values()].some((o) => o.option.name === name)) throw new Error("recompile did not produce the edit");
    }
    const heapBefore = heapAfterGc();
    for (let i = 0; i < churn; i++) {
      writeFileSync(file, original.replace(/name: "Option 0 of split (\d+)"/, `name: "Churn ${i}"`));
      compiler.compile([file]);
    }
    const growth = heapAfterGc() - heapBefore;
    return [
      result(`compile.incremental.${options}.ms`, samples, "ms", atMost(150)),
      { ...result(`compile.incremental.${options}.heap_growth_mb`, [growth], "MB"), detail: { recompiles: churn, heapBeforeMb: heapBefore } },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listTs(dir) {
  return readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f)).sort();
}
