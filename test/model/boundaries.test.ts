/**
 * The model is the one form code, state and server share, so it depends on nothing else of
 * wfsync; the emulator answers like a server and shares only the model and the error class
 * with the engine (never its compile, plan, apply, client, … code).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

function relativeImports(folder: string): { file: string; spec: string }[] {
  const out: { file: string; spec: string }[] = [];
  for (const file of fs.readdirSync(path.join(SRC, folder)).filter((f) => f.endsWith(".ts"))) {
    const text = fs.readFileSync(path.join(SRC, folder, file), "utf8");
    for (const m of text.matchAll(/\bfrom\s+"(\.[^"]*)"/g)) out.push({ file: `${folder}/${file}`, spec: m[1]! });
  }
  return out;
}

describe("module boundaries", () => {
  it("model/ imports only model/", () => {
    expect(relativeImports("model").filter((i) => !i.spec.startsWith("./"))).toEqual([]);
  });

  it("the emulator imports only model/ and errors.ts of the engine", () => {
    const allowed = (spec: string) => spec.startsWith("./") || spec.startsWith("../model/") || spec === "../errors.js";
    expect(relativeImports("emulator").filter((i) => !allowed(i.spec))).toEqual([]);
  });
});
