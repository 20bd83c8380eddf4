/** What one watch run did: the value `startWatch` emits and the renderer prints. */
import type { Change } from "../plan/diff.js";
import type { WfsyncError } from "../errors.js";
import type { RunTrigger } from "./schedule.js";
import type { Waiting } from "./partition.js";

export interface WatchRun {
  /** 1 for the start-up run, then counting. */
  readonly seq: number;
  /** Why it ran (several when they coalesced). */
  readonly triggers: readonly RunTrigger[];
  /** Changed files of this run, as shown (relative to the project folder). */
  readonly files: readonly string[];
  /** Clock times (ms since the epoch). */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** From the first file event of the batch to the end of the run: save → applied. */
  readonly latencyMs: number | undefined;
  /** Which splits were read from the server: all (start-up, refresh), those with creates, none. */
  readonly refreshed: "all" | "some" | "none";
  /** Workflow files and options in the model after this run (last good options included). */
  readonly workflowFiles: number;
  readonly options: number;
  /** Compile and validation problems present now, each at file:line:col with a code frame. */
  readonly errors: readonly WfsyncError[];
  /** Workflow files (as shown) whose last good options stand in for a failed compile. */
  readonly failedFiles: readonly string[];
  /** New workflow files (as shown) that declare no workflow yet: nothing from them is sent, and that is no error. */
  readonly emptyFiles: readonly string[];
  /** Workflow files (as shown) deleted in this run: their options become pending deletes. */
  readonly removedFiles: readonly string[];
  /** Workflow files that failed in the previous run and compile again now. */
  readonly recoveredFiles: readonly string[];
  /** The config file changed: reloaded, or kept (its problems in `configErrors`). */
  readonly config?: { readonly reloaded: boolean; readonly notes: readonly string[]; readonly errors: readonly WfsyncError[] };
  /** Sent and recorded in the state. */
  readonly applied: readonly Change[];
  /** The server's id of each applied option the state holds after the run (a new one's too). */
  readonly ids: ReadonlyMap<string, number>;
  /** Sent and failed: still in the diff, so retried (by the next run). */
  readonly failed: readonly { readonly change: Change; readonly error: unknown }[];
  /** Not sent because the option was edited again meanwhile; the follow-up run sends it. */
  readonly superseded: readonly Change[];
  /** Not sent because watch was stopping, or because of `stopped`. */
  readonly cancelled: readonly Change[];
  /** The fault that stopped sending in this run (credentials refused, state not writable). */
  readonly stopped?: WfsyncError;
  /** Not sent this run, with why: a file that does not compile, a conflict, a missing split. */
  readonly held: readonly Waiting[];
  /** Options gone from code still on the server: listed after every run until resolved. */
  readonly pendingDeletes: readonly Waiting[];
  /** Changes made on the server behind wfsync's back (seen on the splits read in this run). */
  readonly drift: readonly Change[];
  /** Stopped the run before or during apply: e.g. the server could not be reached. */
  readonly problem?: unknown;
  /** When failures will be retried without a new save (ms), if they will. */
  readonly retryInMs?: number;
}

/** Something worth saying between runs: throttling, retries, watcher trouble. */
export interface WatchNotice {
  readonly at: number;
  readonly level: "info" | "warn";
  readonly message: string;
}
