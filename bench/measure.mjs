// Helpers for the benchmarks: whole processes timed from outside (wall time and peak RSS of the
// child, reported by a tiny preload), medians, and an emulator in a child process.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bin } from "./paths.mjs";

const RSS_PRELOAD = new URL("./rss-preload.cjs", import.meta.url).pathname;

/** Runs `node args` in `cwd`; resolves { code, ms, rssMb, stdout, stderr }. */
export function runNode(args, { cwd, env = process.env } = {}) {
  const rssDir = mkdtempSync(path.join(tmpdir(), "wfsync-rss-"));
  const rssFile = path.join(rssDir, "rss");
  const started = performance.now();
  const child = spawn(process.execPath, ["--require", RSS_PRELOAD, ...args], {
    cwd,
    env: { ...env, WFSYNC_BENCH_RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      let rssMb = NaN;
      try {
        rssMb = Number(readFileSync(rssFile, "utf8")) / 1024;
      } catch {
        // the child died before its exit hook
      }
      rmSync(rssDir, { recursive: true, force: true });
      resolve({ code, ms, rssMb, stdout, stderr });
    });
  });
}

export function wfsync(args, options) {
  return runNode([bin, ...args], options);
}

export async function mustSucceed(promise, what) {
  const r = await promise;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Starts `wfsync emulator` in a child process; resolves { url, close() }. */
export function startEmulatorProcess(args = [], env = process.env) {
  return startEmulatorTenants(1, args, env).then(({ urls, close }) => ({ url: urls[0], close }));
}

/** Starts `wfsync emulator --tenants n` (n tenants, one process); resolves { urls, close() }. */
export function startEmulatorTenants(n, args = [], env = process.env) {
  const child = spawn(process.execPath, [bin, "emulator", "--port", "0", "--tenants", String(n), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const lines = out.split("\n");
      if (lines.length > n) {
        child.removeAllListeners("exit");
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({
          urls: lines.slice(0, n).map((l) => l.trim()),
          close: () =>
            new Promise((done) => {
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    });
  });
}

