/**
 * The check cache (`.wfsync/check-cache.json`): files that passed the type check, with the hash
 * of their text and what their imports resolved to. A file whose text, and whose imports' texts,
 * are unchanged since it last passed needs no type check; when that holds for every file, the
 * TypeScript checker is not even loaded. The key covers the TypeScript version, the compiler
 * options and the DSL's declarations, so upgrading wfsync invalidates it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface CachedFile {
  /** sha1 of the file's text when it passed. */
  readonly hash: string;
  /** Import specifier → the user file it resolved to (imports of "wfsync" and built-ins left out). */
  readonly deps: Readonly<Record<string, string>>;
  /** The CommonJS it was transpiled to, with its source map (saves starting esbuild). */
  readonly code?: string;
  readonly map?: string;
}

export interface CheckCache {
  get(file: string): CachedFile | undefined;
  set(file: string, entry: CachedFile): void;
  delete(file: string): void;
  /** Writes the cache if it changed; never throws (a cache is an optimisation). */
  save(): void;
}

const VERSION = 1;

export function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** Opens (or starts) the cache at `file`; a missing, corrupt or foreign-key cache starts empty. */
export function openCheckCache(file: string, key: string): CheckCache {
  let entries: Record<string, CachedFile> = {};
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { version?: number; key?: string; files?: Record<string, CachedFile> };
    if (parsed.version === VERSION && parsed.key === key && parsed.files && typeof parsed.files === "object") entries = parsed.files;
  } catch {
    // No cache yet, or unreadable: start empty.
  }
  let dirty = false;
  return {
    get: (f) => entries[f],
    set(f, entry) {
      const old = entries[f];
      if (old && old.hash === entry.hash && old.code === entry.code && JSON.stringify(old.deps) === JSON.stringify(entry.deps)) return;
      entries[f] = entry;
      dirty = true;
    },
    delete(f) {
      if (entries[f]) {
        delete entries[f];
        dirty = true;
      }
    },
    save() {
      if (!dirty) return;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ version: VERSION, key, files: entries }));
        renameSync(tmp, file);
        dirty = false;
      } catch {
        // A read-only folder just means no cache.
      }
    },
  };
}

/** sha1 over the DSL's declaration files (the entry and everything it imports relatively). */
export function dslFingerprint(entry: string): string {
  const hash = createHash("sha1");
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return;
    }
    hash.update(file).update("\0").update(text).update("\0");
    for (const m of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
      const spec = m[1]!;
      const base = path.resolve(path.dirname(file), spec);
      const candidates = entry.endsWith(".d.ts") ? [base.replace(/\.js$/, ".d.ts")] : [base.replace(/\.js$/, ".ts")];
      for (const c of candidates) visit(c);
    }
  };
  visit(entry);
  return hash.digest("hex");
}
