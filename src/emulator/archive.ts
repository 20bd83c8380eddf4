/**
 * The `EmailFlows` archive provider (servers 10.2.4 and later, so both generations): it maps an
 * email flow (`EmailFlowId`, what GetEmailFlow and SaveEmailFlow take) to its workflow
 * (`WorkflowId`, what steps and options carry), with names. Two forms:
 *
 *   POST {base}/api/v1/Agents/Archive/GetArchiveListByColumns  {ProviderName: "EmailFlows", Columns, SortOrder,
 *        Restriction, Entities, Page, PageSize}  → ArchiveListItem[] (archive carriers in the 12.4 client)
 *   GET  {base}/api/v1/archive/EmailFlows?$select=emailFlowId,workflowId&$top=&$skip=  → {value: [row]}
 *
 * Agent answers carry culture-encoded DisplayValues (`[I:12]`, `[DT:…]`), as real archive rows
 * do. Inferred: how a status shows (its name), that unknown columns are left out, that a
 * PageSize of 0 means everything, that restrictions without `IsActive: true` are ignored (the
 * .NET default is false), and the REST form's plain JSON values.
 */
import { caseInsensitive } from "../model/carrier.js";
import { invalid, ok, refused, type AgentMethod, type AgentRequest, type AgentResponse } from "./agent.js";
import { isObject } from "./bind.js";
import { TABLE_RIGHT } from "./present.js";
import type { FlowRecord, Store } from "./store.js";
import { encodeDateTime, isoDateTime, parseIsoDateTime } from "./times.js";

const PROVIDER = "EmailFlows";
const COLUMNS = ["emailFlowId", "workflowId", "workflowName", "workflowDefinitionStatus", "updatedDate"] as const;
type Column = (typeof COLUMNS)[number];

interface Row {
  readonly emailFlowId: number;
  readonly workflowId: number;
  readonly workflowName: string;
  readonly workflowDefinitionStatus: string;
  /** Absent on 10.2, where the emulator keeps no flow times. */
  readonly updatedDate: number | undefined;
}

export const ARCHIVE_METHODS: readonly AgentMethod[] = [
  {
    name: "GetArchiveListByColumns",
    description: 'Get a page of results for an archive list, explicitly specifying the columns. Body: {"ProviderName": "EmailFlows", "Columns": [...], ...}',
    handle: getArchiveListByColumns,
  },
];

/** `GET /api/v1/archive/<provider>`; only EmailFlows is there. */
export function archiveResource(provider: string): AgentMethod {
  return { name: `archive/${provider}`, description: "The archive provider as a REST resource.", get: true, handle: (store, req) => restArchive(store, provider, req) };
}

function getArchiveListByColumns(store: Store, req: AgentRequest): AgentResponse {
  if (!isObject(req.body)) return invalid("The request body must be a GetArchiveListByColumns request object.");
  const c = caseInsensitive(req.body);
  const provider = c.get("providername");
  if (typeof provider !== "string" || provider.toLowerCase() !== PROVIDER.toLowerCase()) {
    return refused("ArgumentException", `Unknown archive provider ${JSON.stringify(provider ?? null)}; the emulator has the ${PROVIDER} provider only.`, "GetArchiveListByColumns");
  }
  const columns = stringList(c.get("columns")).flatMap(toColumn);
  const restricted = restrict(rows(store), c.get("restriction"));
  if (typeof restricted === "string") return refused("ArgumentException", restricted, "GetArchiveListByColumns");
  const page = intOr(c.get("page"), 0);
  const size = intOr(c.get("pagesize"), 0);
  const sorted = sort(restricted, c.get("sortorder"));
  const shown = size > 0 ? sorted.slice(page * size, (page + 1) * size) : sorted;
  return ok(shown.map((row) => listItem(row, columns)));
}

function restArchive(store: Store, provider: string, req: AgentRequest): AgentResponse {
  if (provider.toLowerCase() !== PROVIDER.toLowerCase()) {
    return { status: 404, body: { Error: true, ErrorType: "NotFound", ErrorMessage: `No archive provider ${JSON.stringify(provider)}; the emulator has ${PROVIDER} only.`, ErrorSource: "archive" } };
  }
  const select = req.query.get("$select");
  const columns = select === undefined ? [...COLUMNS] : stringList(select).flatMap(toColumn);
  const skip = intOr(req.query.get("$skip"), 0);
  const top = intOr(req.query.get("$top"), 0);
  const all = sort(rows(store), undefined);
  const shown = all.slice(skip, top > 0 ? skip + top : undefined);
  return ok({ value: shown.map((row) => ({ PrimaryKey: row.emailFlowId, EntityName: "emailflow", ...Object.fromEntries(columns.map((col) => [col, plainValue(row, col)])) })) });
}

