/**
 * The one table of SuperOffice Flow step types and their fields, on every server wfsync speaks to.
 * It drives the DSL's normalisation, the model <-> carrier conversions of both API generations,
 * the emulator's validation and `import`'s code generation, so a new field is added here once.
 *
 * Fields without `since` are those of the 10.2 generation (10.2.4–10.2.9; some arrived within it,
 * see superoffice-api.md): the model always holds them, defaults filled in. Fields with a `since`
 * after 10.2.9 are left out of the model while they hold their default, so an option written for
 * 10.2 has the same model (and hash) on both generations. Versions are from the API release notes
 * (`version_10.*_changes`) and the official 12.4 client.
 */
import type { ServerVersion } from "./versions.js";
import { isAfterPerOptionApi } from "./versions.js";

export const TIME_WAIT_ALGORITHMS = ["None", "NumIntervals", "UntilSpecified", "UntilDateField"] as const;
export type TimeWaitAlgorithm = (typeof TIME_WAIT_ALGORITHMS)[number];

export const INTERVAL_TYPES = ["None", "Seconds", "Minutes", "Hours", "WorkingDays", "Days", "Weeks"] as const;
export type IntervalType = (typeof INTERVAL_TYPES)[number];

/** `WorkflowActionType` (12.4 Enums.ts): when a created sale's (or follow-up's) action is due. */
export const WORKFLOW_ACTION_TYPES = ["None", "FirstAvailable", "FirstAvailableAfter", "Today", "After", "Estimated"] as const;
/** `WorkflowNotifyEmailType`. */
export const NOTIFY_EMAIL_TYPES = ["OurContact", "OurServiceContact", "SpecificEmailAddress"] as const;
/** `WorkflowNotifySMSType`. */
export const NOTIFY_SMS_TYPES = ["OurContact", "OurServiceContact", "SpecificPhoneNumbers"] as const;
/** `WorkflowWaitForActionType`. */
export const WAIT_FOR_ACTION_TYPES = ["None", "LinkClicked", "FormSubmitted"] as const;
/** `WorkflowOwnerType`: who a created follow-up is assigned to. */
export const WORKFLOW_OWNER_TYPES = ["None", "Specified", "OurContact", "OurSupportContact"] as const;
/** `FreeBusy`. */
export const FREE_BUSY = ["Busy", "Free"] as const;
/** `InterRestrictionOperator`. */
export const INTER_OPERATORS = ["None", "And", "Or"] as const;

/** A field's wire type in the 10.2 generation. `enum` fields travel as names. */
export type FieldKind =
  | { readonly type: "int" }
  | { readonly type: "string" }
  | { readonly type: "bool" }
  | { readonly type: "int[]" }
  | { readonly type: "enum"; readonly values: readonly string[] };

/** A field's wire type on any server: the 10.2 kinds and those only later fields have. */
export type FlowFieldKind =
  | FieldKind
  /** A decimal (CreateSale `Amount`). */
  | { readonly type: "number" }
  /** Any whole number, negative too (`InterParenthesis`). */
  | { readonly type: "integer" }
  | { readonly type: "string[]" }
  /** A date as the server writes it, `2026-05-31T00:00:00` (CreateSale `Date`). */
  | { readonly type: "date" }
  /** A list of structured values (restriction groups, wait-for actions, field values). */
  | { readonly type: "records"; readonly record: RecordName };

export interface StepField {
  readonly kind: FlowFieldKind;
  /** The server version that added the field; absent: every server of the 10.2 generation has it. */
  readonly since?: ServerVersion;
  /** From server `since` on the wire calls the field `to`; before, the PascalCase model name. */
  readonly renamed?: { readonly to: string; readonly since: ServerVersion };
  /**
   * On the current generation the field is this enum (a string on 10.2, whose server answered
   * text). `none`, the enum's first value, is what a field never set reads as there: it reads as
   * the model's default ("") and the default is written as it. From the 12.4 client; that `none`
   * is what an unset field answers is inferred (a .NET enum's default is its first value).
   */
  readonly flowEnum?: { readonly values: readonly string[]; readonly none: string };
}

