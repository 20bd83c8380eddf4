// Preloaded into benchmarked child processes: writes the process's peak RSS (KiB) at exit.
const { writeFileSync } = require("node:fs");
const file = process.env.WFSYNC_BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // nothing to report to
    }
  });
}
