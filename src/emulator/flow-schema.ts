/**
 * What a 12.x server's carriers hold (generation 12: servers 10.2.10 – 12.x), taken from the
 * official client @superoffice/webapi 12.4.1514 (`Carriers.ts` EmailFlow, WorkflowStepBase and
 * its step carriers, WorkflowStepOptionBase and its kinds; `Enums.ts`). The emulator keeps this
 * table of its own rather than the engine's model (model/steps.ts): it plays the server, so a
 * wrong belief in the engine about the wire shows up as a difference instead of being shared.
 * Names are the wire's (PascalCase), in the carriers' order.
 */
import { INTERVAL_TYPES, TIME_WAIT_ALGORITHMS, STEP_TYPES, resolveStepType, type FieldKind } from "../model/steps.js";
import { pascalCase } from "../model/carrier.js";

/** A field's wire type: the 10.2 kinds and those later carriers add. */
export type CurrentFieldKind =
  | FieldKind
  /** A double (CreateSale `Amount`). */
  | { readonly type: "number" }
  | { readonly type: "string[]" }
  /** A DateTime: an ISO string, as Json.NET writes and binds it. */
  | { readonly type: "date" }
  /** A flags enum: names joined by ", " on the wire, a number accepted too. The first value is 0. */
  | { readonly type: "flags"; readonly values: readonly (readonly [string, number])[] }
  /**
   * A structure the emulator does not interpret (triggers, restriction groups, …): values kept
   * as sent, property names in PascalCase at every level, as a server answers them once bound
   * (the 12.4 client sends camelCase and reads PascalCase only).
   */
  | { readonly type: "structure"; readonly default: unknown };

const int = { type: "int" } as const;
const str = { type: "string" } as const;
const bool = { type: "bool" } as const;
const number = { type: "number" } as const;
const date = { type: "date" } as const;
const intList = { type: "int[]" } as const;
const strList = { type: "string[]" } as const;
const list = { type: "structure", default: Object.freeze([]) } as const;
const object = { type: "structure", default: null } as const;
const oneOf = (values: readonly string[]) => ({ type: "enum", values }) as const;

/** `WorkflowSplitOptionType` (Enums.ts ~3529). */
export const SPLIT_OPTION_TYPES = ["None", "PersonData", "FormSubmission", "LinkClicked", "ProjectMembership", "SelectionMembership", "FormData"] as const;
export type SplitOptionType = (typeof SPLIT_OPTION_TYPES)[number];

const ACTION_TYPES = ["None", "FirstAvailable", "FirstAvailableAfter", "Today", "After", "Estimated"] as const;
const OWNER_TYPES = ["None", "Specified", "OurContact", "OurSupportContact"] as const;
const FREE_BUSY = ["Busy", "Free"] as const;
const NOTIFY_EMAIL_TO = ["OurContact", "OurServiceContact", "SpecificEmailAddress"] as const;
const NOTIFY_SMS_TO = ["OurContact", "OurServiceContact", "SpecificPhoneNumbers"] as const;

/** The date Json.NET writes for an unset DateTime. */
export const MIN_DATE = "0001-01-01T00:00:00";

