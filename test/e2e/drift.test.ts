/**
 * The server changing behind wfsync's back: drift put back, options deleted on the server
 * re-created, options created out of band adopted by Key (never duplicated), several options
 * with one Key refused as a conflict before anything is sent.
 */
import { describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { admin, duplicateKeys, expectApplied, expectStateMatchesServer, startEngine, workflowFile, type Engine } from "./harness.js";

const FILES = {
  "workflows/w.ts": workflowFile(679, {
    844: [
      { key: "a", name: "Option a", body: "p.addToList({ selection: 1 });" },
      { key: "b", name: "Option b", body: `p.sendEmail({ shipmentId: 2, subject: "Hi" });` },
    ],
  }),
};

/** What the code above declares for key `a`, as a SaveWorkflowStepOption body. */
function carrierOfA(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { WorkflowId: 679, WorkflowStepId: 844, Key: "a", Name: "Option a", Rank: 1, Steps: [{ StepType: "AddToList", Selection: 1 }], ...extra };
}

function idOf(engine: Engine, key: string): number {
  const o = engine.serverOptions().filter((x) => x.Key === key);
  expect(o).toHaveLength(1);
  return o[0]!.WorkflowStepOptionId;
}

async function outOfBand(engine: Engine, body: Record<string, unknown>): Promise<number> {
  const res = await admin(engine.emu, "POST", "/options", body);
  expect(res.status).toBe(200);
  return res.json.WorkflowStepOptionId as number;
}

describe("drift", () => {
  it("shows a change made on the server as an update and puts it back", async () => {
    const engine = await startEngine({ files: FILES });
    expectApplied((await engine.apply()).result);
    const id = idOf(engine, "a");
    expect((await admin(engine.emu, "POST", `/options/${id}`, { Name: "Edited in the web UI", Rank: 7 })).status).toBe(200);

    const plan = await engine.plan();
    const change = plan.changes.find((c) => c.address === "679/844/a");
    expect(change).toMatchObject({ action: "update", id, reason: "changed on the server" });
    expect(change!.before).toMatchObject({ name: "Edited in the web UI", rank: 7 });
    expect(change!.after).toMatchObject({ name: "Option a", rank: 1 });

    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === id)).toMatchObject({ Name: "Option a", Rank: 1 });
  });

  it("re-creates an option deleted on the server and records its new id", async () => {
    const engine = await startEngine({ files: FILES });
    expectApplied((await engine.apply()).result);
    const id = idOf(engine, "a");
    expect((await admin(engine.emu, "DELETE", `/options/${id}`)).status).toBe(204);

    const plan = await engine.plan();
    expect(plan.changes.find((c) => c.address === "679/844/a")).toMatchObject({ action: "create", reason: "gone from the server" });
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    const newId = idOf(engine, "a");
    expect(newId).not.toBe(id);
    expect((await engine.stateEntries()).get("679/844/a")?.id).toBe(newId);
  });

  it("adopts an option that is gone under its recorded id but exists again with the same Key", async () => {
    // The state of a crash: the server created the option again, the state still names the old id.
    const engine = await startEngine({ files: FILES });
    expectApplied((await engine.apply()).result);
    await admin(engine.emu, "DELETE", `/options/${idOf(engine, "a")}`);
    const again = await outOfBand(engine, carrierOfA());

    const plan = await engine.plan();
    expect(plan.changes.find((c) => c.address === "679/844/a")).toMatchObject({ action: "noop", id: again, record: true });
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    expect(duplicateKeys(engine.serverOptions())).toEqual([]);
    expect((await engine.stateEntries()).get("679/844/a")?.id).toBe(again);
  });

  it("an option deleted between plan and apply fails alone, with the server's message; a rerun re-creates it", async () => {
    let engine!: Engine;
    let sabotaged = false;
    engine = await startEngine({
      files: FILES,
      // Deletes option b on the server just before its update reaches it.
      wrapApi: (api) => ({
        ...api,
        saveWorkflowStepOption: async (carrier) => {
          if (carrier.Key === "b" && carrier.WorkflowStepOptionId && !sabotaged) {
            sabotaged = true;
            await admin(engine.emu, "DELETE", `/options/${carrier.WorkflowStepOptionId}`);
          }
          return api.saveWorkflowStepOption(carrier);
        },
      }),
    });
    expectApplied((await engine.apply()).result);
    engine.write("workflows/w.ts", FILES["workflows/w.ts"].replace(/"Option (a|b)"/g, '"Renamed $1"'));
    const { result } = await engine.apply();
    expect(result.applied.map((c) => c.address)).toEqual(["679/844/a"]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.change.address).toBe("679/844/b");
    expect((result.failed[0]!.error as Error).message).toMatch(/does not exist/);
    expect((await engine.stateEntries()).get("679/844/a")?.option.name).toBe("Renamed a");

    const rerun = await engine.apply();
    expect(rerun.plan.changes.find((c) => c.address === "679/844/b")).toMatchObject({ action: "create", reason: "gone from the server" });
    expectApplied(rerun.result);
    await engine.expectConverged();
    expect(engine.serverOptions().map((o) => o.Name).sort()).toEqual(["Renamed a", "Renamed b"]);
  });

  it("an option whose Key was changed on the server is that Key's now: the old address is created again", async () => {
    const engine = await startEngine({ files: { "workflows/w.ts": workflowFile(679, { 844: [{ key: "a", name: "Option a", rank: 2 }] }) } });
    expectApplied((await engine.apply()).result);
    const a = idOf(engine, "a");
    await admin(engine.emu, "POST", `/options/${a}`, { Key: "b" });
    engine.write("workflows/w.ts", workflowFile(679, { 844: [{ key: "b", name: "Option b", rank: 1 }, { key: "a", name: "Option a", rank: 2 }] }));
    const { plan, result } = await engine.apply();
    expect(plan.changes.map((c) => `${c.action} ${c.address}${c.reason ? ` (${c.reason})` : ""}`)).toEqual([
      "update 679/844/b (adopted)",
      "create 679/844/a (gone from the server)",
    ]);
    expectApplied(result);
    await engine.expectConverged();
    expect(engine.serverOptions().map((o) => o.Key).sort()).toEqual(["a", "b"]);
    expect((await engine.stateEntries()).get("679/844/b")?.id).toBe(a);
  });
});

