/**
 * An option's `when` as code writes it (`{ selection: 12 }`, `{ personData: [group, …] }`) turned
 * into the model's (`{ kind: "SelectionMembership", selectionId: 12 }`), with every problem the
 * types cannot catch (or a cast let through) in words. The model's rules check the values.
 */
import { checkWhen, fieldProblem, type FieldProblem, type WhenProblem } from "../model/rules.js";
import { canonicalWhenOf, OPTION_KINDS, type OptionKind, type OptionWhen } from "../model/when.js";
import { fieldKindInWords } from "./words.js";

/** The DSL's name of each kind and the model's, both ways. */
export const WHEN_KEYS = {
  selection: "SelectionMembership",
  project: "ProjectMembership",
  form: "FormSubmission",
  link: "LinkClicked",
  personData: "PersonData",
  formData: "FormData",
} as const satisfies Record<string, OptionKind>;

export type WhenKey = keyof typeof WHEN_KEYS;

export function whenKeyOf(kind: OptionKind): WhenKey {
  return (Object.keys(WHEN_KEYS) as WhenKey[]).find((k) => WHEN_KEYS[k] === kind)!;
}

export interface WhenRead {
  /** The model's `when`, when the code's could be read. */
  readonly when?: OptionWhen;
  /** What is wrong, each a sentence that starts with what it is about (`when.selection …`). */
  readonly problems: readonly string[];
}

/** Reads a `when` as code wrote it; undefined reads as no kind (OptionType None). */
export function whenFromCode(value: unknown): WhenRead {
  if (value === undefined) return { problems: [] };
  const keys = Object.keys(WHEN_KEYS).join(", ");
  if (!isObject(value)) return { problems: [`when must be an object with one of ${keys}, got ${show(value)}`] };
  const given = Object.keys(value);
  const unknown = given.filter((k) => !(k in WHEN_KEYS));
  if (unknown.length) return { problems: unknown.map((k) => `when has no "${k}"; it takes one of ${keys}`) };
  if (given.length !== 1) return { problems: [`when takes exactly one of ${keys}, got ${given.length ? given.join(" and ") : "none"}`] };
  const key = given[0] as WhenKey;
  const kind = WHEN_KEYS[key];
  const raw = value[key];
  const problems: string[] = [];
  let model: Record<string, unknown> | undefined;
  switch (key) {
    case "selection":
    case "project":
    case "form":
    case "link":
      model = { kind, [OPTION_KINDS[kind].target!]: raw };
      break;
    case "personData":
      if (groupsProblem(raw, `when.${key}`, problems)) model = { kind, restrictionGroups: raw };
      break;
    case "formData": {
      if (!isObject(raw)) {
        problems.push(`when.formData must be { form, restrictions }, got ${show(raw)}`);
        break;
      }
      const extra = Object.keys(raw).filter((k) => k !== "form" && k !== "restrictions");
      for (const k of extra) problems.push(`when.formData has no "${k}"; it takes form and restrictions`);
      if (!extra.length && groupsProblem(raw.restrictions, "when.formData.restrictions", problems)) {
        model = { kind, formId: raw.form, restrictionGroups: raw.restrictions };
      }
      break;
    }
    default: {
      const never: never = key;
      return never;
    }
  }
  if (!model) return { problems };
  const when = canonicalWhenOf(model as { kind: string });
  for (const p of checkWhen(when)) problems.push(whenProblemText(p, key));
  return problems.length ? { problems } : { when, problems };
}

/** Checks the shape of a list of restriction groups; true when it can be read. */
function groupsProblem(value: unknown, where: string, problems: string[]): boolean {
  const problem = fieldProblem({ type: "records", record: "restrictionGroup" }, value ?? null);
  if (!problem) return true;
  problems.push(fieldProblemText(problem, where, false));
  return false;
}

/**
 * A FieldProblem in words: `"field[0].name": expected a string, got 5` (quoted, as step fields
 * are named), or unquoted for a place in `when`.
 */
export function fieldProblemText(problem: FieldProblem, field: string, quote = true): string {
  const at = quote ? `"${field}${problem.path}"` : `${field}${problem.path}`;
  if (problem.code === "no-such-field") return `${at}: a ${problem.what} has no such field`;
  return `${at}: expected ${fieldKindInWords(problem.kind)}, got ${show(problem.value)}`;
}

function whenProblemText(p: WhenProblem, key: WhenKey): string {
  const groups = key === "formData" ? "when.formData.restrictions" : `when.${key}`;
  switch (p.code) {
    case "target-id":
      return `when.${key === "formData" ? "formData.form" : key} must be a positive id, got ${show(p.value)}`;
    case "no-groups":
      return `${groups} needs at least one restriction group`;
    case "empty-group":
      return `${groups}[${p.group}] needs at least one restriction`;
    case "restriction":
      return `${groups}${p.path} needs ${p.missing === "name" ? "a name (the archive column)" : "an operator"}`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
