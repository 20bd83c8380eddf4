/**
 * An option's kind and target on the current generation (`WorkflowStepOptionBase.OptionType` and
 * its fields): which participants take the option. Absent means OptionType `None`, the only kind
 * the 10.2 generation has. Built with sorted keys, like the rest of the model.
 */
import { caseInsensitive, pascalCase } from "./carrier.js";
import { canonicalRecords, recordsToWire, stableText, type UnknownField } from "./records.js";
import type { ServerVersion } from "./versions.js";

/** `WorkflowSplitOptionType`, in the order of its numbers (0–6). */
export const OPTION_TYPES = ["None", "PersonData", "FormSubmission", "LinkClicked", "ProjectMembership", "SelectionMembership", "FormData"] as const;
export type OptionType = (typeof OPTION_TYPES)[number];
export type OptionKind = Exclude<OptionType, "None">;

/** `ArchiveRestrictionInfo` in the model: every field, keys sorted. */
export interface RestrictionModel {
  readonly interOperator: string;
  readonly interParenthesis: number;
  readonly isActive: boolean;
  readonly name: string;
  readonly operator: string;
  readonly subRestrictions: readonly RestrictionModel[];
  readonly values: readonly string[];
}

/** `ArchiveRestrictionGroup` in the model: in list order (the wire's Rank is that order). */
export interface RestrictionGroupModel {
  readonly description: string;
  readonly name: string;
  readonly restrictions: readonly RestrictionModel[];
}

export type OptionWhen =
  | { readonly kind: "SelectionMembership"; readonly selectionId: number }
  | { readonly kind: "ProjectMembership"; readonly projectId: number }
  | { readonly kind: "FormSubmission"; readonly formId: number }
  | { readonly kind: "LinkClicked"; readonly linkId: number }
  | { readonly kind: "PersonData"; readonly restrictionGroups: readonly RestrictionGroupModel[] }
  | { readonly kind: "FormData"; readonly formId: number; readonly restrictionGroups: readonly RestrictionGroupModel[] };

interface KindSpec {
  /** The model field holding the target id (the wire name is its PascalCase form). */
  readonly target?: "selectionId" | "projectId" | "formId" | "linkId";
  readonly groups?: true;
  /** The first server with the kind. */
  readonly since: ServerVersion;
}

/** Each kind's fields. Option kinds came with the flow API (10.2.10); FormData with 10.3.2. */
export const OPTION_KINDS: Readonly<Record<OptionKind, KindSpec>> = {
  PersonData: { groups: true, since: "10.2.10" },
  FormSubmission: { target: "formId", since: "10.2.10" },
  LinkClicked: { target: "linkId", since: "10.2.10" },
  ProjectMembership: { target: "projectId", since: "10.2.10" },
  SelectionMembership: { target: "selectionId", since: "10.2.10" },
  FormData: { target: "formId", groups: true, since: "10.3.2" },
};

/** The wire fields of every kind (lower case), for telling a kind's field from an unknown one. */
export const KIND_FIELDS = ["selectionid", "projectid", "formid", "linkid", "restrictiongroups"] as const;

/** Resolves an OptionType as a server would bind it: a name in any case, or its number. */
export function resolveOptionType(value: unknown): OptionType | undefined {
  if (typeof value === "number") return OPTION_TYPES[value];
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return OPTION_TYPES[Number(trimmed)];
  return OPTION_TYPES.find((t) => t.toLowerCase() === trimmed.toLowerCase());
}

/**
 * The canonical `when` of a kind whose fields `get` reads (by model name, any casing the source
 * has); None gives undefined. Restriction groups are canonicalised; ids are kept as given (the
 * rules check them).
 */
export function canonicalWhen(kind: OptionKind, get: (field: string) => unknown, unknown?: UnknownField): OptionWhen {
  const spec = OPTION_KINDS[kind];
  const out: Record<string, unknown> = {};
  // Keys in sorted order: formId, kind, linkId, projectId, restrictionGroups, selectionId.
  const fields = [...(spec.target ? [spec.target] : []), ...(spec.groups ? ["restrictionGroups"] : []), "kind"].sort();
  for (const field of fields) {
    if (field === "kind") out.kind = kind;
    else if (field === "restrictionGroups") {
      const groups = get("restrictionGroups");
      out.restrictionGroups = Array.isArray(groups) ? canonicalRecords("restrictionGroup", groups, "RestrictionGroups", unknown) : [];
    } else out[field] = toId(get(field));
  }
  return out as unknown as OptionWhen;
}

/** A `when` from plain values in the model's shape (the state file, a raw option). */
export function canonicalWhenOf(raw: { readonly kind: string; readonly [field: string]: unknown }): OptionWhen {
  const kind = resolveOptionType(raw.kind);
  if (!kind || kind === "None") throw new Error(`unknown option kind ${JSON.stringify(raw.kind)}`);
  const c = caseInsensitive(raw);
  return canonicalWhen(kind, (field) => c.get(field.toLowerCase()));
}

/** The option's wire fields on the current generation: `OptionType` and the kind's fields. */
export function whenToCarrier(when: OptionWhen | undefined): Record<string, unknown> {
  if (!when) return { OptionType: "None" };
  const spec = OPTION_KINDS[when.kind];
  const out: Record<string, unknown> = { OptionType: when.kind };
  const w = when as unknown as Record<string, unknown>;
  if (spec.target) out[pascalCase(spec.target)] = w[spec.target];
  if (spec.groups) out.RestrictionGroups = recordsToWire("restrictionGroup", w.restrictionGroups as unknown[]);
  return out;
}

/** What the option's kind targets, as text: `12` for a selection, the groups' stable text for PersonData. */
export function whenTarget(when: OptionWhen | undefined): string {
  if (!when) return "";
  const spec = OPTION_KINDS[when.kind];
  const w = when as unknown as Record<string, unknown>;
  const parts = [...(spec.target ? [String(w[spec.target])] : []), ...(spec.groups ? [stableText(w.restrictionGroups)] : [])];
  return parts.join(":");
}

/**
 * What identifies an option on a server that stores no Key: kind + target + name, e.g.
 * `SelectionMembership:12:VIP customers`, `None::Everyone else`. The name comes last, so the
 * text is unambiguous whatever it contains (a target never ends in a colon it did not write).
 */
export function optionIdentity(option: { readonly name: string; readonly when?: OptionWhen | undefined }): string {
  return `${option.when?.kind ?? "None"}:${whenTarget(option.when)}:${option.name}`;
}

function toId(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return v === undefined || v === null ? 0 : (v as number);
}
