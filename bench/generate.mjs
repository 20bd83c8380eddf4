// Generates a wfsync project of any size for the benchmarks, plus the emulator seed that has its
// splits. Deterministic: the same size gives the same files.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { checkTsconfigOptions } from "../dist/compile/project.js";

export const OPTIONS_PER_SPLIT = 20;
export const SPLITS_PER_FILE = 5;

/** Writes `options` options (20 per split, 5 splits per file) into `dir`, and a config (no `rate` unless given). Returns the seed. */
export function generateProject(dir, options, { url = "http://127.0.0.1:8765", concurrency = 8, rate } = {}) {
  const splits = Math.ceil(options / OPTIONS_PER_SPLIT);
  mkdirSync(path.join(dir, "workflows"), { recursive: true });
  writeFileSync(
    path.join(dir, "sync.config.ts"),
    `import { defineConfig } from "wfsync";\n\nexport default defineConfig({\n  url: ${JSON.stringify(url)},\n  workflows: ["workflows/**/*.ts"],\n  concurrency: ${concurrency},\n${rate === undefined ? "" : `  rate: ${rate},\n`}  massDeleteShare: 1,\n});\n`,
  );
  const seed = { workflows: [] };
  let made = 0;
  for (let file = 0; file * SPLITS_PER_FILE < splits; file++) {
    const workflowId = 1000 + file;
    const flow = { workflowId, emailFlowId: 5000 + file, name: `Bench flow ${file}`, steps: [] };
    const lines = [`import { workflow } from "wfsync";`, ``, `export default workflow(${workflowId}, (wf) => {`];
    for (let s = 0; s < SPLITS_PER_FILE && file * SPLITS_PER_FILE + s < splits; s++) {
      const stepId = 100000 + (file * SPLITS_PER_FILE + s);
      flow.steps.push({ workflowStepId: stepId, stepType: "Split", options: [] });
      lines.push(`  wf.split(${stepId}, (split) => {`);
      for (let o = 0; o < OPTIONS_PER_SPLIT && made < options; o++, made++) {
        lines.push(
          `    split.option("opt-${o}", { name: "Option ${o} of split ${stepId}" }, (path) => {`,
          `      path.addToList({ selection: ${10 + o} });`,
          `      path.waitForTime({ numIntervals: ${1 + (o % 5)}, intervalType: "Days" });`,
          `      path.sendEmail({ shipmentId: ${100 + o}, subject: "Hello ${o}" });`,
          `    });`,
        );
      }
      lines.push(`  });`);
    }
    lines.push(`});`, ``);
    writeFileSync(path.join(dir, "workflows", `flow-${String(file).padStart(4, "0")}.ts`), lines.join("\n"));
    seed.workflows.push(flow);
  }
  // The same compiler options wfsync checks with, for `tsc --noEmit` on the same files.
  const compilerOptions = checkTsconfigOptions();
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["sync.config.ts", "workflows/**/*.ts"] }, null, 2));
  return seed;
}
