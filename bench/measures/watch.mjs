// watch.edit_to_applied.*: `wfsync watch` (in-process startWatch) on a 1,000-option project
// against the emulator (in-process, no latency): from the write of a file that renames one
// option to the emulator holding the new name.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateProject } from "../generate.mjs";
import { percentile } from "../measure.mjs";
import { BENCH_ENV } from "./plan.mjs";
import { atMost, result } from "./result.mjs";

export async function measureWatch(options, edits) {
  const { startEmulator } = await import("../../dist/emulator/index.js");
  const { startWatch } = await import("../../dist/watch/index.js");
  const dir = mkdtempSync(path.join(tmpdir(), "wfsync-bench-watch-"));
  const seed = generateProject(dir, options);
  const emulator = await startEmulator({ port: 0, seed, env: BENCH_ENV });
  const watch = startWatch({ cwd: dir, url: emulator.url, env: BENCH_ENV });
  try {
    await watch.ready;
    const files = readdirSync(path.join(dir, "workflows")).filter((f) => f.endsWith(".ts")).sort();
    const file = path.join(dir, "workflows", files[Math.floor(files.length / 2)]);
    const original = readFileSync(file, "utf8");
    const key = "opt-3";
    const samples = [];
    for (let i = 0; i < edits; i++) {
      const name = `Edited ${i}`;
      const applied = new Promise((resolve) => {
        const onRun = (run) => {
          if (run.applied.some((c) => c.key === key && c.after?.name === name)) {
            watch.runs.off("run", onRun);
            resolve(performance.now());
          }
        };
        watch.runs.on("run", onRun);
      });
      const t0 = performance.now();
      writeFileSync(file, original.replace(/name: "Option 3 of split \d+"/, `name: "${name}"`));
      const t1 = await applied;
      if (!emulatorHas(emulator, name)) throw new Error(`the emulator does not have "${name}" after the run that applied it`);
      samples.push(t1 - t0);
    }
    const p95 = percentile(samples, 95);
    return [
      result("watch.edit_to_applied.p50.ms", samples, "ms", atMost(300)),
      { ...result("watch.edit_to_applied.p95.ms", samples, "ms", atMost(1000)), value: p95, pass: p95 <= 1000 },
    ];
  } finally {
    await watch.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function emulatorHas(emulator, name) {
  return JSON.stringify(emulator.data()).includes(JSON.stringify(name));
}
