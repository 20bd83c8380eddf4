/**
 * Option kinds (`when`) end to end: written, read back and adopted on the current generation;
 * refused at their line, before anything is sent, on a 10.2 server.
 */
import { describe, expect, it } from "vitest";
import { WfsyncErrors, formatError } from "../../src/errors.js";
import { admin, expectApplied, startEngine } from "./harness.js";

const SEED = {
  workflows: [
    {
      workflowId: 801,
      emailFlowId: 81,
      name: "Members",
      steps: [{ workflowStepId: 8101, stepType: "Split", splitOptionType: "SelectionMembership", options: [] }],
    },
  ],
};

const FILE = `import { workflow } from "wfsync";

export default workflow(801, (wf) => {
  wf.split(8101, (split) => {
    split.option("members", { name: "Members", when: { selection: 12 } }, (path) => {
      path.sendEmail({ shipmentId: 3, subject: "Hello, member" });
    });
    split.option("others", { name: "Everyone else" }, (path) => {
      path.sendEmail({ shipmentId: 4, subject: "Hello" });
    });
  });
});
`;

describe("option kinds", () => {
  it("on the current generation: written with their kind and target, read back, and converged", async () => {
    const engine = await startEngine({ files: { "workflows/members.ts": FILE }, emulator: { api: "12", seed: SEED } });
    expectApplied((await engine.apply()).result);
    const members = engine.serverOptions().find((o) => o.Name === "Members")!;
    expect(members).toMatchObject({ OptionType: "SelectionMembership", SelectionId: 12, Key: "" });
    await engine.expectConverged();

    // A change of target is an update of that option, in place.
    engine.write("workflows/members.ts", FILE.replace("selection: 12", "selection: 13"));
    const { plan, result } = await engine.apply();
    expect(plan.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`)).toEqual(["update 801/8101/members"]);
    expectApplied(result);
    expect(engine.serverOptions().find((o) => o.WorkflowStepOptionId === members.WorkflowStepOptionId)).toMatchObject({ SelectionId: 13 });
    await engine.expectConverged();
  });

  it("on the current generation: an option already there is adopted by kind, target and name", async () => {
    const engine = await startEngine({ files: { "workflows/members.ts": FILE }, emulator: { api: "12", seed: SEED } });
    const made = await admin(engine.emu, "POST", "/options", { WorkflowId: 801, WorkflowStepId: 8101, OptionType: "SelectionMembership", SelectionId: 12, Name: "Members", Rank: 1, Steps: [] });
    expect(made.status).toBe(200);
    const { plan, result } = await engine.apply();
    expect(plan.changes.find((c) => c.address === "801/8101/members")).toMatchObject({ id: made.json.WorkflowStepOptionId, reason: "adopted" });
    expectApplied(result);
    expect(engine.serverOptions()).toHaveLength(2);
  });

  it("on a 10.2 server: refused at the option's line, nothing sent", async () => {
    const engine = await startEngine({ files: { "workflows/members.ts": FILE }, emulator: { seed: SEED } });
    const err = await engine.apply().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WfsyncErrors);
    const text = formatError(err as WfsyncErrors);
    expect(text).toContain("workflows/members.ts:5:5");
    expect(text).toContain("needs SuperOffice 10.2.10 or later (the flow API)");
    expect(engine.emu.counters().byMethod.SaveWorkflowStepOption ?? 0).toBe(0);
  });
});