export interface StepTypeSpec {
  readonly number: number;
  /** The server version that added the step type; absent: every server. */
  readonly since?: ServerVersion;
  readonly fields: Readonly<Record<string, StepField>>;
  /**
   * Wire fields the server keeps for itself (run-time state, values it derives): never in the
   * model, never reported as unknown; an update sends back what the server had.
   */
  readonly serverKept?: readonly string[];
}

const int = { kind: { type: "int" } } as const;
const str = { kind: { type: "string" } } as const;
const bool = { kind: { type: "bool" } } as const;
const intList = { kind: { type: "int[]" } } as const;
const oneOf = (values: readonly string[]) => ({ kind: { type: "enum", values } }) as const;
const since = <F extends StepField>(version: ServerVersion, field: F) => ({ ...field, since: version });
const added = (version: ServerVersion, fields: Record<string, StepField>): Record<string, StepField> =>
  Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, since(version, field)]));
const textList = { kind: { type: "string[]" } } as const;
const records = (record: RecordName) => ({ kind: { type: "records", record } }) as const;

/**
 * Field names are the model's (camelCase); the wire name is the PascalCase form unless `renamed`.
 * `Split` has its nested options besides its fields, handled by the model.
 */
export const STEP_TABLE = {
  None: { number: 0, fields: {} },
  SendEmail: { number: 1, fields: { subject: str, attachments: intList, shipmentId: int } },
  SendSMS: { number: 2, fields: added("10.2.11", { from: str, text: str, exit: bool }) },
  WaitForTime: {
    number: 3,
    fields: {
      timeWaitAlgorithm: oneOf(TIME_WAIT_ALGORITHMS),
      numIntervals: int,
      intervalType: oneOf(INTERVAL_TYPES),
      until: str,
    },
  },
  WaitForAction: {
    number: 4,
    fields: added("10.3.1", {
      exitFlow: bool,
      exitToFlowId: int,
      exitToSelectionId: int,
      actionTimeout: int,
      waitForTimeout: bool,
      timeoutIntervalType: oneOf(INTERVAL_TYPES),
      actions: records("waitForAction"),
    }),
  },
  Split: {
    number: 5,
    fields: {
      ...added("10.2.11", { splitName: str, shipmentId: int, exitFlow: bool }),
      ...added("10.3.1", { exitToFlowId: int, exitToSelectionId: int }),
    },
    // Derived from the options' kinds when written (splitOptionTypeOf in flow.ts).
    serverKept: ["splitOptionType"],
  },
  UpdateContact: {
    number: 6,
    fields: {
      ...added("10.3.4", { description: str }),
      ...added("10.3.1", { fieldValuesPerson: records("fieldValue"), fieldValuesCompany: records("fieldValue") }),
    },
  },
  AddToList: { number: 7, fields: { selection: int, project: int } },
  RemoveFromList: { number: 8, fields: { selection: int, project: int } },
  CreateRequest: {
    number: 9,
    fields: {
      title: str,
      category: int,
      priority: int,
      owner: int,
      message: str,
      requestType: int,
      status: { ...int, renamed: { to: "TicketStatus", since: "10.3.3" } },
    },
  },
  // Fields as a 10.2.8 server answers them; the npm client 10.2.9 declares none. Their types
  // are inferred from the names (ids are ints, times and durations ints, kinds strings);
  // 10.2.10 renamed five of them and made two of the strings enums.
  CreateFollowUp: {
    number: 10,
    fields: {
      agenda: str,
      assignTo: { ...int, renamed: { to: "Owner", since: "10.2.10" } },
      availability: { ...str, flowEnum: { values: FREE_BUSY, none: "Busy" } },
      completed: bool,
      duration: int,
      followUpType: int,
      project: int,
      title: str,
      workflowActionTime: { ...int, renamed: { to: "ActionTime", since: "10.2.10" } },
      workflowActionTimeUnit: { ...oneOf(INTERVAL_TYPES), renamed: { to: "ActionTimeUnit", since: "10.2.10" } },
      workflowActionType: { ...str, renamed: { to: "ActionType", since: "10.2.10" }, flowEnum: { values: WORKFLOW_ACTION_TYPES, none: "None" } },
      workflowOwnerType: { ...str, renamed: { to: "OwnerType", since: "10.2.10" }, flowEnum: { values: WORKFLOW_OWNER_TYPES, none: "None" } },
    },
  },
  CreateSale: {
    number: 11,
    fields: {
      ...added("10.2.10", {
        title: str,
        saleType: int,
        stage: int,
        amount: { kind: { type: "number" } },
        currency: int,
        description: str,
        project: int,
        date: { kind: { type: "date" } },
        owner: int,
      }),
      ...added("10.3.1", { actionType: oneOf(WORKFLOW_ACTION_TYPES), actionTime: int, actionTimeUnit: oneOf(INTERVAL_TYPES) }),
      ...added("10.3.5", { source: int }),
    },
  },
  NotifyByEmail: {
    number: 12,
    fields: added("10.3.5", { to: oneOf(NOTIFY_EMAIL_TYPES), specificEmailAddresses: textList, subject: str, text: str }),
  },
  NotifyBySMS: {
    number: 13,
    fields: added("10.3.6", { to: oneOf(NOTIFY_SMS_TYPES), specificPhoneNumbers: textList, from: str, text: str }),
  },
  RunScript: { number: 14, fields: added("10.3.6", { scriptId: int }) },
  DistributeToOwner: {
    number: 15,
    since: "11.2",
    fields: added("11.2", { onlyToUnassigned: bool, associates: intList, userGroups: intList, defaultAssociate: int }),
    // "The ordered queue of next new owners": the server's round-robin position (inferred), not
    // configuration; managing it would reset the rotation on every apply.
    serverKept: ["distributeQueue"],
  },
} as const satisfies Record<string, StepTypeSpec>;