/** `WorkflowStepType` and each step carrier's own fields (beyond WorkflowStepId, WorkflowId, StepType, Rank). */
export const CURRENT_STEP_TYPES = {
  None: { number: 0, fields: {} },
  SendEmail: { number: 1, fields: { Subject: str, Attachments: intList, ShipmentId: int } },
  SendSMS: { number: 2, fields: { From: str, Text: str, Exit: bool } },
  WaitForTime: {
    number: 3,
    fields: { TimeWaitAlgorithm: oneOf(TIME_WAIT_ALGORITHMS), NumIntervals: int, IntervalType: oneOf(INTERVAL_TYPES), Until: str },
  },
  WaitForAction: {
    number: 4,
    fields: {
      ExitFlow: bool,
      ExitToFlowId: int,
      ExitToSelectionId: int,
      ActionTimeout: int,
      WaitForTimeout: bool,
      TimeoutIntervalType: oneOf(INTERVAL_TYPES),
      Actions: list,
    },
  },
  // `Options` comes between ShipmentId and ExitFlow in the carrier; the binder handles it.
  Split: {
    number: 5,
    fields: { SplitName: str, SplitOptionType: oneOf(SPLIT_OPTION_TYPES), ShipmentId: int, ExitFlow: bool, ExitToFlowId: int, ExitToSelectionId: int },
  },
  UpdateParticipant: { number: 6, fields: { Description: str, FieldValuesPerson: list, FieldValuesCompany: list } },
  AddToList: { number: 7, fields: { Selection: int, Project: int } },
  RemoveFromList: { number: 8, fields: { Selection: int, Project: int } },
  CreateRequest: {
    number: 9,
    fields: { Title: str, RequestType: int, Category: int, Priority: int, TicketStatus: int, Message: str, Owner: int },
  },
  CreateFollowUp: {
    number: 10,
    fields: {
      Title: str,
      FollowUpType: int,
      Project: int,
      Completed: bool,
      ActionType: oneOf(ACTION_TYPES),
      ActionTime: int,
      ActionTimeUnit: oneOf(INTERVAL_TYPES),
      Duration: int,
      Availability: oneOf(FREE_BUSY),
      OwnerType: oneOf(OWNER_TYPES),
      Agenda: str,
      Owner: int,
    },
  },
  CreateSale: {
    number: 11,
    fields: {
      Title: str,
      SaleType: int,
      Stage: int,
      Amount: number,
      Currency: int,
      Description: str,
      Project: int,
      ActionType: oneOf(ACTION_TYPES),
      ActionTime: int,
      ActionTimeUnit: oneOf(INTERVAL_TYPES),
      Date: date,
      Owner: int,
      Source: int,
    },
  },
  NotifyByEmail: { number: 12, fields: { To: oneOf(NOTIFY_EMAIL_TO), SpecificEmailAddresses: strList, Subject: str, Text: str } },
  NotifyBySMS: { number: 13, fields: { To: oneOf(NOTIFY_SMS_TO), SpecificPhoneNumbers: strList, From: str, Text: str } },
  RunScript: { number: 14, fields: { ScriptId: int } },
  DistributeToOwner: {
    number: 15,
    fields: { OnlyToUnassigned: bool, Associates: intList, UserGroups: intList, DistributeQueue: intList, DefaultAssociate: int },
  },
} as const satisfies Record<string, { number: number; fields: Record<string, CurrentFieldKind> }>;

export type CurrentStepType = keyof typeof CURRENT_STEP_TYPES;
const CURRENT_STEP_TYPE_NAMES = Object.keys(CURRENT_STEP_TYPES) as CurrentStepType[];

const byLowerName = new Map(CURRENT_STEP_TYPE_NAMES.map((n) => [n.toLowerCase(), n]));
const byNumber = new Map(CURRENT_STEP_TYPE_NAMES.map((n) => [CURRENT_STEP_TYPES[n].number as number, n]));

/**
 * A StepType as a 12.x server binds it: a name of its enum (any case) or its number. The 10.2.9
 * client's `UpdateContact` is not one: 12.x calls type 6 UpdateParticipant only.
 */
