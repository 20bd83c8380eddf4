/** makePlan's read modes: every split, some splits (the rest against the state), none. */
import { describe, expect, it } from "vitest";
import { makePlan } from "../../src/plan/make.js";
import { applied, byAddress, live, option } from "../watch/fakes.js";

describe("makePlan with some splits read", () => {
  it("looks up the splits that were read and compares the rest with the state", async () => {
    const vip = option(1, 2, "vip", "VIP");
    const rest = option(1, 2, "rest", "Rest");
    const web = option(3, 4, "web", "Web 2");
    const state = byAddress({ address: "1/2/vip", ...applied(vip, 10) }, { address: "3/4/web", ...applied(option(3, 4, "web", "Web"), 20) });
    const reads: string[][] = [];
    const { plan, read } = await makePlan(
      { desired: byAddress(vip, rest, web), applied: state, massDeleteShare: 0.5, read: new Set(["1/2"]) },
      async (splits) => {
        reads.push([...splits]);
        return { live: new Map([["1/2", [live(vip, 10), live(rest, 11)]]]), missing: [] };
      },
    );
    expect(reads).toEqual([["1/2"]]);
    expect([...read]).toEqual(["1/2"]);
    expect(plan.changes.map((c) => `${c.action} ${c.address}${c.reason ? ` (${c.reason})` : ""}`)).toEqual([
      "noop 1/2/rest (adopted)",
      "noop 1/2/vip",
      "update 3/4/web",
    ]);
    expect(plan.summary).toMatchObject({ adopt: 1, noop: 1, update: 1 });
  });
});


describe("makePlan read modes", () => {
  const vip = option(1, 2, "vip", "VIP");
  const web = option(3, 4, "web", "Web");
  const input = { desired: byAddress(vip), applied: byAddress({ address: "3/4/web", ...applied(web, 20) }), massDeleteShare: 0.5 };

  it("reads every split of the code and the state with `all`, and nothing with `none`", async () => {
    const reads: string[][] = [];
    const reader = async (splits: ReadonlySet<string>) => {
      reads.push([...splits].sort());
      return { live: new Map([...splits].map((s) => [s, []])), missing: ["3/4"] };
    };
    const all = await makePlan({ ...input, read: "all" }, reader);
    expect(reads).toEqual([["1/2", "3/4"]]);
    expect(all.missing).toEqual(["3/4"]);
    expect(all.plan.refreshed).toBe(true);
    const none = await makePlan({ ...input, read: "none" }, reader);
    expect(reads).toHaveLength(1);
    expect(none.plan.refreshed).toBe(false);
    expect(none.plan.changes.map((c) => `${c.action} ${c.address}`)).toEqual(["create 1/2/vip", "delete 3/4/web"]);
  });
});
