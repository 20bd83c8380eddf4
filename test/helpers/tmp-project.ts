/**
 * A throwaway project folder with real files, for tests that compile, load config or spawn the
 * CLI. Call `cleanup()` in afterEach (or afterAll for a shared one).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TmpProject {
  /** Absolute path of the folder (symlinks resolved, so it matches what the compiler reports). */
  readonly dir: string;
  /** Absolute path of a file in the folder. */
  path(rel: string): string;
  /** Writes (or overwrites) a file, creating folders; returns its absolute path. */
  write(rel: string, text: string): string;
  read(rel: string): string;
  remove(rel: string): void;
  cleanup(): void;
}

export function makeProject(files: Record<string, string> = {}, prefix = "wfsync-test-"): TmpProject {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const project: TmpProject = {
    dir,
    path: (rel) => path.join(dir, rel),
    write(rel, text) {
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return file;
    },
    read: (rel) => fs.readFileSync(path.join(dir, rel), "utf8"),
    remove: (rel) => fs.rmSync(path.join(dir, rel), { force: true, recursive: true }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  for (const [rel, text] of Object.entries(files)) project.write(rel, text);
  return project;
}
