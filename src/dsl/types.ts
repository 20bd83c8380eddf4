/**
 * The typed fields of every step, as users write them. Field names are the model's camelCase
 * names of the SuperOffice carrier fields (see src/model/steps.ts; a test keeps the two in step).
 * Object literals get TypeScript's excess-property check, so a misspelt field or a wrong enum
 * name is a type error at its line.
 */
import type { IntervalType } from "../model/steps.js";

export type { IntervalType, TimeWaitAlgorithm } from "../model/steps.js";

/** When a created sale's (or follow-up's) activity is due (`WorkflowActionType`). */
export type WorkflowActionType = "None" | "FirstAvailable" | "FirstAvailableAfter" | "Today" | "After" | "Estimated";
/** How a restriction joins the next one (`InterRestrictionOperator`). */
export type InterOperator = "None" | "And" | "Or";

/** A SuperOffice workflow date-time, in the flow's time zone: `[DT:MM/DD/YYYY HH:mm:ss]`. */
export type WorkflowDateTime = `[DT:${string}]`;

export interface SendEmailFields {
  /** The e-mail shipment (mailing) to send. */
  shipmentId: number;
  subject?: string;
  /** Document ids attached to the e-mail. */
  attachments?: number[];
}

/** Wait a number of intervals. `timeWaitAlgorithm` may be left out. */
export interface WaitForIntervalsFields {
  timeWaitAlgorithm?: "NumIntervals";
  numIntervals: number;
  intervalType: Exclude<IntervalType, "None">;
}

/** Wait until a fixed date and time. */
export interface WaitUntilFields {
  timeWaitAlgorithm?: "UntilSpecified";
  until: WorkflowDateTime;
}

/** Wait until a date field of the participant (the field is chosen in the flow's settings). */
export interface WaitUntilDateFieldFields {
  timeWaitAlgorithm: "UntilDateField";
}

export type WaitForTimeFields = WaitForIntervalsFields | WaitUntilFields | WaitUntilDateFieldFields;

export interface ListFields {
  /** The selection (list) id. */
  selection: number;
  project?: number;
}

export interface CreateRequestFields {
  title: string;
  message?: string;
  category?: number;
  priority?: number;
  owner?: number;
  requestType?: number;
  status?: number;
}

/** Fields of a 10.2.8+ server (the 10.2.9 npm client declares none); types inferred from names. */
export interface CreateFollowUpFields {
  title: string;
  agenda?: string;
  assignTo?: number;
  availability?: string;
  completed?: boolean;
  duration?: number;
  followUpType?: number;
  project?: number;
  workflowActionTime?: number;
  workflowActionTimeUnit?: IntervalType;
  workflowActionType?: string;
  workflowOwnerType?: string;
}

// ---------------------------------------------------------------------------------------------
// Fields added after 10.2.9 (SuperOffice 10.2.10 and later; `wfsync validate` names the version
// each needs). Left out, they keep the server's default, and mean the same on every server.

export interface SendSMSFields {
  /** The SMS sender (a number or a name). */
  from?: string;
  text?: string;
  /** Exit the flow when the participant has no mobile phone. */
  exit?: boolean;
}

export interface WaitForActionFields {
  /** Participants that time out exit the flow. */
  exitFlow?: boolean;
  /** The flow participants are added to on exit. */
  exitToFlowId?: number;
  /** The static selection participants are added to on exit. */
  exitToSelectionId?: number;
  /** How many `timeoutIntervalType` intervals to wait; with `waitForTimeout: false` they wait for ever. */
  actionTimeout?: number;
  waitForTimeout?: boolean;
  timeoutIntervalType?: IntervalType;
  /** The actions waited for. */
  actions?: WaitForAction[];
}

export interface WaitForAction {
  actionType: "None" | "LinkClicked" | "FormSubmitted";
  /** Which links or forms count (the criteria of the flow editor). */
  restrictionGroups?: RestrictionGroup[];
}

/** A nested split's own settings (`WorkflowStepSplit`); its kind comes from its options' `when`. */
export interface SplitFields {
  splitName?: string;
  /** When splitting on a link clicked: the mailing the link is in. */
  shipmentId?: number;
  /** Participants on the "everyone else" branch exit the flow here. */
  exitFlow?: boolean;
  exitToFlowId?: number;
  exitToSelectionId?: number;
}

export interface UpdateParticipantFields {
  description?: string;
  /** Person fields to change. */
  fieldValuesPerson?: FieldValue[];
  /** Company fields to change. */
  fieldValuesCompany?: FieldValue[];
}

/** One field of an UpdateParticipant step (`FieldValueInfo`: its key, the operation, the values). */
export interface FieldValue {
  /** The field's key, as the bulk-update field list names it. */
  key: string;
  values?: string[];
  /** The operation to carry out on the field, as the server names it. */
  currentOperationType?: string;
  /** Default true. */
  isActive?: boolean;
}

export interface CreateSaleFields {
  title?: string;
  saleType?: number;
  stage?: number;
  amount?: number;
  currency?: number;
  description?: string;
  project?: number;
  /** The sale date, `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm:ss`. */
  date?: string;
  owner?: number;
  actionType?: WorkflowActionType;
  actionTime?: number;
  actionTimeUnit?: IntervalType;
  source?: number;
}

export interface NotifyByEmailFields {
  /** Default "OurContact". */
  to?: "OurContact" | "OurServiceContact" | "SpecificEmailAddress";
  specificEmailAddresses?: string[];
  subject?: string;
  text?: string;
}

