/**
 * The long-lived ts-morph Project that type-checks the user's config and workflow files.
 * "wfsync" is mapped to the engine's own DSL declarations, so the user's folder needs no install.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "./esbuild.js";
import { tsMorph, type Project, type TsCompilerOptions } from "../ts-morph.js";

/**
 * The DSL's type declarations: the emitted `.d.ts` when running from `dist/`, the source when
 * running from `src/` (tests).
 */
export function dslTypesPath(): string {
  cachedDslPath ??= findDslTypes();
  return cachedDslPath;
}

let cachedDslPath: string | undefined;

function findDslTypes(): string {
  const dts = fileURLToPath(new URL("../dsl/index.d.ts", import.meta.url));
  if (existsSync(dts)) return dts;
  return fileURLToPath(new URL("../dsl/index.ts", import.meta.url));
}

/**
 * Options for checking user code, as a tsconfig's `compilerOptions` (so `wfsync init` can write
 * the same ones for editors, and the benchmarks for `tsc`). A minimal `lib`, no ambient `types`
 * and `skipLibCheck` keep the checker's fixed cost (mostly lib.d.ts) low. `module: preserve` +
 * bundler resolution accept the import styles users write (extensionless relative imports,
 * default and named exports) whatever their package.json says; `isolatedModules` guarantees each
 * file can be transpiled alone for evaluation.
 */
export function checkTsconfigOptions(): Record<string, unknown> {
  return {
    target: "ES2022",
    lib: ["ES2022"],
    types: [],
    module: "preserve",
    moduleResolution: "bundler",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
    esModuleInterop: true,
    noFallthroughCasesInSwitch: true,
    paths: { wfsync: [dslTypesPath()] },
  };
}

export function checkOptions(): TsCompilerOptions {
  const { ts } = tsMorph();
  const { options, errors } = ts.convertCompilerOptionsFromJson(checkTsconfigOptions(), dslTypesPath());
  if (errors.length) throw new Error(`wfsync's own compiler options are invalid: ${ts.flattenDiagnosticMessageText(errors[0]!.messageText, " ")}`);
  return options;
}

export function createCheckProject(): Project {
  return new (tsMorph().Project)({
    compilerOptions: checkOptions(),
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: false,
  });
}

/**
 * CommonJS for `vm.compileFunction`, with a source map to turn positions back into the user's.
 * esbuild rather than TypeScript's emitter: the type check already ran, and in a fresh process
 * TypeScript's emitter (never used by `tsc --noEmit`) costs about a second of cold start on a
 * 1,000-option project, esbuild a few milliseconds. The check runs with `isolatedModules`, so
 * every file it accepts can be transpiled on its own.
 */
export function transpileForEval(text: string, fileName: string): { code: string; map: string } {
  const out = build.transformSync(text, {
    loader: fileName.endsWith(".tsx") ? "tsx" : "ts",
    format: "cjs",
    target: "es2022",
    sourcemap: "external",
    sourcesContent: false,
    sourcefile: fileName,
  });
  return { code: out.code, map: out.map };
}
