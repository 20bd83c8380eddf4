/**
 * Where in the user's code a builder was called. The DSL records the raw position in the
 * evaluated JavaScript; the compiler maps it back to the TypeScript source (file:line:col).
 */
export interface CallSite {
  /** The file name the evaluated module was given (the absolute .ts path). */
  readonly file: string;
  /** 1-based line in the emitted JavaScript. */
  readonly line: number;
  /** 1-based column in the emitted JavaScript. */
  readonly column: number;
}

type StackFrames = NodeJS.CallSite[];

/**
 * The position of the code that called `fn`. Uses V8's structured call sites rather than
 * parsing `err.stack`: no string formatting, and exact columns.
 *
 * Self-contained (it refers only to its argument and `Error`): the sandbox that evaluates
 * workflow files runs this function's source text in each evaluation context, where `Error` is
 * that context's own (see src/dsl/workflow.ts).
 */
export function callSiteOf(fn: Function): CallSite | undefined {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_err, frames) => frames;
  Error.stackTraceLimit = 1;
  try {
    const holder: { stack?: StackFrames } = {};
    Error.captureStackTrace(holder, fn);
    const frame = holder.stack?.[0];
    const file = frame?.getFileName();
    if (!frame || !file) return undefined;
    return { file, line: frame.getLineNumber() ?? 0, column: frame.getColumnNumber() ?? 0 };
  } finally {
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = savedLimit;
  }
}
