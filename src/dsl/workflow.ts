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
  /** The option's kind as written (`{ selection: 12 }`), if one was given. */
  readonly when: unknown;
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
      options.push({ key, name: props?.name, rank: props?.rank, when: props?.when, position: options.length + 1, steps, site });
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
    sendSMS: function sendSMS(f) { add("SendSMS", "sendSMS", sendSMS, f); },
    waitForTime: function waitForTime(f) { add("WaitForTime", "waitForTime", waitForTime, f); },
    waitForAction: function waitForAction(f) { add("WaitForAction", "waitForAction", waitForAction, f); },
    split: function split(fieldsOrBuild: object | ((split: SplitBuilder) => void), buildSplit?: (split: SplitBuilder) => void) {
      const site = callSiteOf(split);
      const fields = typeof fieldsOrBuild === "function" ? {} : fieldsOrBuild;
      const build = typeof fieldsOrBuild === "function" ? fieldsOrBuild : buildSplit;
      const options = typeof build === "function" ? collectOptions(build as (split: SplitBuilder) => void) : [];
      steps.push({ stepType: "Split", method: "split", fields: { ...fields }, options, site });
    } as PathBuilder["split"],
    updateContact: function updateContact(f) { add("UpdateContact", "updateContact", updateContact, f); },
    updateParticipant: function updateParticipant(f) { add("UpdateContact", "updateParticipant", updateParticipant, f); },
    addToList: function addToList(f) { add("AddToList", "addToList", addToList, f); },
    removeFromList: function removeFromList(f) { add("RemoveFromList", "removeFromList", removeFromList, f); },
    createRequest: function createRequest(f) { add("CreateRequest", "createRequest", createRequest, f); },
    createFollowUp: function createFollowUp(f) { add("CreateFollowUp", "createFollowUp", createFollowUp, f); },
    createSale: function createSale(f) { add("CreateSale", "createSale", createSale, f); },
    notifyByEmail: function notifyByEmail(f) { add("NotifyByEmail", "notifyByEmail", notifyByEmail, f); },
    notifyBySMS: function notifyBySMS(f) { add("NotifyBySMS", "notifyBySMS", notifyBySMS, f); },
    runScript: function runScript(f) { add("RunScript", "runScript", runScript, f); },
    distributeToOwner: function distributeToOwner(f) { add("DistributeToOwner", "distributeToOwner", distributeToOwner, f); },
  };
  build(path);
  return steps;
}
