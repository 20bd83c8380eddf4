/** Things a test started (emulators, folders, sessions), undone after each test, last first. */
import { afterEach } from "vitest";

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs `fn` after the current test, whatever its outcome. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}