export type StepTypeName = keyof typeof STEP_TABLE;
export const STEP_TYPE_NAMES = Object.keys(STEP_TABLE) as StepTypeName[];

/**
 * The 10.2 generation's view of the table: each type's number and the fields every 10.2.4–10.2.9
 * server has (the per-option carrier and the emulator's 10.2 profile use these).
 */
export const STEP_TYPES = Object.fromEntries(
  STEP_TYPE_NAMES.map((name) => {
    const spec: StepTypeSpec = STEP_TABLE[name];
    const fields = Object.entries(spec.fields).filter(([, f]) => !isAfterPerOptionApi(f.since));
    return [name, { number: spec.number, fields: Object.fromEntries(fields.map(([n, f]) => [n, f.kind as FieldKind])) }];
  }),
) as Readonly<Record<StepTypeName, { readonly number: number; readonly fields: Readonly<Record<string, FieldKind>> }>>;

/**
 * Server 10.2.9 renamed UpdateContact to UpdateParticipant (same number, 6). Both names are
 * accepted on input; the model keeps the older name because every 10.2.4–10.2.9 server
 * understands it, and the two never count as a difference.
 */
export const STEP_TYPE_ALIASES: Readonly<Record<string, StepTypeName>> = {
  UpdateParticipant: "UpdateContact",
};

const byLowerName = new Map<string, StepTypeName>();
const byNumber = new Map<number, StepTypeName>();
for (const name of STEP_TYPE_NAMES) {
  byLowerName.set(name.toLowerCase(), name);
  byNumber.set(STEP_TABLE[name].number, name);
}
for (const [alias, name] of Object.entries(STEP_TYPE_ALIASES)) byLowerName.set(alias.toLowerCase(), name);

/** Resolves a StepType as a server would bind it: a name (any case, aliases too) or its number. */
export function resolveStepType(value: unknown): StepTypeName | undefined {
  if (typeof value === "number") return byNumber.get(value);
  if (typeof value !== "string") return undefined;
  // Every step of every carrier names its type: the few spellings a server uses are resolved once.
  const known = resolvedSpellings.get(value);
  if (known !== undefined || resolvedSpellings.has(value)) return known;
  const trimmed = value.trim();
  const resolved = /^\d+$/.test(trimmed) ? byNumber.get(Number(trimmed)) : byLowerName.get(trimmed.toLowerCase());
  // Bounded, so that a server sending ever new names cannot grow it without end.
  if (resolvedSpellings.size < 1024) resolvedSpellings.set(value, resolved);
  return resolved;
}

const resolvedSpellings = new Map<string, StepTypeName | undefined>();

/** The fields of a type on every 10.2.4–10.2.9 server (the model always holds these). */
export function stepFields(type: StepTypeName): Readonly<Record<string, FieldKind>> {
  return STEP_TYPES[type].fields;
}

