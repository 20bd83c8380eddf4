/** `wfsync watch`, the sync daemon: `startWatch` runs it in-process (see start.ts for its API). */
export { startWatch, type StartWatchOptions, type WatchEvents, type WatchHandle, type WatchReady } from "./start.js";
export type { WatchNotice, WatchRun } from "./run.js";
export { WatchReporter } from "./report.js";
