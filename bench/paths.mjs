import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("..", import.meta.url));
export const bin = fileURLToPath(new URL("../bin/wfsync.js", import.meta.url));
export const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