export interface NotifyBySMSFields {
  /** Default "OurContact". */
  to?: "OurContact" | "OurServiceContact" | "SpecificPhoneNumbers";
  specificPhoneNumbers?: string[];
  from?: string;
  text?: string;
}

export interface RunScriptFields {
  /** The CRMScript to run. */
  scriptId?: number;
}

/** Hand participants to owners in turn (SuperOffice 11.2 and later). */
export interface DistributeToOwnerFields {
  /** Only participants without an owner get one. */
  onlyToUnassigned?: boolean;
  /** The associates participants are distributed to. */
  associates?: number[];
  /** User groups whose members participants are distributed to. */
  userGroups?: number[];
  /** The associate who gets them when no one else is available. */
  defaultAssociate?: number;
}

// ---------------------------------------------------------------------------------------------
// Option kinds (SuperOffice 10.2.10 and later)

/** One criterion (`ArchiveRestrictionInfo`): an archive column, an operator and values. */
export interface Restriction {
  /** The archive column, e.g. "personId" or "email/emailAddress". */
  name: string;
  /** The operator, e.g. "=", "contains", "oneOf", "isNull". */
  operator: string;
  /** What the column is tested against, as text (ids too). */
  values?: string[];
  /** Default true. */
  isActive?: boolean;
  /** How this restriction joins the next one; default "And". */
  interOperator?: InterOperator;
  /** Parentheses opened (positive) or closed (negative) at this restriction; default 0. */
  interParenthesis?: number;
  subRestrictions?: Restriction[];
}

/** A group of criteria (`ArchiveRestrictionGroup`), as the flow editor builds them. */
export interface RestrictionGroup {
  name?: string;
  description?: string;
  restrictions: Restriction[];
}

type WhenKey = "selection" | "project" | "form" | "link" | "personData" | "formData";
/** Exactly one kind: naming two is a type error. */
type OnlyKind<T> = T & { [K in Exclude<WhenKey, keyof T>]?: never };

/**
 * Which participants take the option: members of a selection or project, those who submitted a
 * form or clicked a link, or those whose person data (or form data) meets criteria. Left out,
 * the option is of type None (the only kind SuperOffice 10.2.4–10.2.9 has).
 */
export type OptionWhen =
  | OnlyKind<{ /** Members of this selection. */ selection: number }>
  | OnlyKind<{ /** Members of this project. */ project: number }>
  | OnlyKind<{ /** Those who submitted this form. */ form: number }>
  | OnlyKind<{ /** Those who clicked this link (its id in s_link). */ link: number }>
  | OnlyKind<{ /** Those whose person data meets the criteria of any group. */ personData: RestrictionGroup[] }>
  | OnlyKind<{ /** Those whose answers to a form meet the criteria (SuperOffice 10.3.2 and later). */ formData: { form: number; restrictions: RestrictionGroup[] } }>;

export interface OptionProps {
  /** Shown in the flow editor; at most 255 characters. */
  name: string;
  /** Order among the split's options; defaults to declaration order (1, 2, …). */
  rank?: number;
  /** Which participants take this option (SuperOffice 10.2.10 and later). */
  when?: OptionWhen;
}

/** The steps of one option (path), in the order they run. One method per StepType. */
export interface PathBuilder {
  none(): void;
  sendEmail(fields: SendEmailFields): void;
  sendSMS(fields?: SendSMSFields): void;
  waitForTime(fields: WaitForTimeFields): void;
  waitForAction(fields?: WaitForActionFields): void;
  /** A nested split: its options get their ids from the server. */
  split(build: (split: SplitBuilder) => void): void;
  split(fields: SplitFields, build: (split: SplitBuilder) => void): void;
  /** Called UpdateParticipant from server 10.2.9 on; both names make the same step. */
  updateContact(fields?: UpdateParticipantFields): void;
  updateParticipant(fields?: UpdateParticipantFields): void;
  addToList(fields: ListFields): void;
  removeFromList(fields: ListFields): void;
  createRequest(fields: CreateRequestFields): void;
  createFollowUp(fields: CreateFollowUpFields): void;
  createSale(fields?: CreateSaleFields): void;
  notifyByEmail(fields?: NotifyByEmailFields): void;
  notifyBySMS(fields?: NotifyBySMSFields): void;
  runScript(fields?: RunScriptFields): void;
  distributeToOwner(fields?: DistributeToOwnerFields): void;
}

export interface SplitBuilder {
  /**
   * Declares one option (path) of the split. `key` identifies it: it must be unique in the
   * split, and renaming it deletes the old option and creates a new one (unless the workflow's
   * split declares the rename with `moved`).
   */
  option(key: string, props: OptionProps, build?: (path: PathBuilder) => void): void;
}

/** A workflow's own split (`wf.split`): its options have addresses, so a renamed key can be declared. */
export interface WorkflowSplitBuilder extends SplitBuilder {
  /**
   * Declares that the option with key `from` is now declared as `to`: apply changes its key on
   * the server in place (one update) instead of deleting it and creating a new one. Once applied
   * it does nothing; keep it until every environment has been applied.
   */
  moved(from: string, to: string): void;
}

export interface WorkflowBuilder {
  /**
   * The options of the Split step `workflowStepId` of this workflow, or of the Split step with
   * this name (its `SplitName`, servers 10.2.11 and later), found on the tenant at plan time.
   */
  split(workflowStepId: number | string, build: (split: WorkflowSplitBuilder) => void): void;
}
