/**
 * Writes the builder file of one imported workflow: typed step calls, fields left at their
 * default omitted (the model fills them in, so leaving them out loses nothing), `rank` only where
 * it differs from the declaration order, `when` where the option has a kind, and a `// wfsync:`
 * comment wherever the code differs from the server (a generated key) or an option was skipped.
 * Pure and deterministic: the same server data always gives the same bytes.
 */
import { CodeBlockWriter, Project } from "ts-morph";
import { whenKeyOf } from "../compile/when.js";
import type { OptionContent, StepModel } from "../model/option.js";
import { REQUIRED_FIELDS } from "../model/rules.js";
import { RECORDS, allStepFields, defaultFieldValue, recordFieldDefault, type FlowFieldKind, type StepTypeName } from "../model/steps.js";
import { OPTION_KINDS, type OptionWhen } from "../model/when.js";
import type { GeneratedKey, ImportedSplit, ImportedWorkflow, UnsupportedOption } from "./convert.js";

export interface GenerateOptions {
  /** The import command line for the header (only arguments that decide the content). */
  readonly command: string;
}

/** Longer step calls are written one field per line. */
const MAX_LINE = 100;

export function generateWorkflowFile(workflow: ImportedWorkflow, options: GenerateOptions): string {
  const w = new CodeBlockWriter({ indentNumberOfSpaces: 2, newLine: "\n", useSingleQuote: false });
  const flow = workflow.emailFlowId === undefined ? "" : `e-mail flow ${workflow.emailFlowId}`;
  const what =
    workflow.flowName === undefined
      ? `Workflow ${workflow.workflowId}${flow ? ` (${flow})` : ""}`
      : `Flow ${literal(workflow.flowName)} (workflow ${workflow.workflowId}${flow ? `, ${flow}` : ""})`;
  comment(w, `${what}.`);
  comment(w, `Imported with \`${options.command}\`.`);
  comment(w, "From now on this file is what `wfsync plan` and `wfsync apply` compare the tenant with.");
  if (workflow.api === "12") {
    comment(w, "The server keeps no option keys: each key here was made from its option's name, and is how");
    comment(w, "wfsync knows the option from now on (renaming a key deletes the option and creates a new one).");
  }
  w.writeLine('import { workflow } from "wfsync";').blankLine();
  w.write(`export default workflow(${workflow.workflowId}, (wf) => `)
    .inlineBlock(() => {
      workflow.splits.forEach((split, i) => {
        if (i > 0) w.blankLine();
        writeSplit(w, split, workflow.api === "12");
      });
    })
    .write(");")
    .newLine();
  return formatTypeScript(w.toString());
}

/** `keyless`: read from the current generation, whose options have no Key to name them by. */
function writeSplit(w: CodeBlockWriter, split: ImportedSplit, keyless: boolean): void {
  w.write(`wf.split(${split.workflowStepId}, (split) => `)
    .inlineBlock(() => {
      if (split.options.length === 0) comment(w, "This split has no options on the server yet.");
      let position = 0;
      for (const o of split.options) {
        if (!o.supported) {
          writeSkipped(w, o, keyless);
          continue;
        }
        const scope: Scope = { keys: o.generatedKeys, updateParticipant: o.updateParticipant };
        writeOption(w, scope, o.declared, { position: ++position, splitVar: "split", depth: 0, path: "" });
      }
    })
    .write(");")
    .newLine();
}

/** What is the same for every level of one top-level option. */
interface Scope {
  readonly keys: readonly GeneratedKey[];
  readonly updateParticipant: boolean;
}

interface At {
  /** 1-based position among the emitted options of its split. */
  readonly position: number;
  readonly splitVar: string;
  readonly depth: number;
  /** As in GeneratedKey.path. */
  readonly path: string;
}

