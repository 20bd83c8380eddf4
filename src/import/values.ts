/**
 * `wfsync import --ids-from SOURCE --env TARGET`: writes the target environment's entry of each
 * `defineValues({...})` table from the source environment's, by finding on the target tenant
 * the flows and Split steps the source's ids name, matched by name (a Split step without a name
 * on either side by its place among the flow's Split steps). Ids it cannot match — a selection,
 * a shipment, a flow the target does not have — are left out and reported, so the table is
 * refused ("environment TARGET has no value for …") until someone fills them in: a wrong id
 * could send a tenant's participants somewhere they should not go.
 */
import { readFileSync, statSync } from "node:fs";
import type * as TsMorph from "ts-morph";
import { WfsyncError } from "../errors.js";
import { displayPath } from "../paths.js";
import { writeFileAtomicSync } from "../state/atomic.js";
import type { DiscoveredFlow } from "../tenant/discover.js";
import { tsMorph } from "../ts-morph.js";

type Ts = typeof TsMorph.ts;

/** What one id of the source became. */
export type IdMatch =
  | { readonly path: string; readonly from: number; readonly to: number; readonly as: string }
  /** No match; `kept`: the target's value already there (set by hand) stays. */
  | { readonly path: string; readonly from: number; readonly unmatched: string; readonly kept?: string };

export interface ValuesFileResult {
  readonly file: string;
  readonly displayFile: string;
  /** Per defineValues table in the file. */
  readonly tables: readonly { readonly line: number; readonly matches: readonly IdMatch[]; readonly copied: readonly string[]; readonly replaced: boolean }[];
}

/** What an id names on a tenant: a flow, or the n-th (1-based) Split step of a flow. */
type IdMeaning = { kind: "flow"; flow: DiscoveredFlow } | { kind: "split"; flow: DiscoveredFlow; index: number; name: string };

function meanings(flows: readonly DiscoveredFlow[]): Map<number, IdMeaning[]> {
  const out = new Map<number, IdMeaning[]>();
  const add = (id: number, m: IdMeaning) => out.set(id, [...(out.get(id) ?? []), m]);
  for (const flow of flows) {
    add(flow.workflowId, { kind: "flow", flow });
    (flow.splits ?? []).forEach((s, i) => add(s.workflowStepId, { kind: "split", flow, index: i + 1, name: s.name }));
  }
  return out;
}

/** The id on the target that `id` of the source stands for, or why there is none. */
export function matchId(id: number, source: readonly DiscoveredFlow[], target: readonly DiscoveredFlow[], names: { source: string; target: string }): { to: number; as: string } | { unmatched: string } {
  const found = meanings(source).get(id) ?? [];
  if (found.length === 0) return { unmatched: `not a workflow or Split step id on ${names.source} (a selection, shipment or other id: set it by hand)` };
  if (found.length > 1) return { unmatched: `${id} is both a workflow id and a Split step id on ${names.source}: set it by hand` };
  const m = found[0]!;
  const sameName = target.filter((f) => f.name === m.flow.name);
  const flowWord = `flow ${JSON.stringify(m.flow.name)}`;
  if (sameName.length === 0) return { unmatched: `${names.target} has no ${flowWord}` };
  if (sameName.length > 1) return { unmatched: `${names.target} has ${sameName.length} flows named ${JSON.stringify(m.flow.name)} (workflows ${sameName.map((f) => f.workflowId).join(", ")})` };
  const flow = sameName[0]!;
  if (m.kind === "flow") return { to: flow.workflowId, as: flowWord };
  const splits = flow.splits ?? [];
  if (m.name !== "") {
    const named = splits.filter((s) => s.name === m.name);
    if (named.length === 1) return { to: named[0]!.workflowStepId, as: `${flowWord}, split ${JSON.stringify(m.name)}` };
    if (named.length > 1) return { unmatched: `${flowWord} on ${names.target} has ${named.length} Split steps named ${JSON.stringify(m.name)}` };
    if (splits.some((s) => s.name !== "")) return { unmatched: `${flowWord} on ${names.target} has no Split step named ${JSON.stringify(m.name)}` };
  }
  // No names to go by (servers before 10.2.11): the flows were made from one template, so the
  // n-th Split step is the same one — said as such in the report.
  if (splits.length !== (m.flow.splits ?? []).length) {
    return { unmatched: `${flowWord} has ${(m.flow.splits ?? []).length} Split steps on ${names.source} but ${splits.length} on ${names.target}, and they have no names to match by` };
  }
  return { to: splits[m.index - 1]!.workflowStepId, as: `${flowWord}, Split step ${m.index} of ${splits.length} (by place: no split names)` };
}

/**
 * Rewrites the `target` entry of every defineValues table in `file` from its `source` entry.
 * Returns undefined when the file has no such table.
 */
