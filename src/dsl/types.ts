/**
 * The typed fields of every step, as users write them. Field names are the model's camelCase
 * names of the SuperOffice carrier fields (see src/model/steps.ts; a test keeps the two in step).
 * Object literals get TypeScript's excess-property check, so a misspelt field or a wrong enum
 * name is a type error at its line.
 */
import type { IntervalType } from "../model/steps.js";

export type { IntervalType, TimeWaitAlgorithm } from "../model/steps.js";

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

export interface OptionProps {
  /** Shown in the flow editor; at most 255 characters. */
  name: string;
  /** Order among the split's options; defaults to declaration order (1, 2, …). */
  rank?: number;
}

/** The steps of one option (path), in the order they run. One method per StepType. */
export interface PathBuilder {
  none(): void;
  sendEmail(fields: SendEmailFields): void;
  sendSMS(): void;
  waitForTime(fields: WaitForTimeFields): void;
  waitForAction(): void;
  /** A nested split: its options get their ids from the server. */
  split(build: (split: SplitBuilder) => void): void;
  /** Called UpdateParticipant from server 10.2.9 on; both names make the same step. */
  updateContact(): void;
  updateParticipant(): void;
  addToList(fields: ListFields): void;
  removeFromList(fields: ListFields): void;
  createRequest(fields: CreateRequestFields): void;
  createFollowUp(fields: CreateFollowUpFields): void;
  createSale(): void;
  notifyByEmail(): void;
  notifyBySMS(): void;
  runScript(): void;
}

export interface SplitBuilder {
  /**
   * Declares one option (path) of the split. `key` identifies it: it must be unique in the
   * split, and renaming it deletes the old option and creates a new one.
   */
  option(key: string, props: OptionProps, build?: (path: PathBuilder) => void): void;
}

export interface WorkflowBuilder {
  /** The options of the Split step `workflowStepId` of this workflow. */
  split(workflowStepId: number, build: (split: SplitBuilder) => void): void;
}