function writeOption(w: CodeBlockWriter, scope: Scope, content: OptionContent, at: At): void {
  const generated = scope.keys.find((k) => k.path === at.path);
  if (generated) writeKeyComment(w, generated);
  const rank = content.rank === at.position ? "" : `, rank: ${content.rank}`;
  const inline = `{ name: ${literal(content.name)}${rank}${content.when ? `, when: ${code(whenInCode(content.when))}` : ""} }`;
  const start = `${at.splitVar}.option(${literal(content.key)}, `;
  // Without `when` always one line, as before option kinds; with one, the props over several lines when long.
  const props =
    content.when && w.getIndentationLevel() * 2 + start.length + inline.length + 15 > MAX_LINE
      ? code({ name: content.name, ...(rank ? { rank: content.rank } : {}), when: whenInCode(content.when) }, w.getIndentationLevel() * 2, start.length, true)
      : inline;
  const head = `${start}${props}`;
  if (content.steps.length === 0) {
    w.writeLine(`${head});`);
    return;
  }
  const pathVar = at.depth === 0 ? "path" : `p${suffix(at.depth)}`;
  w.write(`${head}, (${pathVar}) => `)
    .inlineBlock(() => content.steps.forEach((step, i) => writeStep(w, scope, step, pathVar, { ...at, path: `${at.path}/${i}` })))
    .write(");")
    .newLine();
}

function writeStep(w: CodeBlockWriter, scope: Scope, step: StepModel, pathVar: string, at: At): void {
  if (step.stepType === "Split") {
    const depth = at.depth + 1;
    const inner = `inner${suffix(depth)}`;
    const args = stepArguments(step);
    const fields = args.length ? `{ ${args.map(([k, v]) => `${k}: ${v}`).join(", ")} }, ` : "";
    w.write(`${pathVar}.split(${fields}(${inner}) => `)
      .inlineBlock(() =>
        (step.options ?? []).forEach((o, j) => writeOption(w, scope, o, { position: j + 1, splitVar: inner, depth, path: `${at.path}.${j}` })),
      )
      .write(");")
      .newLine();
    return;
  }
  const method = methodName(step.stepType, scope.updateParticipant);
  const args = stepArguments(step);
  if (args.length === 0) {
    w.writeLine(`${pathVar}.${method}();`);
    return;
  }
  const oneLine = `${pathVar}.${method}({ ${args.map(([k, v]) => `${k}: ${v}`).join(", ")} });`;
  if (w.getIndentationLevel() * 2 + oneLine.length <= MAX_LINE && !oneLine.includes("\n")) {
    w.writeLine(oneLine);
    return;
  }
  const indent = (w.getIndentationLevel() + 1) * 2;
  const long = stepArguments(step, (name) => ({ indent, used: name.length + 2 }));
  w.write(`${pathVar}.${method}(`)
    .inlineBlock(() => long.forEach(([k, v]) => w.writeLine(`${k}: ${v},`)))
    .write(");")
    .newLine();
}

/** `none`, `sendEmail`, `sendSMS`, … : the StepType in camelCase (README, "One method per step type"). */
function methodName(type: StepTypeName, updateParticipant: boolean): string {
  if (type === "UpdateContact" && updateParticipant) return "updateParticipant";
  return type.charAt(0).toLowerCase() + type.slice(1);
}

/**
 * The fields to write, as `[name, code]`: required ones first, then the table's order; defaults
 * left out. `place(name)` says where a field's value starts, for values long enough to break.
 */
function stepArguments(step: StepModel, place?: (name: string) => { indent: number; used: number }): [string, string][] {
  if (step.stepType === "WaitForTime") {
    switch (step.timeWaitAlgorithm) {
      case "NumIntervals":
        return [
          ["numIntervals", String(step.numIntervals)],
          ["intervalType", literal(String(step.intervalType))],
        ];
      case "UntilSpecified":
        return [["until", literal(String(step.until))]];
      default:
        return [["timeWaitAlgorithm", literal(String(step.timeWaitAlgorithm))]];
    }
  }
  const fields = allStepFields(step.stepType);
  const required = REQUIRED_FIELDS[step.stepType] ?? [];
  const names = [...required, ...Object.keys(fields).filter((f) => !required.includes(f))];
  const out: [string, string][] = [];
  for (const name of names) {
    const value = step[name];
    // A later field is in the model only when it holds something else than its default.
    if (value === undefined) continue;
    if (!required.includes(name) && JSON.stringify(value) === JSON.stringify(defaultFieldValue(fields[name]!.kind))) continue;
    const at = place?.(name);
    out.push([name, code(inCode(fields[name]!.kind, value), at?.indent, at?.used, at !== undefined)]);
  }
  return out;
}

