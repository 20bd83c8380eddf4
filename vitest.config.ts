import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start emulators and child processes: give them room on a slow 2-core
    // machine. Nothing asserts on speed; these are only upper bounds against hangs.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two test files at a time. Vitest's default is one fewer than the cores, so one on a 2-core
    // machine; most of an end-to-end test is waiting (child processes starting, emulators
    // answering after their latency), and two at a time took the suite from 7.4 to 4.7 minutes
    // on the 2-core CI machine (three: 4.5).
    maxWorkers: 2,
  },
});
