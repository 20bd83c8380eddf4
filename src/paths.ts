import path from "node:path";

/** A path as shown to the user: relative to `root` with `/` when inside it, else absolute. */
export function displayPath(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}
