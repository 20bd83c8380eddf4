/**
 * The long-lived ts-morph Project that type-checks the user's config and workflow files.
 * "wfsync" is mapped to the engine's own DSL declarations, so the user's folder needs no install.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Project, ts } from "ts-morph";

/**
 * The DSL's type declarations: the emitted `.d.ts` when running from `dist/`, the source when
 * running from `src/` (tests).
 */
export function dslTypesPath(): string {
  const dts = fileURLToPath(new URL("../dsl/index.d.ts", import.meta.url));
  if (existsSync(dts)) return dts;
  return fileURLToPath(new URL("../dsl/index.ts", import.meta.url));
}

/**
 * Options for checking user code. A minimal `lib`, no ambient `types` and `skipLibCheck` keep the
 * checker's fixed cost (mostly lib.d.ts) low. `module: preserve` + bundler resolution accept the
 * import styles users write (extensionless relative imports, default and named exports) whatever
 * their package.json says; emit for evaluation is a separate per-file CommonJS transpile.
 */
export function checkOptions(): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    types: [],
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
    esModuleInterop: true,
    noFallthroughCasesInSwitch: true,
    paths: { wfsync: [dslTypesPath()] },
  };
}

export function createCheckProject(): Project {
  return new Project({
    compilerOptions: checkOptions(),
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: false,
  });
}

/** CommonJS for `vm.compileFunction`, with a source map to turn positions back into the user's. */
export function transpileForEval(text: string, fileName: string): { code: string; map: string } {
  const out = ts.transpileModule(text, {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      esModuleInterop: true,
      sourceMap: true,
      inlineSources: false,
    },
    reportDiagnostics: false,
  });
  return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: out.sourceMapText ?? "" };
}
