import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start emulators and child processes: give them room on a slow 2-core
    // machine. Nothing asserts on speed; these are only upper bounds against hangs.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
