/**
 * The builders behind `workflow(...)`. They only record what the user declared, with the call
 * site of each declaration; checking it (duplicate keys, ranks, field values) is validation's job,
 * so that every problem can be reported at once.
 *
 * Workflow files run in a sandbox (src/compile/sandbox*.ts) that holds no object of wfsync's own
 * realm, so the DSL runs in there too: the sandbox evaluates the *source text* of `createDsl`
 * (and of `callSiteOf`) in each evaluation context. That is why `createDsl` refers to nothing
 * outside its own body except its parameter and JavaScript's builtins: no imports (types only),
 * no module-level helpers. A test compiles workflow files through the sandbox, so breaking this
 * fails loudly.
 */
import type { StepTypeName } from "../model/steps.js";
import { callSiteOf, type CallSite } from "./callsite.js";
import type { OptionProps, PathBuilder, SplitBuilder, WorkflowBuilder, WorkflowSplitBuilder } from "./types.js";

export interface StepDecl {
  readonly stepType: StepTypeName;
  /** The method the user called (`updateParticipant` for an UpdateContact step, say). */
  readonly method: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Only for a nested split. */
  readonly options?: OptionDecl[];
  /** Only for a nested split: its builder returned a promise (or another thenable). */
  readonly async?: boolean;
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
  /** Its path builder returned a promise (or another thenable). */
  readonly async?: boolean;
  readonly site: CallSite | undefined;
}

/** `split.moved(from, to)`: a key renamed in code. */
export interface MoveDecl {
  readonly from: unknown;
  readonly to: unknown;
  readonly site: CallSite | undefined;
}

export interface SplitDecl {
  readonly workflowStepId: unknown;
  readonly options: OptionDecl[];
  /** Keys renamed in code (a workflow's own split only). */
  readonly moves?: MoveDecl[];
  /** Its builder returned a promise (or another thenable). */
  readonly async?: boolean;
  readonly site: CallSite | undefined;
}

export const WORKFLOW_MARK = "wfsync.workflow";
const WORKFLOW = Symbol.for(WORKFLOW_MARK);

export interface WorkflowDefinition {
  readonly [WORKFLOW]: true;
  readonly workflowId: unknown;
  readonly splits: readonly SplitDecl[];
  /** Its builder returned a promise (or another thenable). */
  readonly async?: boolean;
  readonly site: CallSite | undefined;
}

export interface Dsl {
  /**
   * A flow's split options: `workflowId` is the flow's workflow id, or its name as the tenant
   * shows it (found on the tenant at plan time, so one file fits every tenant with that flow).
   */
  workflow(workflowId: number | string, build: (wf: WorkflowBuilder) => void): WorkflowDefinition;
  isWorkflowDefinition(value: unknown): value is WorkflowDefinition;
}

/**
 * Makes the DSL. Self-contained (see the file comment): the sandbox runs its source text.
 *
 * A builder must declare everything before it returns: one that is `async` (or returns any
 * thenable) would declare what follows its first `await` after wfsync has read the model, and
 * those options would be planned as deleted. Such a builder is recorded as `async` and
 * validation refuses it at its call; its promise gets a rejection handler, so a later throw is
 * not reported a second time as an unhandled rejection.
 */
export function createDsl(siteOf: (fn: Function) => CallSite | undefined): Dsl {
  const mark = Symbol.for("wfsync.workflow");
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  const ignore = () => undefined;

  function isThenable(value: unknown): boolean {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
    let thenable = false;
    try {
      thenable = typeof (value as { then?: unknown }).then === "function";
    } catch {
      return true; // a `then` that throws when read is no plain value either
    }
    if (thenable) {
      try {
        apply(then, value, [undefined, ignore]);
      } catch {
        // Not a native promise: nothing to silence.
      }
    }
    return thenable;
  }

  function workflow(workflowId: number | string, build: (wf: WorkflowBuilder) => void): WorkflowDefinition {
    const site = siteOf(workflow);
    const splits: SplitDecl[] = [];
    const builder: WorkflowBuilder = {
      split: function split(workflowStepId, buildSplit) {
        const at = siteOf(split);
        const moves: MoveDecl[] = [];
        const { options, async } = collectOptions(buildSplit as (split: SplitBuilder) => void, moves);
        splits.push({ workflowStepId, options, ...(moves.length ? { moves } : {}), ...(async ? { async } : {}), site: at });
      },
    };
    const async = isThenable(build(builder));
    return { [mark]: true, workflowId, splits, ...(async ? { async } : {}), site } as unknown as WorkflowDefinition;
  }

  /** `moves`: given for a workflow's own split, whose builder also has `moved`. */
  function collectOptions(build: (split: SplitBuilder) => void, moves?: MoveDecl[]): { options: OptionDecl[]; async: boolean } {
    const options: OptionDecl[] = [];
    const builder: SplitBuilder & Partial<WorkflowSplitBuilder> = {
      option: function option(key: string, props: OptionProps, buildPath?: (path: PathBuilder) => void) {
        const site = siteOf(option);
        const { steps, async } = buildPath ? collectSteps(buildPath) : { steps: [], async: false };
        options.push({ key, name: props?.name, rank: props?.rank, when: props?.when, position: options.length + 1, steps, ...(async ? { async } : {}), site });
      },
    };
    if (moves) {
      builder.moved = function moved(from: string, to: string) {
        moves.push({ from, to, site: siteOf(moved) });
      };
    }
    const async = isThenable(build(builder));
    return { options, async };
  }

  function collectSteps(build: (path: PathBuilder) => void): { steps: StepDecl[]; async: boolean } {
    const steps: StepDecl[] = [];
    const add = (stepType: StepTypeName, method: string, caller: Function, fields: object = {}) => {
      steps.push({ stepType, method, fields: { ...fields }, site: siteOf(caller) });
    };
    // Each method is a named function expression so the call site is taken from its caller.
    const path: PathBuilder = {
      none: function none() { add("None", "none", none); },
      sendEmail: function sendEmail(f) { add("SendEmail", "sendEmail", sendEmail, f); },
      sendSMS: function sendSMS(f) { add("SendSMS", "sendSMS", sendSMS, f); },
      waitForTime: function waitForTime(f) { add("WaitForTime", "waitForTime", waitForTime, f); },
      waitForAction: function waitForAction(f) { add("WaitForAction", "waitForAction", waitForAction, f); },
      split: function split(fieldsOrBuild: object | ((split: SplitBuilder) => void), buildSplit?: (split: SplitBuilder) => void) {
        const site = siteOf(split);
        const fields = typeof fieldsOrBuild === "function" ? {} : fieldsOrBuild;
        const build = typeof fieldsOrBuild === "function" ? fieldsOrBuild : buildSplit;
        const { options, async } = typeof build === "function" ? collectOptions(build as (split: SplitBuilder) => void) : { options: [], async: false };
        steps.push({ stepType: "Split", method: "split", fields: { ...fields }, options, ...(async ? { async } : {}), site });
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
    const async = isThenable(build(path));
    return { steps, async };
  }

  function isWorkflowDefinition(value: unknown): value is WorkflowDefinition {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[mark] === true;
  }

  return { workflow, isWorkflowDefinition };
}

const dsl = createDsl(callSiteOf);

/**
 * Declares the split options of one SuperOffice workflow. Export the result from a file under
 * `workflows/` (as the default export, a named export, or in an array).
 */
export const workflow: Dsl["workflow"] = dsl.workflow;

export const isWorkflowDefinition: Dsl["isWorkflowDefinition"] = dsl.isWorkflowDefinition;
