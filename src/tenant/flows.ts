/**
 * Finding e-mail flows: steps and options carry a `WorkflowId`, but GetEmailFlow and
 * SaveEmailFlow take an `EmailFlowId`. The `EmailFlows` archive provider (10.2.4 and later, on
 * both API generations) maps one to the other and gives the flows' names.
 */
import type { WorkflowApi } from "../client/workflow.js";
import { WfsyncError } from "../errors.js";
import { caseInsensitive, caseInsensitiveGet } from "../model/carrier.js";
import type { TenantQueue } from "./queue.js";

export interface FlowRow {
  readonly emailFlowId: number;
  readonly workflowId: number;
  readonly name: string;
}

const PAGE_SIZE = 500;
const COLUMNS = ["emailFlowId", "workflowId", "workflowName", "workflowDefinitionStatus", "updatedDate"];

/** Every e-mail flow of the tenant, page by page. */
export async function listEmailFlows(api: Pick<WorkflowApi, "getArchiveList">, queue: TenantQueue): Promise<FlowRow[]> {
  const rows: FlowRow[] = [];
  for (let page = 0; ; page++) {
    const answer = await queue.run(
      () => api.getArchiveList({ ProviderName: "EmailFlows", Columns: COLUMNS, SortOrder: [], Restriction: [], Entities: ["emailflow"], Page: page, PageSize: PAGE_SIZE }),
      { label: `GetArchiveListByColumns EmailFlows page ${page}` },
    );
    if (!Array.isArray(answer)) {
      throw new WfsyncError("E_SERVER_ANSWER", `the EmailFlows archive answered ${answer === null ? "null" : typeof answer} instead of a list of rows`, { userError: false });
    }
    for (const item of answer) {
      const row = flowRow(item);
      if (row) rows.push(row);
    }
    if (answer.length < PAGE_SIZE) return rows;
  }
}

function flowRow(item: unknown): FlowRow | undefined {
  const columns = caseInsensitive(caseInsensitiveGet(item, "columndata"));
  const value = (name: string): unknown => caseInsensitive(columns.get(name.toLowerCase())).get("displayvalue");
  const emailFlowId = archiveInt(value("emailFlowId"));
  const workflowId = archiveInt(value("workflowId"));
  if (emailFlowId === undefined || workflowId === undefined) return undefined;
  const name = value("workflowName");
  return { emailFlowId, workflowId, name: typeof name === "string" ? archiveText(name) : "" };
}

/**
 * An archive integer: culture-encoded (`"[I:12]"`, how archive values are written when they
 * travel encoded) or plain (`"12"`, or a number). Anything else is not a number.
 */
export function archiveInt(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(?:\[I:\s*(-?\d+)\]|(-?\d+))\s*$/i.exec(value);
  const digits = m?.[1] ?? m?.[2];
  return digits === undefined ? undefined : Number(digits);
}

/** An archive text value: `"[S:…]"` when encoded, else as it is. */
function archiveText(value: string): string {
  const m = /^\[S:(.*)\]$/s.exec(value);
  return m ? m[1]! : value;
}