/** Every field of a type on any server, in table order. */
export function allStepFields(type: StepTypeName): Readonly<Record<string, StepField>> {
  return (STEP_TABLE[type] as StepTypeSpec).fields;
}

export function stepTypeSpec(type: StepTypeName): StepTypeSpec {
  return STEP_TABLE[type];
}

/** Whether the model leaves the field out while it holds its default (it came after 10.2.9). */
export function omittedAtDefault(field: StepField): boolean {
  return isAfterPerOptionApi(field.since);
}

// ---------------------------------------------------------------------------------------------
// Structured values inside later fields (and inside option kinds)

export type RecordName = "restrictionGroup" | "restriction" | "waitForAction" | "fieldValue";

export interface RecordField {
  readonly kind: FlowFieldKind;
  /** The value meant when it is left out, if not the kind's default. Inferred where stated. */
  readonly default?: unknown;
}

export interface RecordSpec {
  /** In words, for messages. */
  readonly what: string;
  /** Model names; the wire name is the PascalCase form. In the order code writes them. */
  readonly fields: Readonly<Record<string, RecordField>>;
  /** Wire properties the server fills in (ids, display texts): dropped when read, never compared. */
  readonly serverOnly: readonly string[];
  /** Ordered by `Rank` when read; written with Rank = position (the model keeps the order, not the rank). */
  readonly ranked?: boolean;
  /** The wire id, lent by position from the server's last answer when written. */
  readonly id?: string;
}

export const RECORDS: Readonly<Record<RecordName, RecordSpec>> = {
  /** `ArchiveRestrictionGroup`. */
  restrictionGroup: {
    what: "restriction group",
    fields: { name: str, description: str, restrictions: records("restriction") },
    serverOnly: [],
    ranked: true,
  },
  /** `ArchiveRestrictionInfo`: a column, an operator and values. */
  restriction: {
    what: "restriction",
    fields: {
      name: str,
      operator: str,
      values: textList,
      // "Default for new ArchiveRestrictionInfo objects is And"; a new one is active (inferred).
      isActive: { ...bool, default: true },
      interOperator: { ...oneOf(INTER_OPERATORS), default: "And" },
      interParenthesis: { kind: { type: "integer" } },
      subRestrictions: records("restriction"),
    },
    // Display texts and the column's description are the server's rendering of the above.
    serverOnly: ["displayValues", "columnInfo", "uniqueHash"],
  },
  /** `WorkflowWaitForAction` (10.3.1). */
  waitForAction: {
    what: "wait-for action",
    fields: { actionType: oneOf(WAIT_FOR_ACTION_TYPES), restrictionGroups: records("restrictionGroup") },
    serverOnly: ["workflowWaitForActionId", "workflowStepId", "workflowId", "tableRight", "fieldProperties"],
    ranked: true,
    id: "WorkflowWaitForActionId",
  },
  /** `FieldValueInfo` as UpdateParticipant uses it: a field, the operation and its values. */
  fieldValue: {
    what: "field value",
    fields: { key: str, currentOperationType: str, values: textList, isActive: { ...bool, default: true } },
    // The rest of FieldValueInfo describes the field (names, controls, operations on offer).
    serverOnly: [
      "canSupportMultiUse",
      "defaultShowInGui",
      "defaultShowInSelector",
      "valueType",
      "mandatory",
      "encodedDisplayName",
      "encodedDisplayDescription",
      "iconHint",
      "controlInfos",
      "encodedDataCaption",
      "encodedDataCaptionDescription",
      "displayValues",
      "operationInfos",
    ],
  },
};

/** The value a server fills in for a field that was not sent. */
export function defaultFieldValue(kind: FlowFieldKind): unknown {
  switch (kind.type) {
    case "int":
    case "integer":
    case "number":
      return 0;
    case "string":
    case "date":
      return "";
    case "bool":
      return false;
    case "int[]":
    case "string[]":
    case "records":
      return [];
    case "enum":
      return kind.values[0];
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** A record field's value when left out. */
export function recordFieldDefault(field: RecordField): unknown {
  return field.default !== undefined ? field.default : defaultFieldValue(field.kind);
}