function rows(store: Store): Row[] {
  return store.workflows().map((f: FlowRecord) => ({
    emailFlowId: f.EmailFlowId,
    workflowId: f.WorkflowId,
    workflowName: f.Name,
    workflowDefinitionStatus: typeof f.Status === "string" ? f.Status : "None",
    updatedDate: parseIsoDateTime(f.UpdatedDate),
  }));
}

function listItem(row: Row, columns: readonly Column[]): Record<string, unknown> {
  const data = Object.fromEntries(columns.map((col) => [col, { DisplayValue: displayValue(row, col), TooltipHint: "", LinkHint: "" }]));
  return { EntityName: "emailflow", PrimaryKey: row.emailFlowId, ColumnData: data, LinkHint: "", StyleHint: "", TableRight: TABLE_RIGHT, FieldProperties: {} };
}

function displayValue(row: Row, col: Column): string {
  switch (col) {
    case "emailFlowId":
    case "workflowId":
      return `[I:${row[col]}]`;
    case "workflowName":
    case "workflowDefinitionStatus":
      return row[col];
    case "updatedDate":
      return row.updatedDate === undefined ? "" : encodeDateTime(row.updatedDate);
    default: {
      const never: never = col;
      return never;
    }
  }
}

function plainValue(row: Row, col: Column): unknown {
  if (col === "updatedDate") return row.updatedDate === undefined ? null : isoDateTime(row.updatedDate);
  return row[col];
}

/**
 * Active restrictions, all of which must hold: the ids with `=`/`equals`/`oneOf`/`in`, the name
 * with those and `contains`/`begins`, the status with `=`/`equals`. A string says what is not
 * supported.
 */
function restrict(all: Row[], raw: unknown): Row[] | string {
  if (raw === undefined || raw === null) return all;
  if (!Array.isArray(raw)) return "Restriction must be an array of ArchiveRestrictionInfo.";
  let out = all;
  for (const r of raw) {
    const c = caseInsensitive(r);
    if (c.get("isactive") !== true) continue;
    const name = String(c.get("name") ?? "");
    const operator = String(c.get("operator") ?? "").toLowerCase();
    const values = stringList(c.get("values")).map(decodeValue);
    const col = toColumn(name)[0];
    const test = col && col !== "updatedDate" ? matcher(col, operator, values) : undefined;
    if (!test) return `The emulator's ${PROVIDER} provider cannot restrict ${JSON.stringify(name)} with operator ${JSON.stringify(operator)}.`;
    out = out.filter(test);
  }
  return out;
}

function matcher(col: Exclude<Column, "updatedDate">, operator: string, values: readonly string[]): ((row: Row) => boolean) | undefined {
  const equal = ["=", "equals", "is", "oneof", "in"].includes(operator);
  const text = (row: Row): string => String(row[col]).toLowerCase();
  const wanted = values.map((v) => v.toLowerCase());
  if (equal) return (row) => wanted.includes(text(row));
  if (col !== "workflowName") return undefined;
  if (operator === "contains") return (row) => wanted.some((v) => text(row).includes(v));
  if (operator === "begins") return (row) => wanted.some((v) => text(row).startsWith(v));
  return undefined;
}

/** SortOrder: `[{Name, Direction: "ASC" | "DESC"}]`; by emailFlowId when none applies. */
function sort(list: Row[], raw: unknown): Row[] {
  const keys = (Array.isArray(raw) ? raw : []).flatMap((o) => {
    const c = caseInsensitive(o);
    const col = toColumn(String(c.get("name") ?? ""))[0];
    const direction = c.get("direction");
    return col ? [{ col, sign: direction === "DESC" || direction === 1 ? -1 : 1 }] : [];
  });
  keys.push({ col: "emailFlowId", sign: 1 });
  const value = (row: Row, col: Column): string | number => (col === "updatedDate" ? (row.updatedDate ?? 0) : row[col]);
  return [...list].sort((a, b) => {
    for (const { col, sign } of keys) {
      const x = value(a, col);
      const y = value(b, col);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return 0;
  });
}

/** Restriction values come plain or culture-encoded: `12`, `[I:12]`. */
function decodeValue(v: string): string {
  const m = /^\[(?:I|F|D|DT|B|S):(.*)\]$/s.exec(v.trim());
  return m ? m[1]! : v.trim();
}

function stringList(raw: unknown): string[] {
  if (typeof raw === "string") return raw.split(",").map((s) => s.trim());
  return Array.isArray(raw) ? raw.map((v) => String(v)) : [];
}

/** Column names match in any case; an unknown one is none (so `flatMap` leaves it out). */
function toColumn(name: string): Column[] {
  const col = COLUMNS.find((n) => n.toLowerCase() === name.trim().toLowerCase());
  return col ? [col] : [];
}

function intOr(raw: unknown, fallback: number): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}
