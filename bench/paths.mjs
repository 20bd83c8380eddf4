import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("..", import.meta.url));
export const bin = fileURLToPath(new URL("../bin/wfsync.js", import.meta.url));
export const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

/** The DSL declarations wfsync maps "wfsync" to (built by `npm run build`). */
export function dslTypesPathFor() {
  return fileURLToPath(new URL("../dist/dsl/index.d.ts", import.meta.url));
}
