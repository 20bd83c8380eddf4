/**
 * `wfsync watch`: the sync daemon. Prints one line per run on stdout; Ctrl-C (SIGINT) or SIGTERM
 * stops taking work, lets requests in flight finish, saves the state and exits 0.
 */
import type { Command } from "commander";
import { WfsyncError } from "../errors.js";
import { WatchReporter, startWatch } from "../watch/index.js";
import { globalOptions, makeLogger } from "./global.js";
import { runCommand, useColor } from "./output.js";
import { DRIFT_FLAG } from "./drift.js";
import { EventStream, errorFields, watchRunEvents } from "./events.js";

interface WatchFlags {
  allowDelete?: boolean;
  json?: boolean | "stream";
  refreshInterval: number;
  drift?: string;
  deleteGrace: number;
}

export function registerWatchCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("watch")
    .description("keep the tenant in sync with the code: every save is compiled, planned and applied (a daemon)")
    .option("--allow-delete", "delete options removed from code (without it they are listed as pending deletes)")
    .option("--refresh-interval <seconds>", "read every split this often to find changes made on the server (0: only at start)", nonNegative, 0)
    .option("--delete-grace <seconds>", "with --allow-delete: how long an option must stay gone from code before it is deleted (a cut and paste or a renamed file brings it back)", nonNegative, 10)
    .option(DRIFT_FLAG[0], `${DRIFT_FLAG[1]}; watch's default is report`)
    .option("--json [stream]", "print NDJSON events on stdout instead of text lines (a daemon has no one document: --json and --json=stream are the same)", streamOnly)
    .action(async (flags: WatchFlags, cmd: Command) => {
      await runCommand(setExit, () => runWatch(flags, cmd));
    });
}

async function runWatch(flags: WatchFlags, cmd: Command): Promise<number> {
  const global = globalOptions(cmd);
  const reporter = new WatchReporter({ color: useColor(process.stdout), allowDelete: flags.allowDelete ?? false, deleteGraceMs: flags.deleteGrace * 1000 });
  const events = flags.json ? new EventStream(process.stdout) : undefined;
  // With --json, stdout carries only events; what people read goes to stderr.
  const say = (text: string): void => void (events ? process.stderr : process.stdout).write(text);
  const watch = startWatch({
    cwd: process.cwd(),
    config: global.config,
    url: global.url,
    api: global.api,
    environment: global.env,
    allowDelete: flags.allowDelete ?? false,
    drift: flags.drift,
    deleteGraceMs: flags.deleteGrace * 1000,
    refreshIntervalMs: flags.refreshInterval * 1000,
    logger: makeLogger(global),
    logFile: global.logFile,
    lockTimeoutMs: global.lockTimeout,
    ...(events ? { onQueueEvent: (e) => events.queueEvent(e) } : {}),
  });
  watch.runs.on("run", (run) => (events ? watchRunEvents(events, run) : process.stdout.write(reporter.run(run))));
  watch.runs.on("notice", (n) => (events ? events.emit("notice", { level: n.level, message: n.message }) : process.stdout.write(reporter.notice(n))));

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write("stopping at once; the state journal keeps what was applied\n");
      process.exit(130);
    }
    stopping = true;
    say(`${signal === "SIGINT" ? "\n" : ""}stopping: no new work; finishing requests in flight and saving the state (Ctrl-C again to quit at once)\n`);
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const ready = await Promise.race([watch.ready, stopped.then(() => undefined)]);
    if (ready) {
      if (events) events.emit("ready", { tenant: ready.tenant, api: ready.api ?? null, workflowFiles: ready.workflowFiles, options: ready.options });
      else process.stdout.write(reporter.ready(ready));
      await stopped;
    }
    await watch.close();
    if (events) events.emit("stopped", {});
    else process.stdout.write("watch stopped; state saved\n");
    return 0;
  } catch (err) {
    await watch.close().catch(() => undefined);
    events?.emit("error", errorFields(err));
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new WfsyncError("E_USAGE", `expected a number of seconds (0 or more), got "${value}"`);
  return n;
}

function streamOnly(value: string | undefined): true {
  if (value === undefined || value === "stream") return true;
  throw new WfsyncError("E_USAGE", `--json: watch streams NDJSON events (--json or --json=stream), got ${JSON.stringify(value)}`);
}
