/** Small helpers every command uses to print; the library itself never prints. */
import { WfsyncError, formatError } from "../errors.js";

export function printError(err: unknown): void {
  if (err instanceof WfsyncError) process.stderr.write(`${formatError(err)}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

/** Runs a command body; a WfsyncError becomes a printed message and exit code 1. */
export async function runCommand(setExit: (code: number) => void, body: () => Promise<number> | number): Promise<void> {
  try {
    setExit(await body());
  } catch (err) {
    printError(err);
    setExit(1);
  }
}

/** Colour on a terminal, unless NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}
