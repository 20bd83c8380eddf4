/**
 * Replaces a file atomically: write a temp file in the same folder, fsync it, keep the previous
 * version as `<file>.bak`, rename over, fsync the folder. A crash at any moment leaves either
 * the old or the new file in place, never a half-written one.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export function writeFileAtomicSync(file: string, text: string, options: { mode: number; backup: boolean }): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", options.mode);
  try {
    try {
      fs.fchmodSync(fd, options.mode); // the umask may have narrowed or widened it
      writeAllSync(fd, Buffer.from(text, "utf8"));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (options.backup && fs.existsSync(file)) backupSync(file, `${file}.bak`, options.mode);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirSync(path.dirname(file));
}

/** The previous version as `.bak`: a hard link (instant) where possible, else a copy. */
function backupSync(file: string, bak: string, mode: number): void {
  fs.rmSync(bak, { force: true });
  try {
    fs.linkSync(file, bak);
  } catch {
    fs.copyFileSync(file, bak);
    fs.chmodSync(bak, mode);
  }
}

export function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Makes a rename or unlink in `dir` durable. Not possible on every platform; best effort there. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a folder for fsync; its renames are durable enough for us.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A file's text, or `undefined` when it does not exist (any other failure is thrown). */
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
