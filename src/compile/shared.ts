/**
 * What the compilers of one project family (a fleet run: one compiler per environment over the
 * same files) share. When an environment's evaluation of a file gave the very answer another's
 * did (the sandbox answers a context-free job from its first run; see
 * SandboxOptions.reuseContextFree), its definitions are decoded once, and its validation is the
 * same too, provided everything else it depends on is: the file's text and source map (where
 * each call is) and what every name it resolved resolves to on this tenant. Names are recorded
 * as they are asked and asked again of the next tenant; one different answer (another id, one
 * flow missing) and the file is validated again for that tenant. What is shared is frozen: no
 * environment can change another's.
 */
import type { WorkflowDefinition } from "../dsl/workflow.js";
import type { FileValidation } from "./validate.js";
import type { NameResolver, Resolved } from "./names.js";

/** A name asked of the resolver while validating. */
type Asked = { readonly kind: "flow"; readonly name: string } | { readonly kind: "split"; readonly workflowId: number; readonly name: string };
/** ... with its answer (as JSON). */
type Query = Asked & { readonly answer: string };

interface Kept {
  /** The sandbox's answer the definitions were decoded from (a JSON string). */
  readonly source: string;
  readonly text: string;
  readonly map: string | undefined;
  readonly standIn: boolean | undefined;
  readonly queries: readonly Query[];
  readonly validation: FileValidation;
}

/** What the validation of one file depends on besides its definitions. */
export interface ValidationInputs {
  readonly file: string;
  /** The evaluation's answer the file's definitions were decoded from. */
  readonly source: string;
  /** The file's TypeScript and its emitted source map: where each call is. */
  readonly text: string;
  readonly map: string | undefined;
  readonly names: NameResolver | undefined;
}

/** Validations kept per file: enough for a compile with names and one without, per variant. */
const KEPT_PER_FILE = 4;

export class SharedResults {
  private readonly kept = new Map<string, Kept[]>();
  private readonly decoded = new Map<string, { readonly source: string; readonly definitions: WorkflowDefinition[] }>();
  /** How many validations were answered from another environment's (for tests). */
  reused = 0;

  /** A file's definitions decoded from the evaluation's answer `source` before, if they were. */
  decodedFrom(file: string, source: string): WorkflowDefinition[] | undefined {
    const kept = this.decoded.get(file);
    return kept?.source === source ? kept.definitions : undefined;
  }

  /** Keeps (frozen) what `source` decoded to; returns it. */
  keepDecoded(file: string, source: string, definitions: WorkflowDefinition[]): WorkflowDefinition[] {
    this.decoded.set(file, { source, definitions: deepFreeze(definitions) });
    return definitions;
  }

  /** The validation of `inputs.file`, made by `validate` with the resolver it is given, or shared. */
  validate(inputs: ValidationInputs, validate: (names: NameResolver | undefined) => FileValidation): FileValidation {
    const { file, source, text, map, names } = inputs;
    const kept = this.kept.get(file) ?? [];
    const found = kept.find(
      (k) =>
        k.source === source &&
        k.text === text &&
        k.map === map &&
        k.standIn === names?.standIn &&
        (k.queries.length === 0 || (names !== undefined && k.queries.every((q) => answer(names, q) === q.answer))),
    );
    if (found) {
      this.reused++;
      return found.validation;
    }
    const queries: Query[] = [];
    const recording: NameResolver | undefined = names && {
      standIn: names.standIn,
      flow: (name) => record(queries, { kind: "flow", name }, names.flow(name)),
      split: (workflowId, name) => record(queries, { kind: "split", workflowId, name }, names.split(workflowId, name)),
    };
    const validation = deepFreeze(validate(recording));
    this.kept.set(file, [{ source, text, map, standIn: names?.standIn, queries, validation }, ...kept.filter((k) => k.source === source).slice(0, KEPT_PER_FILE - 1)]);
    return validation;
  }
}

function record(queries: Query[], asked: Asked, resolved: Resolved): Resolved {
  queries.push({ ...asked, answer: JSON.stringify(resolved) });
  return resolved;
}

function answer(names: NameResolver, q: Query): string {
  return JSON.stringify(q.kind === "flow" ? names.flow(q.name) : names.split(q.workflowId, q.name));
}

/** Freezes objects and arrays all the way down; a Map's values too (a Map itself cannot be). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return value;
  }
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}
