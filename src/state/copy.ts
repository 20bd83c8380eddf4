/**
 * Moving a state between stores (`wfsync state push/pull`): a file into a database when a
 * project starts sharing its state, or back out. The target ends up holding exactly the source's
 * entries, bound to the source's tenant and API generation.
 */
import { WfsyncError } from "../errors.js";
import type { StateStore } from "./interface.js";

export interface CopyResult {
  readonly copied: number;
  /** Entries the target had that the source has not (only with `replace`). */
  readonly removed: number;
  /** The target already held exactly these entries. */
  readonly same: boolean;
}

/**
 * Copies every entry of `from` into `to` (open with the lock, bound to `from`'s tenant). A
 * target that holds other entries is refused unless `replace`: overwriting a state that has been
 * in use loses the only record of which option is which.
 */
export async function copyState(from: StateStore, to: StateStore, options: { replace: boolean }): Promise<CopyResult> {
  const source = from.entries();
  const target = to.entries();
  const same = target.size === source.size && [...source].every(([address, e]) => target.get(address)?.id === e.id && target.get(address)?.hash === e.hash);
  if (same && target.size > 0) return { copied: 0, removed: 0, same: true };
  if (target.size > 0 && !options.replace) {
    throw new WfsyncError("E_STATE_EXISTS", `${to.path} holds ${target.size} entr${target.size === 1 ? "y" : "ies"} already, other than ${from.path}'s.`, {
      detail: "Replacing them loses the record of which server option they are. If that is intended, pass --force.",
    });
  }
  if (from.api !== undefined) to.bindApi(from.api);
  const stale = [...target.keys()].filter((address) => !source.has(address));
  await Promise.all([...stale.map((address) => to.remove(address)), ...[...source].map(([address, e]) => to.record(address, e))]);
  await to.flush();
  return { copied: source.size, removed: stale.length, same: false };
}
