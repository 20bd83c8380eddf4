/**
 * Targeting (`--target`): a plan cut down to the changes under some addresses. An address
 * prefix is whole segments of `workflowId/workflowStepId/key`: `679` is the workflow, `679/844`
 * one split, `679/844/vip` one option. The mass-delete guard is worked out again on what is
 * left, so a targeted apply is held to it as a full one is.
 */
import { WfsyncError } from "../errors.js";
import { splitRef } from "../model/live.js";
import type { Address } from "../model/option.js";
import { summarize, type Change, type MassDelete, type Plan } from "./diff.js";

/** Checks `--target` values: 1 to 3 segments, the first two ids. Every bad one is named. */
export function parseTargets(values: readonly string[]): string[] {
  const bad = values.filter((v) => {
    const parts = v.split("/");
    if (parts.length > 3 || parts.some((p) => p === "")) return true;
    return parts.slice(0, 2).some((p) => !/^\d+$/.test(p));
  });
  if (bad.length) {
    throw new WfsyncError(
      "E_USAGE",
      `--target ${bad.map((b) => JSON.stringify(b)).join(", ")}: expected a workflow id, workflow/step or workflow/step/key (e.g. 679, 679/844, 679/844/vip)`,
    );
  }
  return [...new Set(values)];
}

/** Whether `address` lies under one of `targets` (whole segments). */
export function isTargeted(address: Address, targets: readonly string[]): boolean {
  return targets.some((t) => address === t || address.startsWith(`${t}/`));
}

/** The plan with only the changes under `targets`; `share` is the config's massDeleteShare. */
export function targetPlan(plan: Plan, targets: readonly string[], share: number): Plan {
  const changes = plan.changes.filter((c) => isTargeted(c.address, targets));
  return {
    ...plan,
    changes,
    summary: summarize(changes),
    massDeletes: massDeletesOf(changes, plan.massDeletes, share),
    unmanaged: plan.unmanaged.filter((u) => isTargeted(u.address, targets)),
    refreshed: plan.refreshed,
  };
}

/** Cutting a plan only lowers a split's deletes: a split not mass-deleted before is not now. */
function massDeletesOf(changes: readonly Change[], before: readonly MassDelete[], share: number): MassDelete[] {
  const out: MassDelete[] = [];
  for (const m of before) {
    const deletes = changes.filter((c) => c.action === "delete" && !c.alreadyGone && splitRef(c) === m.split).length;
    if (deletes > 0 && (deletes >= m.managed || deletes > share * m.managed)) out.push({ ...m, deletes });
  }
  return out;
}

/** The warning a targeted plan is shown with. */
export function partialWarning(targets: readonly string[]): string {
  return `partial plan: only changes under ${targets.join(", ")}; other changes are not shown or applied`;
}
