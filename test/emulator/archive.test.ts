/** The EmailFlows archive provider, which maps email flows to workflows on both profiles. */
import { describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { basic, call, start, type Json } from "./helpers.js";

const COLUMNS = ["emailFlowId", "workflowId", "workflowName", "workflowDefinitionStatus", "updatedDate"];

async function archive(emu: RunningEmulator, request: Json): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${emu.url}/api/v1/Agents/Archive/GetArchiveListByColumns`, {
    method: "POST",
    headers: { Authorization: basic(), "Content-Type": "application/json" },
    body: JSON.stringify({ ProviderName: "EmailFlows", Columns: COLUMNS, SortOrder: [], Restriction: [], Entities: ["emailflow"], Page: 0, PageSize: 500, ...request }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

function column(items: Json, name: string): string[] {
  return (items as Json[]).map((item) => item.ColumnData[name].DisplayValue as string);
}

describe("EmailFlows archive provider", () => {
  for (const api of ["10.2", "12"] as const) {
    it(`maps email flows to workflows with culture-encoded values (api ${api})`, async () => {
      const emu = await start({ api });
      const { status, json } = await archive(emu, {});
      expect(status).toBe(200);
      expect(json[0]).toEqual({
        EntityName: "emailflow",
        PrimaryKey: 12,
        ColumnData: {
          emailFlowId: { DisplayValue: "[I:12]", TooltipHint: "", LinkHint: "" },
          workflowId: { DisplayValue: "[I:679]", TooltipHint: "", LinkHint: "" },
          workflowName: { DisplayValue: "Onboarding", TooltipHint: "", LinkHint: "" },
          workflowDefinitionStatus: { DisplayValue: "None", TooltipHint: "", LinkHint: "" },
          updatedDate: { DisplayValue: expect.any(String), TooltipHint: "", LinkHint: "" },
        },
        LinkHint: "",
        StyleHint: "",
        TableRight: expect.any(Object),
        FieldProperties: {},
      });
      expect(column(json, "workflowId")).toEqual(["[I:679]", "[I:702]", "[I:733]", "[I:801]"]);
      const updated = column(json, "updatedDate")[0];
      if (api === "12") expect(updated).toMatch(/^\[DT:\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\.\d{7}\]$/);
      else expect(updated).toBe("");
      expect(emu.counters().byMethod.GetArchiveListByColumns).toBe(1);
    });
  }

  it("pages, sorts, restricts (active restrictions only, values plain or encoded), and shows only the columns asked for", async () => {
    const emu = await start({ api: "12" });
    const page = await archive(emu, { Columns: ["workflowId"], PageSize: 2, Page: 1 });
    expect(page.json).toHaveLength(2);
    expect(Object.keys(page.json[0].ColumnData)).toEqual(["workflowId"]);
    expect(column(page.json, "workflowId")).toEqual(["[I:733]", "[I:801]"]);

    const desc = await archive(emu, { SortOrder: [{ Name: "workflowName", Direction: "DESC" }] });
    expect(column(desc.json, "workflowName")).toEqual(["Welcome (wfsync init example)", "Webinar follow-up", "Re-engagement", "Onboarding"]);

    const one = await archive(emu, { Restriction: [{ Name: "workflowId", Operator: "=", Values: ["[I:733]"], IsActive: true }] });
    expect(column(one.json, "emailFlowId")).toEqual(["[I:18]"]);
    const plain = await archive(emu, { Restriction: [{ Name: "emailFlowId", Operator: "oneOf", Values: ["12", "15"], IsActive: true }] });
    expect(column(plain.json, "workflowId")).toEqual(["[I:679]", "[I:702]"]);
    const inactive = await archive(emu, { Restriction: [{ Name: "workflowId", Operator: "=", Values: ["733"] }] });
    expect(inactive.json).toHaveLength(4);

    // A flow renamed or saved shows at once.
    const flow = (await call(emu, "GetEmailFlow", { query: "emailFlowId=15" })).json as Json;
    await call(emu, "SaveEmailFlow", { body: { ...flow, Name: "Webinar (renamed)", Status: "Running" } });
    const byName = await archive(emu, { Restriction: [{ Name: "workflowName", Operator: "begins", Values: ["webinar"], IsActive: true }] });
    expect(column(byName.json, "workflowName")).toEqual(["Webinar (renamed)"]);
    expect(column(byName.json, "workflowDefinitionStatus")).toEqual(["Running"]);
  });

  it("refuses another provider or a restriction it cannot apply; answers 401 without credentials", async () => {
    const emu = await start();
    const other = await archive(emu, { ProviderName: "Contact" });
    expect(other.status).toBe(400);
    expect(other.json).toMatchObject({ Error: true, ErrorType: "ArgumentException" });
    const bad = await archive(emu, { Restriction: [{ Name: "updatedDate", Operator: "after", Values: ["x"], IsActive: true }] });
    expect(bad.status).toBe(400);
    const anonymous = await fetch(`${emu.url}/api/v1/Agents/Archive/GetArchiveListByColumns`, { method: "POST", body: "{}" });
    expect(anonymous.status).toBe(401);
  });

  it("answers the REST form GET /api/v1/archive/EmailFlows with $select, $top and $skip", async () => {
    const emu = await start({ api: "12" });
    const res = await fetch(`${emu.url}/api/v1/archive/EmailFlows?$select=emailFlowId,workflowId,workflowName&$top=2&$skip=1`, { headers: { Authorization: basic() } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      value: [
        { PrimaryKey: 15, EntityName: "emailflow", emailFlowId: 15, workflowId: 702, workflowName: "Webinar follow-up" },
        { PrimaryKey: 18, EntityName: "emailflow", emailFlowId: 18, workflowId: 733, workflowName: "Re-engagement" },
      ],
    });
    expect(emu.counters().byMethod["archive/EmailFlows"]).toBe(1);
    expect((await fetch(`${emu.url}/api/v1/archive/Contact`, { headers: { Authorization: basic() } })).status).toBe(404);
  });
});
