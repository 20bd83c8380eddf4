/**
 * Where a setting is written in the config file, so a problem with its value is reported at
 * that property (`concurrency: 0` at `concurrency`), with a code frame. Only a config with a
 * problem comes here: TypeScript's parser is loaded then, never on the happy path.
 */
import { readFileSync } from "node:fs";
import type * as TsMorph from "ts-morph";
import { tsMorph } from "../ts-morph.js";
import type { SourceLocation } from "../errors.js";

type Ts = typeof TsMorph.ts;
type Node = TsMorph.ts.Node;

/** What an error about a setting carries: its location, and the file's text for the frame. */
export interface SettingPlace {
  readonly location: SourceLocation;
  readonly sourceText?: string;
}

/** The config file's text and where each setting of its exported object is written (offsets). */
interface ParsedConfig {
  readonly text: string;
  readonly properties: ReadonlyMap<string, number>;
  readonly positionOf: (offset: number) => { line: number; character: number };
}

/**
 * Returns a function locating settings of `configFile` (shown as `shownAs`). The file is read
 * and parsed on the first call. A setting that is not written as a property of the exported
 * object (a spread, a value built elsewhere) is placed at the file's start, as before.
 */
export function settingLocator(configFile: string, shownAs: string): (setting: string) => SettingPlace {
  let parsed: ParsedConfig | null | undefined;
  return (setting) => {
    if (parsed === undefined) parsed = parse(configFile);
    const offset = parsed?.properties.get(setting);
    if (!parsed || offset === undefined) return { location: { file: shownAs, line: 1, column: 1 } };
    const pos = parsed.positionOf(offset);
    return { location: { file: shownAs, line: pos.line + 1, column: pos.character + 1 }, sourceText: parsed.text };
  };
}

function parse(configFile: string): ParsedConfig | null {
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch {
    return null;
  }
  const { ts } = tsMorph();
  const sf = ts.createSourceFile(configFile, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const properties = new Map<string, number>();
  // Nested settings by dotted path: `environments.production.rate`.
  const collect = (object: TsMorph.ts.ObjectLiteralExpression, prefix: string): void => {
    for (const p of object.properties) {
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name : undefined;
      if (!name) continue;
      const key = prefix + name.text;
      // Of two properties with one name, the last is the value that counts.
      properties.set(key, name.getStart(sf));
      if (ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer)) collect(p.initializer, `${key}.`);
    }
  };
  const exported = exportedObject(ts, sf);
  if (exported) collect(exported, "");
  return { text, properties, positionOf: (offset) => sf.getLineAndCharacterOfPosition(offset) };
}

/** The object literal `export default` exports: through `defineConfig(...)`, casts, parentheses and a const. */
function exportedObject(ts: Ts, sf: TsMorph.ts.SourceFile): TsMorph.ts.ObjectLiteralExpression | undefined {
  const exported = sf.statements.find((s): s is TsMorph.ts.ExportAssignment => ts.isExportAssignment(s) && !s.isExportEquals);
  let node: Node | undefined = exported?.expression;
  for (let hops = 0; node && hops < 10; hops++) {
    if (ts.isObjectLiteralExpression(node)) return node;
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node)) {
      node = node.expression;
    } else if (ts.isCallExpression(node)) node = node.arguments[0];
    else if (ts.isIdentifier(node)) node = constInitializer(ts, sf, node.text);
    else return undefined;
  }
  return undefined;
}

function constInitializer(ts: Ts, sf: TsMorph.ts.SourceFile, name: string): Node | undefined {
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s)) continue;
    const d = s.declarationList.declarations.find((v) => ts.isIdentifier(v.name) && v.name.text === name);
    if (d) return d.initializer;
  }
  return undefined;
}