export function resolveCurrentStepType(value: unknown): CurrentStepType | undefined {
  if (typeof value === "number") return byNumber.get(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? byNumber.get(Number(trimmed)) : byLowerName.get(trimmed.toLowerCase());
}

export function currentStepFields(type: CurrentStepType): Readonly<Record<string, CurrentFieldKind>> {
  return CURRENT_STEP_TYPES[type].fields;
}

/**
 * Field names a 10.2 server had on a step type and 12.x dropped or renamed (CreateFollowUp
 * `AssignTo`→`Owner`, `WorkflowAction*`→`Action*`, `WorkflowOwnerType`→`OwnerType`; CreateRequest
 * `Status`→`TicketStatus`): a 12.x server ignores them, so a client still sending them loses
 * the value, as it would on a tenant.
 */
export function removedStepFields(type: CurrentStepType): readonly string[] {
  const old = resolveStepType(type);
  if (!old) return [];
  const now = new Set(Object.keys(currentStepFields(type)));
  return Object.keys(STEP_TYPES[old].fields)
    .map(pascalCase)
    .filter((f) => !now.has(f));
}

/** Each `WorkflowStepOption…` carrier's own fields, by OptionType (None is the base carrier). */
export const OPTION_KIND_FIELDS: Readonly<Record<SplitOptionType, Readonly<Record<string, CurrentFieldKind>>>> = {
  None: {},
  PersonData: { RestrictionGroups: list },
  FormSubmission: { FormId: int },
  LinkClicked: { LinkId: int },
  ProjectMembership: { ProjectId: int },
  SelectionMembership: { SelectionId: int },
  FormData: { FormId: int, RestrictionGroups: list },
};

/** The names of every option kind's fields (a field of another kind than the option's is dropped). */
export const ALL_OPTION_KIND_FIELDS: readonly string[] = [...new Set(Object.values(OPTION_KIND_FIELDS).flatMap((f) => Object.keys(f)))];

/**
 * Who sets an EmailFlow field: `bound` ones the emulator interprets, `server` ones it sets itself
 * (a client's values are ignored), the rest are a kind kept as sent, or its default.
 */
export type FlowFieldKind = CurrentFieldKind | { readonly type: "bound" } | { readonly type: "server" };

const bound = { type: "bound" } as const;
const server = { type: "server" } as const;

/** `EmailFlow` (Carriers.ts 51069), in order. */
export const FLOW_FIELDS: readonly (readonly [string, FlowFieldKind])[] = [
  ["EmailFlowId", bound],
  ["Name", bound],
  ["Description", str],
  ["Status", oneOf(["None", "Stopped", "Paused", "Running"])],
  ["JumpToFinish", bool],
  ["StartOnlyOnce", bool],
  ["OverrideConsentSubscription", bool],
  ["FromType", oneOf(["FromOnlySpecified", "FromSalesContact", "FromSupportContact"])],
  ["FromName", str],
  ["FromAddr", str],
  ["ReplyToType", oneOf(["ReplyToOnlySpecified", "ReplyToSalesContact", "ReplyToSupportContact", "ReplyToEmpty"])],
  ["ReplyToAddr", str],
  ["ReplyToName", str],
  ["SmsSender", str],
  ["UseGoogleAnalytics", bool],
  ["GaSource", str],
  ["GaCampaign", str],
  ["UseTimeframe", bool],
  // The 12.4 client turns "Monday, Friday" into 17 on reading and sends that back.
  ["SelectedDays", { type: "flags", values: [["Unknown", 0], ["Monday", 1], ["Tuesday", 2], ["Wednesday", 4], ["Thursday", 8], ["Friday", 16], ["Saturday", 32], ["Sunday", 64]] }],
  ["TimeframeStart", str],
  ["TimeframeEnd", str],
  ["UseWorkflowStart", bool],
  ["WorkflowStart", str],
  ["UseEnrollmentEnd", bool],
  ["EnrollmentEnd", str],
  ["RemoveFromFlows", intList],
  ["TzLocation", object],
  ["Folder", object],
  ["Associate", object],
  ["ShipmentType", object],
  ["Steps", bound],
  ["Triggers", list],
  ["Goals", list],
  ["Filter", object],
  ["BlockLists", intList],
  // "Info about workflow content like messages, links and forms (read-only)".
  ["ContentInfo", server],
  ["ExitFlowId", int],
  ["ExitSuccessFlowId", int],
  ["CreatedBy", server],
  ["UpdatedBy", server],
  ["CreatedDate", server],
  ["UpdatedDate", server],
  ["VisibleFor", list],
];

/** The user every change is made as: the emulator has one associate. */
export const EMULATOR_ASSOCIATE = Object.freeze({
  AssociateId: 1,
  Name: "WFSYNC",
  PersonId: 1,
  Rank: 1,
  Tooltip: "wfsync emulator",
  Type: "InternalAssociate",
  GroupIdx: 1,
  FullName: "wfsync emulator",
  FormalName: "wfsync emulator",
  Deleted: false,
  EjUserId: 0,
  UserName: "wfsync",
  ExtraFields: Object.freeze({}),
  CustomFields: Object.freeze({}),
});

/** The value a 12.x server fills in for a field that was not sent. */
export function defaultCurrentValue(kind: CurrentFieldKind): unknown {
  switch (kind.type) {
    case "int":
    case "number":
      return 0;
    case "string":
      return "";
    case "bool":
      return false;
    case "int[]":
    case "string[]":
      return [];
    case "enum":
      return kind.values[0];
    case "flags":
      return kind.values[0]![0];
    case "date":
      return MIN_DATE;
    case "structure":
      return kind.default;
    default: {
      const never: never = kind;
      return never;
    }
  }
}
