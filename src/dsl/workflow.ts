/**
 * The builders behind `workflow(...)`. They only record what the user declared, with the call
 * site of each declaration; checking it (duplicate keys, ranks, field values) is validation's job,
 * so that every problem can be reported at once.
 */
import type { StepTypeName } from "../model/steps.js";
import { callSiteOf, type CallSite } from "./callsite.js";
import type { OptionProps, PathBuilder, SplitBuilder, WorkflowBuilder } from "./types.js";

export interface StepDecl {
  readonly stepType: StepTypeName;
  /** The method the user called (`updateParticipant` for an UpdateContact step, say). */
  readonly method: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Only for a nested split. */
  readonly options?: OptionDecl[];
  readonly site: CallSite | undefined;
}

export interface OptionDecl {
  readonly key: unknown;
  readonly name: unknown;
  /** The explicit rank, if one was given. */
  readonly rank: unknown;
  /** 1-based position among the split's options. */
  readonly position: number;
  readonly steps: StepDecl[];
  readonly site: CallSite | undefined;
}

export interface SplitDecl {
  readonly workflowStepId: unknown;
  readonly options: OptionDecl[];
  readonly site: CallSite | undefined;
}

const WORKFLOW = Symbol.for("wfsync.workflow");

export interface WorkflowDefinition {
  readonly [WORKFLOW]: true;
  readonly workflowId: unknown;
  readonly splits: readonly SplitDecl[];
  readonly site: CallSite | undefined;
}

export function isWorkflowDefinition(value: unknown): value is WorkflowDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[WORKFLOW] === true;
}

/**
 * Declares the split options of one SuperOffice workflow. Export the result from a file under
 * `workflows/` (as the default export, a named export, or in an array).
 */
export function workflow(workflowId: number, build: (wf: WorkflowBuilder) => void): WorkflowDefinition {
  const site = callSiteOf(workflow);
  const splits: SplitDecl[] = [];
  const builder: WorkflowBuilder = {
    split: function split(workflowStepId, buildSplit) {
      splits.push({ workflowStepId, options: collectOptions(buildSplit), site: callSiteOf(split) });
    },
  };
  build(builder);
  return { [WORKFLOW]: true, workflowId, splits, site };
}

function collectOptions(build: (split: SplitBuilder) => void): OptionDecl[] {
  const options: OptionDecl[] = [];
  const builder: SplitBuilder = {
    option: function option(key: string, props: OptionProps, buildPath?: (path: PathBuilder) => void) {
      const site = callSiteOf(option);
      const steps = buildPath ? collectSteps(buildPath) : [];
      options.push({ key, name: props?.name, rank: props?.rank, position: options.length + 1, steps, site });
    },
  };
  build(builder);
  return options;
}

function collectSteps(build: (path: PathBuilder) => void): StepDecl[] {
  const steps: StepDecl[] = [];
  const add = (stepType: StepTypeName, method: string, caller: Function, fields: object = {}) => {
    steps.push({ stepType, method, fields: { ...fields }, site: callSiteOf(caller) });
  };
  // Each method is a named function expression so the call site is taken from its caller.
  const path: PathBuilder = {
    none: function none() { add("None", "none", none); },
    sendEmail: function sendEmail(f) { add("SendEmail", "sendEmail", sendEmail, f); },
    sendSMS: function sendSMS() { add("SendSMS", "sendSMS", sendSMS); },
    waitForTime: function waitForTime(f) { add("WaitForTime", "waitForTime", waitForTime, f); },
    waitForAction: function waitForAction() { add("WaitForAction", "waitForAction", waitForAction); },
    split: function split(buildSplit) {
      const site = callSiteOf(split);
      steps.push({ stepType: "Split", method: "split", fields: {}, options: collectOptions(buildSplit), site });
    },
    updateContact: function updateContact() { add("UpdateContact", "updateContact", updateContact); },
    updateParticipant: function updateParticipant() { add("UpdateContact", "updateParticipant", updateParticipant); },
    addToList: function addToList(f) { add("AddToList", "addToList", addToList, f); },
    removeFromList: function removeFromList(f) { add("RemoveFromList", "removeFromList", removeFromList, f); },
    createRequest: function createRequest(f) { add("CreateRequest", "createRequest", createRequest, f); },
    createFollowUp: function createFollowUp(f) { add("CreateFollowUp", "createFollowUp", createFollowUp, f); },
    createSale: function createSale() { add("CreateSale", "createSale", createSale); },
    notifyByEmail: function notifyByEmail() { add("NotifyByEmail", "notifyByEmail", notifyByEmail); },
    notifyBySMS: function notifyBySMS() { add("NotifyBySMS", "notifyBySMS", notifyBySMS); },
    runScript: function runScript() { add("RunScript", "runScript", runScript); },
  };
  build(path);
  return steps;
}
