/**
 * The `--data` file: everything the emulator holds, kept across restarts. Writes are atomic
 * (temp file, fsync, rename) and coalesced: a burst of saves schedules one write shortly after
 * the first, and saves arriving during a write cause exactly one more. `flush()` (called on
 * close) waits for all of it, so a clean shutdown never loses a save.
 */
import { open, readFile, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { WfsyncError } from "../errors.js";
import type { ApiGeneration, FlowRecord, OptionRecord, StoreData } from "./store.js";

export class DataFile {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private failure: unknown;
  /** How long the last write took: large data waits longer, so writing stays a small share of the time. */
  private lastWriteMs = 0;
  /** Writes completed so far (tests and counters read it). */
  writes = 0;

  constructor(
    readonly file: string,
    private readonly snapshot: () => StoreData,
    private readonly delayMs = 100,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** Notes a change; the write follows after a delay, together with any changes until then. */
  schedule(): void {
    this.dirty = true;
    if (this.timer === undefined && this.running === undefined) {
      this.timer = setTimeout(() => void this.run(), Math.max(this.delayMs, 4 * this.lastWriteMs));
    }
  }

  /** Writes any pending change now and waits for it; rejects if a write failed. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (this.running) await this.running;
      else if (this.dirty) await this.run();
      else break;
    }
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw new WfsyncError("E_EMULATOR_DATA", `Cannot write data file ${this.file}: ${(err as Error).message}`, { cause: err, userError: false });
    }
  }

  private run(): Promise<void> {
    this.timer = undefined;
    this.running ??= (async () => {
      this.dirty = false;
      const started = performance.now();
      try {
        await writeAtomically(this.file, `${JSON.stringify(this.snapshot())}\n`);
        this.writes++;
        this.lastWriteMs = performance.now() - started;
      } catch (err) {
        this.failure = err;
        this.onError?.(err);
      } finally {
        this.running = undefined;
        // Changes made during the write wait for the next turn, so a stream of saves against
        // large data does not keep the event loop busy serialising.
        if (this.dirty) this.schedule();
      }
    })();
    return this.running;
  }
}

export async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Reads a data file; undefined when it does not exist yet (the seed is used then). A file made
 * by the other generation is refused: their flows and options differ in shape.
 */
export async function readDataFile(file: string, api: ApiGeneration = "10.2"): Promise<StoreData | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new WfsyncError("E_EMULATOR_DATA", `Cannot read data file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new WfsyncError("E_EMULATOR_DATA", `Data file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const problem = checkData(raw);
  if (problem) {
    throw new WfsyncError("E_EMULATOR_DATA", `Data file ${file} is not an emulator data file: ${problem}`, {
      detail: "Delete it (or pass another --data file) to start again from the seed.",
    });
  }
  const data = raw as StoreData;
  const made = data.api ?? "10.2";
  if (made !== api) {
    throw new WfsyncError("E_EMULATOR_DATA", `Data file ${file} was written by an emulator playing API generation ${made}, not ${api}`, {
      detail: `Start it with --api ${made}, or pass another --data file (or delete this one) to start from the seed.`,
    });
  }
  return data;
}

/** The file is the emulator's own, so a shape check of its records is enough. */
function checkData(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const d = raw as Partial<Record<keyof StoreData, unknown>>;
  if (d.version !== 1) return `unknown version ${JSON.stringify(d.version)} (expected 1)`;
  if (d.api !== undefined && d.api !== "12") return `unknown api ${JSON.stringify(d.api)}`;
  if (!Number.isInteger(d.nextOptionId) || !Number.isInteger(d.nextStepId)) return "nextOptionId/nextStepId missing";
  if (!Array.isArray(d.workflows) || !d.workflows.every(isFlow)) return "workflows malformed";
  if (!Array.isArray(d.options) || !d.options.every(isOption)) return "options malformed";
  return undefined;
}

function isFlow(f: unknown): f is FlowRecord {
  const r = f as Partial<FlowRecord> | null;
  return !!r && Number.isInteger(r.WorkflowId) && Number.isInteger(r.EmailFlowId) && Array.isArray(r.Steps);
}

function isOption(o: unknown): o is OptionRecord {
  const r = o as Partial<OptionRecord> | null;
  return !!r && Number.isInteger(r.WorkflowStepOptionId) && Number.isInteger(r.WorkflowStepId) && Array.isArray(r.Steps);
}
