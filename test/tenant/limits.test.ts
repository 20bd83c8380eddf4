import { describe, expect, it } from "vitest";
import type { SettingSource } from "../../src/config/load.js";
import { describeLimits, effectiveLimits, limitsToJson, serverKind } from "../../src/tenant/limits.js";

const config = (c: { concurrency?: number; rate?: number; from?: SettingSource; adaptive?: boolean }) => ({
  concurrency: c.concurrency ?? 4,
  rate: c.rate,
  limitsFrom: { concurrency: "default" as SettingSource, rate: c.rate === undefined ? ("default" as SettingSource) : (c.from ?? "config") },
  adaptive: c.adaptive ?? true,
});

describe("server kind", () => {
  it.each([
    ["https://online.superoffice.com/Cust12345", "online"],
    ["https://sod.superoffice.com/Cust1", "online"],
    ["https://ONLINE2.SuperOffice.com/Cust1/", "online"],
    ["https://superoffice.com/x", "online"],
    ["http://127.0.0.1:8765", "onsite"],
    ["https://crm.example.com/SuperOffice", "onsite"],
    ["https://superoffice.com.evil.example/x", "onsite"],
    ["https://notsuperoffice.com/x", "onsite"],
    ["not a url", "onsite"],
  ])("%s is %s", (url, kind) => {
    expect(serverKind(url)).toBe(kind);
  });
});

describe("effective limits", () => {
  it("on-site with no rate configured: concurrency only", () => {
    const l = effectiveLimits(config({ concurrency: 8 }), "onsite");
    expect(l).toEqual({ kind: "onsite", concurrency: 8, rate: undefined, source: "on-site default", adaptive: true });
    expect(describeLimits(l)).toBe("8 in flight, no rate cap (on-site default), adapts to throttling");
  });

  it("Online with no rate configured: the documented 10 requests/s", () => {
    const l = effectiveLimits(config({}), "online");
    expect(l).toMatchObject({ rate: 10, source: "online default" });
    expect(describeLimits(l)).toBe("4 in flight, at most 10 requests/s (online default), adapts to throttling");
  });

  it("a configured or given rate is the ceiling, on either kind", () => {
    expect(effectiveLimits(config({ rate: 2.5 }), "online")).toMatchObject({ rate: 2.5, source: "config" });
    expect(effectiveLimits(config({ rate: 50, from: "flag" }), "onsite")).toMatchObject({ rate: 50, source: "flag" });
    expect(describeLimits(effectiveLimits(config({ rate: 2.5, adaptive: false }), "onsite"))).toBe(
      "4 in flight, at most 2.5 requests/s (config), does not adapt to throttling",
    );
  });

  it("plan --json's shape", () => {
    expect(limitsToJson(effectiveLimits(config({}), "onsite"))).toEqual({ concurrency: 4, rate: null, source: "on-site default", adaptive: true, server: "onsite" });
  });
});