describe("adoption by Key", () => {
  it("adopts options created out of band (unchanged and changed), leaves unmanaged ones alone", async () => {
    const engine = await startEngine({ files: FILES });
    const same = await outOfBand(engine, carrierOfA());
    const differs = await outOfBand(engine, { ...carrierOfA(), Key: "b", Name: "Made by hand", Rank: 2 });
    const unmanaged = await outOfBand(engine, { ...carrierOfA(), Key: "not-in-code", Rank: 9 });

    const plan = await engine.plan();
    expect(plan.changes.map((c) => [c.address, c.action, "id" in c ? c.id : undefined, c.reason])).toEqual([
      ["679/844/a", "noop", same, "adopted"],
      ["679/844/b", "update", differs, "adopted"],
    ]);
    expect(plan.unmanaged).toEqual([{ address: "679/844/not-in-code", id: unmanaged }]);

    const { result } = await engine.apply();
    expectApplied(result);
    expect(engine.emu.counters().byMethod.SaveWorkflowStepOption).toBe(1); // only the update
    await engine.expectConverged();
    expect(engine.serverOptions().map((o) => o.WorkflowStepOptionId).sort()).toEqual([same, differs, unmanaged].sort());
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === differs)?.Name).toBe("Option b");
    const entries = await engine.stateEntries();
    expect([...entries.keys()].sort()).toEqual(["679/844/a", "679/844/b"]);
    expectStateMatchesServer(entries, engine.serverOptions());
  });

  it("refuses two options with the Key as a conflict and sends nothing", async () => {
    const engine = await startEngine({
      files: {
        ...FILES,
        "workflows/other.ts": workflowFile(702, { 910: [{ key: "c" }] }),
      },
    });
    const ids = [await outOfBand(engine, carrierOfA()), await outOfBand(engine, carrierOfA({ Name: "A copy" }))];

    const plan = await engine.plan();
    expect(plan.changes.find((c) => c.address === "679/844/a")).toMatchObject({ action: "conflict", ids });
    expect(plan.summary.conflict).toBe(1);

    engine.emu.resetCounters();
    const err = await engine.apply().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WfsyncError);
    expect(err).toMatchObject({ code: "E_CONFLICT" });
    expect((err as Error).message).toContain("679/844/a");
    const { byMethod } = engine.emu.counters();
    expect(Object.keys(byMethod)).toEqual(["GetWorkflowStep"]); // the refresh, and nothing else
    expect(engine.serverOptions()).toHaveLength(2);
    expect((await engine.stateEntries()).size).toBe(0);
  });
});
