/**
 * Compiles the state module (and the few modules it imports) to plain ESM in a temp folder, so
 * a child process can run the current source without a build and without a TS loader.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(import.meta.dirname, "../..");

export function transpileStateModule(outDir: string): string {
  const files = [
    "src/errors.ts",
    "src/client/url.ts",
    "src/redact.ts",
    "src/state-url.ts",
    "src/text.ts",
    ...fs.readdirSync(path.join(ROOT, "src/state")).filter((f) => f.endsWith(".ts")).map((f) => `src/state/${f}`),
    // The state file's check knows the model's option kinds; model/ imports only model/.
    ...fs.readdirSync(path.join(ROOT, "src/model")).filter((f) => f.endsWith(".ts")).map((f) => `src/model/${f}`),
  ];
  for (const file of files) {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = path.join(outDir, file.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, outputText);
  }
  return path.join(outDir, "src/state/index.js");
}
