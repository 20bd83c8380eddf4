/** The flags plan, apply and watch share for changes made on the server. */
import { WfsyncError } from "../errors.js";

export const DRIFT_FLAG = [
  "--drift <policy>",
  "what to do with a change made on the server to a field the code did not change: revert (put the code's version back), report (show it, leave it; apply then exits 3) or adopt (take it into the state); overrides the config's drift",
] as const;

export const PREFER_FLAG = ["--prefer <side>", "a field changed both in code and on the server (a conflict) takes the code's value: --prefer code"] as const;

export function preferSide(value: string): "code" {
  if (value === "code") return value;
  throw new WfsyncError(
    "E_USAGE",
    `--prefer takes "code" (send the code's value), got "${value}"; to take the server's value into the state, use \`apply --refresh-only\``,
  );
}
