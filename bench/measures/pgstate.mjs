// apply.pgstate.ratio_vs_file: the same 500-option apply as apply.throughput (20 ms latency,
// concurrency 8), once with the state in PostgreSQL and once in the file, alternating; the ratio
// of their times (database / file). The database is WFSYNC_BENCH_PG_URL, default the local test
// server; each run uses a fresh schema, dropped after it.
import { randomBytes } from "node:crypto";
import { applyOnce } from "./apply.mjs";
import { atMost, result } from "./result.mjs";

const PG_URL = process.env.WFSYNC_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export async function measurePgState(reps) {
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const ratios = [];
  try {
    for (let i = 0; i < reps; i++) {
      const schema = `wfsync_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
      const url = new URL(PG_URL);
      url.searchParams.set("schema", schema);
      try {
        // The defaults (no rate cap on the emulator, as on-site), as a user runs it.
        const file = await applyOnce({ rateLimit: 0 });
        const db = await applyOnce({ rateLimit: 0, env: { WFSYNC_STATE_URL: url.toString() } });
        ratios.push(db.seconds / file.seconds);
      } finally {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    }
  } finally {
    await admin.end();
  }
  return [result("apply.pgstate.ratio_vs_file", ratios, "×", atMost(1.2))];
}
