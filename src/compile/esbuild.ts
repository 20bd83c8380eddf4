/** esbuild, loaded lazily with `require` (CommonJS; only needed once a file is evaluated). */
import { createRequire } from "node:module";
import type * as Esbuild from "esbuild";

let loaded: typeof Esbuild | undefined;

export const build = {
  transformSync(input: string, options: Esbuild.TransformOptions): Esbuild.TransformResult {
    loaded ??= createRequire(import.meta.url)("esbuild") as typeof Esbuild;
    return loaded.transformSync(input, options);
  },
};