/** A model value as code writes it: structured values without their default fields, in the table's order. */
function inCode(kind: FlowFieldKind, value: unknown): unknown {
  if (kind.type !== "records" || !Array.isArray(value)) return value;
  const spec = RECORDS[kind.record];
  return value.map((record: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(spec.fields)) {
      if (JSON.stringify(record[name]) === JSON.stringify(recordFieldDefault(field))) continue;
      out[name] = inCode(field.kind, record[name]);
    }
    return out;
  });
}

/** An option's kind as code writes it: `{ selection: 12 }`, `{ formData: { form: 3, restrictions: [...] } }`. */
function whenInCode(when: OptionWhen): Record<string, unknown> {
  const w = when as unknown as Record<string, unknown>;
  const groups = () => inCode({ type: "records", record: "restrictionGroup" }, w.restrictionGroups);
  const key = whenKeyOf(when.kind);
  if (when.kind === "FormData") return { formData: { form: when.formId, restrictions: groups() } };
  if (when.kind === "PersonData") return { personData: groups() };
  return { [key]: w[OPTION_KINDS[when.kind].target!] };
}

/**
 * A value as TypeScript code, on one line when it fits (or always, unless `mayBreak`); otherwise
 * objects and lists break one element per line, each nested value the same way. `indent` is the
 * column the value's line is indented to, `used` what that line already holds before the value.
 */
function code(value: unknown, indent = 0, used = 0, mayBreak = false): string {
  const inline = oneLine(value);
  // +1: the comma after it.
  if (!mayBreak || indent + used + inline.length + 1 <= MAX_LINE || value === null || typeof value !== "object") return inline;
  const inner = indent + 2;
  if (Array.isArray(value)) return `[\n${value.map((v) => `  ${indentRest(code(v, inner, 0, true))},`).join("\n")}\n]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, v]) => `  ${k}: ${indentRest(code(v, inner, k.length + 2, true))},`).join("\n")}\n}`;
}

function oneLine(value: unknown): string {
  if (typeof value === "string") return literal(value);
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? `{ ${entries.map(([k, v]) => `${k}: ${oneLine(v)}`).join(", ")} }` : "{}";
  }
  return String(value);
}

/** Continuation lines one level deeper (the formatter puts the whole block at its place). */
function indentRest(text: string): string {
  return text.replace(/\n/g, "\n  ");
}

function writeKeyComment(w: CodeBlockWriter, k: GeneratedKey): void {
  const was = k.reason === "empty" ? `the server's Key is ${literal(k.serverKey)} (empty)` : `the server's Key ${literal(k.serverKey)} is already used by an earlier option of this split`;
  comment(w, `wfsync: generated key; ${was}.`);
  if (k.path === "") comment(w, "The next `wfsync apply` saves this key on the server (plan shows it as an update).");
  else comment(w, "The next `wfsync apply` saves it on the server (an update of the option; this path's steps get new ids).");
}

function writeSkipped(w: CodeBlockWriter, o: UnsupportedOption, keyless: boolean): void {
  const which = keyless ? `option ${literal(o.name)} (id ${o.id}, rank ${o.rank})` : `option ${literal(o.key)} (${literal(o.name)}, id ${o.id}, rank ${o.rank})`;
  comment(w, `wfsync import: ${which} skipped; the DSL cannot express:`);
  for (const problem of o.problems) comment(w, `  - ${problem}`);
  comment(w, "It stays on the server as it is, and wfsync leaves it alone.");
}

function comment(w: CodeBlockWriter, text: string): void {
  // A line terminator inside a server value would end the comment early.
  w.writeLine(`// ${text.replace(/[\r\n\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}`);
}

/** A double-quoted TypeScript string literal; JSON's escaping plus the two JS-only line terminators. */
export function literal(text: string): string {
  return JSON.stringify(text).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function suffix(depth: number): string {
  return depth <= 1 ? "" : String(depth);
}

let formatter: Project | undefined;

/** Runs ts-morph's formatter over the text (the writer already indents; this is the normal form). */
function formatTypeScript(text: string): string {
  formatter ??= new Project({ useInMemoryFileSystem: true, skipAddingFilesFromTsConfig: true });
  const sf = formatter.createSourceFile("/import.ts", text, { overwrite: true });
  sf.formatText({ indentSize: 2, tabSize: 2, convertTabsToSpaces: true, ensureNewLineAtEndOfFile: true });
  const out = sf.getFullText();
  formatter.removeSourceFile(sf);
  return out;
}
