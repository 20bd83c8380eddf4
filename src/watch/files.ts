/**
 * Which paths the daemon cares about, and the chokidar source that reports them.
 *
 * chokidar 5 has no globs: it watches the base folders of the workflow globs (plus the config
 * file and any module the workflows import from outside them) and `WorkflowMatcher` filters with
 * picomatch, using the same rules as `findWorkflowFiles` (no `.d.ts`, no `node_modules`, never
 * the config file). The daemon's own files (state, journal, lock, temp files, log) never count.
 */
import { existsSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import picomatch from "picomatch";
import type { ResolvedConfig } from "../config/load.js";

export class WorkflowMatcher {
  private readonly positive: (rel: string) => boolean;
  private readonly negative: (rel: string) => boolean;

  constructor(
    private readonly config: Pick<ResolvedConfig, "root" | "workflows" | "configFile" | "state">,
    private readonly logFile?: string,
  ) {
    const globs = config.workflows.map((g) => g.replace(/^\.\//, ""));
    const pos = globs.filter((g) => !g.startsWith("!"));
    const neg = globs.filter((g) => g.startsWith("!")).map((g) => g.slice(1));
    this.positive = pos.length ? picomatch(pos) : () => false;
    this.negative = neg.length ? picomatch(neg) : () => false;
  }

  /** True for a file the workflow globs select (whether or not it exists). */
  isWorkflowFile(abs: string): boolean {
    if (abs === this.config.configFile || abs.endsWith(".d.ts") || abs.split(path.sep).includes("node_modules")) return false;
    if (this.isOwnFile(abs)) return false;
    const rel = path.relative(this.config.root, abs).split(path.sep).join("/");
    return this.positive(rel) && !this.negative(rel);
  }

  /**
   * The state file and its companions (journal, lock, backup, temp files), the log file, and
   * anything in the project's `.wfsync` folder (the check cache).
   */
  isOwnFile(abs: string): boolean {
    if (this.logFile !== undefined && abs === path.resolve(this.logFile)) return true;
    if (abs.startsWith(path.join(this.config.root, ".wfsync") + path.sep)) return true;
    const state = this.config.state;
    if (path.dirname(abs) !== path.dirname(state)) return false;
    const name = path.basename(abs);
    const base = path.basename(state);
    return name.startsWith(base) || name.startsWith(`.${base}`);
  }

  /** Folders to watch: the static part of each positive glob (the root for `**` globs). */
  watchRoots(): string[] {
    const roots = new Set<string>();
    for (const glob of this.config.workflows) {
      if (glob.startsWith("!")) continue;
      const scan = picomatch.scan(glob.replace(/^\.\//, ""));
      const base = path.resolve(this.config.root, scan.base);
      // A glob without wildcards names one file: watch its folder (it may not exist yet).
      roots.add(scan.isGlob ? base : path.dirname(base));
    }
    return [...roots].sort();
  }
}

/** What to watch: whole folders (the static part of each glob) and single files. */
export interface WatchSpec {
  /** The project folder: always watched (pruned to what matters), so folders may come and go. */
  readonly anchor: string;
  readonly roots: readonly string[];
  readonly files: readonly string[];
}

/** Where file events come from; the daemon only ever sees absolute paths. */
export interface FileEventSource {
  /** Starts reporting changes (add, change, unlink) to `onPath`; resolves once watching. */
  start(onPath: (abs: string) => void, onError: (err: Error) => void): Promise<void>;
  /** Sets what is watched, before or after start; replaces the previous spec. */
  setWatched(spec: WatchSpec): void;
  close(): Promise<void>;
}

/** Skipped while scanning, so a `**` glob at the root does not crawl dependencies or git. */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);

/**
 * chokidar over a WatchSpec. chokidar 5 reports nothing for a path that does not exist yet and
 * stops watching a folder that is deleted, so it watches the *parents* of the roots (the anchor
 * at least) and prunes everything that is neither inside a root, nor on the way to one, nor a
 * watched file: a folder deleted and created again (a branch switch), or one that a new glob
 * names before it exists, is still seen.
 */
export function chokidarSource(ignore: (abs: string) => boolean): FileEventSource {
  let watcher: FSWatcher | undefined;
  let spec: WatchSpec | undefined;
  let files = new Set<string>();
  const added = new Set<string>();

  const wanted = (abs: string): boolean => {
    if (!spec) return false;
    if (files.has(abs)) return true;
    for (const r of spec.roots) if (abs === r || abs.startsWith(r + path.sep) || r.startsWith(abs + path.sep)) return true;
    for (const f of files) if (f.startsWith(abs + path.sep)) return true;
    return false;
  };
  const targets = (s: WatchSpec): string[] => {
    const out = new Set<string>([s.anchor]);
    for (const r of s.roots) {
      if (r === s.anchor) continue;
      out.add(nearestExisting(path.dirname(r)));
      // A folder that exists: watched itself too. A new glob may name a folder that chokidar
      // pruned from a parent it already watches, and it never looks at a pruned folder again.
      if (existsSync(r)) out.add(r);
    }
    for (const f of s.files) out.add(existsSync(f) ? f : nearestExisting(path.dirname(f)));
    return [...out];
  };
  const sync = (): void => {
    if (!watcher || !spec) return;
    const fresh = targets(spec).filter((t) => !added.has(t));
    for (const t of fresh) added.add(t);
    if (fresh.length) watcher.add(fresh);
  };

  let handlers: { onPath: (abs: string) => void; onError: (err: Error) => void } | undefined;
  /**
   * chokidar reports at most one change of a file per 50 ms and drops (does not postpone) the
   * others: a second save within 50 ms of the first (an editor's format-on-save, a generator
   * writing twice) would never be seen, and watch would keep the first version. So each change
   * is looked at again a little later, and reported once more if the file changed since.
   */
  const followUps = new Map<string, NodeJS.Timeout>();
  const followUp = (abs: string, seen: Stats | undefined): void => {
    clearTimeout(followUps.get(abs));
    const timer = setTimeout(() => {
      followUps.delete(abs);
      let now: Stats;
      try {
        now = statSync(abs);
      } catch {
        return; // gone: chokidar reports the unlink
      }
      if (seen && now.mtimeMs === seen.mtimeMs && now.size === seen.size && now.ino === seen.ino) return;
      handlers?.onPath(abs);
      followUp(abs, now);
    }, CHANGE_FOLLOW_UP_MS);
    timer.unref();
    followUps.set(abs, timer);
  };
  /**
   * `newRoots`: a watcher replacing another after a glob change also reports what its first scan
   * finds inside these folders (roots the previous spec did not have), so that a file written
   * there while it was starting is not missed. Everything else it finds was already known.
   */
  const open = (newRoots: readonly string[] = []): FSWatcher => {
    let scanning = newRoots.length > 0;
    const w = watch([], {
      ignoreInitial: !scanning,
      // Its default of waiting 2 s for writes to settle would be most of our latency budget;
      // a half-written file simply fails to compile and is compiled again on its next event.
      awaitWriteFinish: false,
      ignored: (p: string) => {
        const abs = path.resolve(p);
        return SKIPPED_DIRS.has(path.basename(abs)) || ignore(abs) || !wanted(abs);
      },
    });
    const report = (p: string): void => handlers?.onPath(path.resolve(p));
    const inNewRoot = (abs: string): boolean => newRoots.some((r) => abs === r || abs.startsWith(r + path.sep));
    w.once("ready", () => (scanning = false));
    w.on("add", (p: string) => {
      if (!scanning || inNewRoot(path.resolve(p))) report(p);
    });
    w.on("change", (p: string, stats?: Stats) => {
      report(p);
      followUp(path.resolve(p), stats);
    });
    w.on("unlink", report).on("error", (err) => handlers?.onError(err as Error));
    // A deleted folder: watch from its parent, so that it is seen when it comes back.
    w.on("unlinkDir", () => {
      added.clear();
      sync();
    });
    return w;
  };

  return {
    start(onPath, onError) {
      handlers = { onPath, onError };
      const w = open();
      watcher = w;
      sync();
      return new Promise<void>((resolve) => w.once("ready", () => resolve()));
    },
    setWatched(next) {
      const previous = spec?.roots ?? [];
      const rootsChanged = spec !== undefined && JSON.stringify(previous) !== JSON.stringify(next.roots);
      spec = next;
      files = new Set(next.files);
      // chokidar prunes what the previous spec did not want and never looks at it again: a glob
      // changed and changed back left its folder unwatched for good. A glob change starts a new
      // watcher over the new spec (the old one is closed once the new one is watching). It reports
      // the files its first scan finds, so one written while it was starting is not missed.
      if (rootsChanged && watcher) {
        const old = watcher;
        watcher = open(next.roots.filter((r) => !previous.includes(r)));
        watcher.once("ready", () => void old.close());
        added.clear();
      }
      sync();
    },
    async close() {
      for (const timer of followUps.values()) clearTimeout(timer);
      followUps.clear();
      await watcher?.close();
    },
  };
}

/** Longer than the 50 ms in which chokidar reports one change of a file at most. */
const CHANGE_FOLLOW_UP_MS = 80;

function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}
