/**
 * The one table of SuperOffice Flow step types (servers 10.2.4–10.2.9) and their fields.
 * It drives the DSL's normalisation, the model <-> carrier conversion, the emulator's
 * validation and `import`'s code generation, so a new field is added here once.
 */

export const TIME_WAIT_ALGORITHMS = ["None", "NumIntervals", "UntilSpecified", "UntilDateField"] as const;
export type TimeWaitAlgorithm = (typeof TIME_WAIT_ALGORITHMS)[number];

export const INTERVAL_TYPES = ["None", "Seconds", "Minutes", "Hours", "WorkingDays", "Days", "Weeks"] as const;
export type IntervalType = (typeof INTERVAL_TYPES)[number];

/** A field's wire type. `enum` fields travel as names. */
export type FieldKind =
  | { readonly type: "int" }
  | { readonly type: "string" }
  | { readonly type: "bool" }
  | { readonly type: "int[]" }
  | { readonly type: "enum"; readonly values: readonly string[] };

const int = { type: "int" } as const;
const str = { type: "string" } as const;
const bool = { type: "bool" } as const;
const intList = { type: "int[]" } as const;
const oneOf = (values: readonly string[]) => ({ type: "enum", values }) as const;

/**
 * Field names are the model's (camelCase); the wire name is the PascalCase form.
 * `Split` is special: its only field is `options` (nested options), handled by the model.
 */
export const STEP_TYPES = {
  None: { number: 0, fields: {} },
  SendEmail: { number: 1, fields: { subject: str, attachments: intList, shipmentId: int } },
  SendSMS: { number: 2, fields: {} },
  WaitForTime: {
    number: 3,
    fields: {
      timeWaitAlgorithm: oneOf(TIME_WAIT_ALGORITHMS),
      numIntervals: int,
      intervalType: oneOf(INTERVAL_TYPES),
      until: str,
    },
  },
  WaitForAction: { number: 4, fields: {} },
  Split: { number: 5, fields: {} },
  UpdateContact: { number: 6, fields: {} },
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
      status: int,
    },
  },
  // Fields as a 10.2.8 server answers them; the npm client 10.2.9 declares none. Their types
  // are inferred from the names (ids are ints, times and durations ints, kinds strings).
  CreateFollowUp: {
    number: 10,
    fields: {
      agenda: str,
      assignTo: int,
      availability: str,
      completed: bool,
      duration: int,
      followUpType: int,
      project: int,
      title: str,
      workflowActionTime: int,
      workflowActionTimeUnit: oneOf(INTERVAL_TYPES),
      workflowActionType: str,
      workflowOwnerType: str,
    },
  },
  CreateSale: { number: 11, fields: {} },
  NotifyByEmail: { number: 12, fields: {} },
  NotifyBySMS: { number: 13, fields: {} },
  RunScript: { number: 14, fields: {} },
} as const satisfies Record<string, { number: number; fields: Record<string, FieldKind> }>;

export type StepTypeName = keyof typeof STEP_TYPES;
export const STEP_TYPE_NAMES = Object.keys(STEP_TYPES) as StepTypeName[];

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
  byNumber.set(STEP_TYPES[name].number, name);
}
for (const [alias, name] of Object.entries(STEP_TYPE_ALIASES)) byLowerName.set(alias.toLowerCase(), name);

/** Resolves a StepType as a server would bind it: a name (any case, aliases too) or its number. */
export function resolveStepType(value: unknown): StepTypeName | undefined {
  if (typeof value === "number") return byNumber.get(value);
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return byNumber.get(Number(trimmed));
    return byLowerName.get(trimmed.toLowerCase());
  }
  return undefined;
}

export function stepFields(type: StepTypeName): Readonly<Record<string, FieldKind>> {
  return STEP_TYPES[type].fields;
}

/** The value a server fills in for a field that was not sent. */
export function defaultFieldValue(kind: FieldKind): unknown {
  switch (kind.type) {
    case "int":
      return 0;
    case "string":
      return "";
    case "bool":
      return false;
    case "int[]":
      return [];
    case "enum":
      return kind.values[0];
    default: {
      const never: never = kind;
      return never;
    }
  }
}
