import path from "node:path";
import { describe, expect, it } from "vitest";
import { WfsyncError, WfsyncErrors } from "../../src/errors.js";
import { annotationLines, escapeData, escapeProperty } from "../../src/cli/ci.js";

describe("GitHub workflow commands", () => {
  it("escape % CR LF in messages, and : , as well in properties", () => {
    expect(escapeData("50% done\r\nnext: a,b")).toBe("50%25 done%0D%0Anext: a,b");
    expect(escapeProperty("C:\\dir,x%\n")).toBe("C%3A\\dir%2Cx%25%0A");
  });

  it("one ::error per located problem, relative to the workspace; unlocated ones are left to the log", () => {
    const cwd = path.join(path.sep, "repo", "flows");
    const err = new WfsyncErrors("E_COMPILE", "2 problems", [
      new WfsyncError("TS2322", "Type '\"Dayz\"' is not assignable\nto type 'Days'", { location: { file: "workflows/a,b.ts", line: 9, column: 43 } }),
      new WfsyncError("E_DUPLICATE_KEY", "key \"vip\" twice: see http://user:secret@host/x", { location: { file: "workflows/c.ts", line: 1, column: 1 } }),
      new WfsyncError("E_OTHER", "no location"),
    ]);
    expect(annotationLines(err, { cwd, workspace: path.join(path.sep, "repo") })).toEqual([
      "::error file=flows/workflows/a%2Cb.ts,line=9,col=43,title=wfsync TS2322::Type '\"Dayz\"' is not assignable%0Ato type 'Days'",
      "::error file=flows/workflows/c.ts,line=1,col=1,title=wfsync E_DUPLICATE_KEY::key \"vip\" twice: see http://[redacted]@host/x",
    ]);
    expect(annotationLines(new WfsyncError("E_X", "plain"), { cwd })).toEqual([]);
  });
});