export function writeTargetValues(
  file: string,
  root: string,
  env: { source: string; target: string },
  flows: { source: readonly DiscoveredFlow[]; target: readonly DiscoveredFlow[] },
  labels: { source: string; target: string },
): ValuesFileResult | undefined {
  const { ts } = tsMorph();
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const tables: ValuesFileResult["tables"][number][] = [];
  const visit = (node: TsMorph.ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "defineValues") {
      const arg = node.arguments[0];
      if (arg && ts.isObjectLiteralExpression(arg)) {
        const table = rewriteTable(ts, sf, arg, env, flows, labels);
        if (table) {
          edits.push(table.edit);
          tables.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, matches: table.matches, copied: table.copied, replaced: table.replaced });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (tables.length === 0) return undefined;
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  writeFileAtomicSync(file, out, { mode: statSync(file).mode & 0o777, backup: false });
  return { file, displayFile: displayPath(file, root), tables };
}

function propertyName(ts: Ts, p: TsMorph.ts.ObjectLiteralElementLike): string | undefined {
  const name = p.name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined;
}

function rewriteTable(
  ts: Ts,
  sf: TsMorph.ts.SourceFile,
  table: TsMorph.ts.ObjectLiteralExpression,
  env: { source: string; target: string },
  flows: { source: readonly DiscoveredFlow[]; target: readonly DiscoveredFlow[] },
  labels: { source: string; target: string },
): { edit: { start: number; end: number; text: string }; matches: IdMatch[]; copied: string[]; replaced: boolean } | undefined {
  const props = table.properties.filter(ts.isPropertyAssignment);
  const source = props.find((p) => propertyName(ts, p) === env.source);
  if (!source) return undefined;
  if (!ts.isObjectLiteralExpression(source.initializer)) {
    const at = sf.getLineAndCharacterOfPosition(source.getStart(sf));
    throw new WfsyncError("E_VALUES_SHAPE", `the ${env.source} values of defineValues are not written as an object literal, so they cannot be read`, {
      location: { file: sf.fileName, line: at.line + 1, column: at.character + 1 },
    });
  }
  const matches: IdMatch[] = [];
  const copied: string[] = [];
  // What the target entry holds already: a value set by hand where no match was found stays.
  const existing = props.find((p) => propertyName(ts, p) === env.target);
  const held = new Map<string, string>();
  const collect = (object: TsMorph.ts.ObjectLiteralExpression, prefix: string): void => {
    for (const p of object.properties) {
      const name = propertyName(ts, p);
      if (!name || !ts.isPropertyAssignment(p)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      if (ts.isObjectLiteralExpression(p.initializer)) collect(p.initializer, path);
      else held.set(path, p.initializer.getText(sf));
    }
  };
  if (existing && ts.isObjectLiteralExpression(existing.initializer)) collect(existing.initializer, "");
  const build = (object: TsMorph.ts.ObjectLiteralExpression, prefix: string): string => {
    const parts: string[] = [];
    for (const p of object.properties) {
      const name = propertyName(ts, p);
      if (!name || !ts.isPropertyAssignment(p)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
      const init = p.initializer;
      if (ts.isObjectLiteralExpression(init)) {
        parts.push(`${key}: ${build(init, path)}`);
      } else if (ts.isNumericLiteral(init)) {
        const from = Number(init.text);
        const m = matchId(from, flows.source, flows.target, labels);
        if ("to" in m) {
          matches.push({ path, from, to: m.to, as: m.as });
          parts.push(`${key}: ${m.to}`);
        } else {
          const kept = held.get(path);
          matches.push({ path, from, unmatched: m.unmatched, ...(kept !== undefined ? { kept } : {}) });
          if (kept !== undefined) parts.push(`${key}: ${kept}`);
        }
      } else {
        copied.push(path);
        parts.push(`${key}: ${held.get(path) ?? init.getText(sf)}`);
      }
    }
    return parts.length ? `{ ${parts.join(", ")} }` : "{}";
  };
  const value = build(source.initializer, "");
  const targetKey = /^[A-Za-z_$][\w$]*$/.test(env.target) ? env.target : JSON.stringify(env.target);
  if (existing) return { edit: { start: existing.initializer.getStart(sf), end: existing.initializer.getEnd(), text: value }, matches, copied, replaced: true };
  // A new entry after the source's, on a line of its own with the source's indentation.
  const lineStart = sf.text.lastIndexOf("\n", source.getStart(sf)) + 1;
  const indent = /^[ \t]*/.exec(sf.text.slice(lineStart))![0];
  const after = source.getEnd();
  const comma = sf.text.slice(after).match(/^\s*,/);
  const insertAt = comma ? after + comma[0].length : after;
  return { edit: { start: insertAt, end: insertAt, text: `${comma ? "" : ","}\n${indent}${targetKey}: ${value},` }, matches, copied, replaced: false };
}
