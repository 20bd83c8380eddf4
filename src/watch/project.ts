/**
 * The project as the daemon sees it between runs: the config in force, the workflow files the
 * globs select, the modules they import, and what to watch. File events change it only at the
 * start of a run (`takeChanges`), never while a run is in flight.
 */
import path from "node:path";
import type { CompileResult } from "../compile/compiler.js";
import { displayPath } from "../paths.js";
import type { ResolvedConfig } from "../config/load.js";
import { WfsyncError, WfsyncErrors } from "../errors.js";
import type { WatchEngine } from "./engine.js";
import { WorkflowMatcher, type WatchSpec } from "./files.js";
import type { WatchRun } from "./run.js";

export interface WatchCompiler {
  setWorkflowFiles(files: Iterable<string>): unknown;
  /** May be asynchronous: the daemon's compiler evaluates without blocking the event loop. */
  compile(changed: Iterable<string>): CompileResult | Promise<CompileResult>;
  /** Stops an evaluation in flight (it fails at once) and ends the compiler's worker. */
  close?(): void;
  /** Workflow files that import `file`, directly or through other modules. */
  importersOf(file: string): Iterable<string>;
  /** The user's modules the workflow files import (absolute paths). */
  modules(): Iterable<string>;
}

export interface ProjectFiles {
  readonly configFile: string;
  /** Loads the config file again; throws a WfsyncError listing its problems. */
  loadConfig(): ResolvedConfig;
  listWorkflowFiles(config: ResolvedConfig): string[];
  exists(file: string): boolean;
}

export interface WatchedProjectOptions {
  readonly root: string;
  readonly config: ResolvedConfig;
  readonly compiler: WatchCompiler;
  readonly files: ProjectFiles;
  readonly engine: Pick<WatchEngine, "configure">;
  readonly logFile?: string | undefined;
}

export class WatchedProject {
  private current: ResolvedConfig;
  private matcher: WorkflowMatcher;
  readonly workflowFiles = new Set<string>();
  private modules = new Set<string>();

  constructor(private readonly o: WatchedProjectOptions) {
    this.current = o.config;
    this.matcher = new WorkflowMatcher(o.config, o.logFile);
  }

  get config(): ResolvedConfig {
    return this.current;
  }

  /** Finds the workflow files the globs select now. */
  init(): void {
    this.setWorkflowFiles(new Set(this.o.files.listWorkflowFiles(this.current)));
  }

  /** Whether an event for this path can matter: never the daemon's own files. */
  isRelevant(abs: string): boolean {
    if (this.matcher.isOwnFile(abs)) return false;
    return abs === this.o.files.configFile || this.matcher.isWorkflowFile(abs) || this.workflowFiles.has(abs) || this.modules.has(abs);
  }

  /**
   * Takes a batch of changed paths: reloads the config if it is among them, adds and removes
   * workflow files, and returns the paths to recompile.
   */
  takeChanges(paths: ReadonlySet<string>): { changed: string[]; config?: NonNullable<WatchRun["config"]> } {
    const config = paths.has(this.o.files.configFile) ? this.reloadConfig() : undefined;
    const changed: string[] = [];
    const next = new Set(this.workflowFiles);
    for (const p of paths) {
      if (p === this.o.files.configFile) continue;
      if (this.matcher.isWorkflowFile(p) && this.o.files.exists(p)) next.add(p);
      else next.delete(p);
      changed.push(p);
    }
    this.setWorkflowFiles(next);
    return { changed, ...(config ? { config } : {}) };
  }

  /** After a compile: the modules the workflow files import now (watched too). */
  noteModules(modules: Iterable<string>): void {
    this.modules = new Set([...modules].filter((f) => !this.workflowFiles.has(f)));
  }

  /** The anchor, the glob folders, the config file and imported modules outside the folders. */
  watchSpec(): WatchSpec {
    const roots = this.matcher.watchRoots();
    const inside = (f: string) => roots.some((r) => f === r || f.startsWith(r + path.sep));
    const files = [this.o.files.configFile, ...[...this.modules].filter((f) => !inside(f))].sort();
    return { anchor: this.current.root, roots, files };
  }

  /** A changed config is loaded again; a broken one is reported and the previous one kept. */
  private reloadConfig(): NonNullable<WatchRun["config"]> {
    const name = path.basename(this.o.files.configFile);
    let next: ResolvedConfig;
    try {
      next = this.o.files.loadConfig();
    } catch (err) {
      if (!(err instanceof WfsyncError)) throw err;
      const errors = err instanceof WfsyncErrors && err.errors.length ? err.errors : [err];
      return { reloaded: false, notes: [`${name} has errors: keeping the previous config`], errors };
    }
    const notes = [`reloaded ${name}`];
    // The state and its lock belong to one tenant and one file for the daemon's whole life.
    if (next.url !== this.current.url) notes.push(`a new url takes a restart of watch; still syncing ${this.current.url}`);
    if (next.state !== this.current.state) notes.push(`a new state file takes a restart of watch; still using ${displayPath(this.current.state, this.o.root)}`);
    this.current = { ...next, url: this.current.url, state: this.current.state };
    this.matcher = new WorkflowMatcher(this.current, this.o.logFile);
    this.o.engine.configure(this.current);
    this.setWorkflowFiles(new Set(this.o.files.listWorkflowFiles(this.current)));
    return { reloaded: true, notes, errors: [] };
  }

  private setWorkflowFiles(next: Set<string>): void {
    if (next.size === this.workflowFiles.size && [...next].every((f) => this.workflowFiles.has(f))) return;
    this.workflowFiles.clear();
    for (const f of next) this.workflowFiles.add(f);
    this.o.compiler.setWorkflowFiles(this.workflowFiles);
  }
}
