/**
 * The emulator's Online mode over HTTP: what its Login service refuses, the 421s of hosts that do
 * not serve the tenant, and its admin routes (absent from an on-site emulator).
 */
import { describe, expect, it } from "vitest";
import { signSystemToken } from "../../src/client/system-user.js";
import { createPrivateKey } from "node:crypto";
import { startTestEmulator } from "../helpers/emulator.js";
import { startOnlineEmulator, testApp } from "../helpers/online.js";

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { ...init, ...(init.body ? { headers: { "Content-Type": "application/json" } } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

const authenticate = (base: string, body: object) => json(`${base}/Login/api/PartnerSystemUser/Authenticate`, { method: "POST", body: JSON.stringify(body) });

describe("the emulator as SuperOffice Online", () => {
  const app = testApp();
  const key = createPrivateKey(app.privateKeyPem);
  const body = (over: object = {}, at = new Date()) => ({
    SignedSystemToken: signSystemToken(app.systemUserToken, key, at),
    ApplicationToken: app.clientSecret,
    ContextIdentifier: "Cust12345",
    ReturnTokenType: "JWT",
    ...over,
  });

  it("signs in a correctly signed system user token, and refuses every wrong part", async () => {
    const emu = await startOnlineEmulator();
    const ok = await authenticate(emu.url, body());
    expect(ok.body).toMatchObject({ IsSuccessful: true, ErrorMessage: "" });
    expect(ok.body.Token.split(".")).toHaveLength(3);
    const refusals: [object, RegExp][] = [
      [body({ ApplicationToken: "client-secret-wrong-000" }), /Unknown application token/],
      [body({ ContextIdentifier: "Cust1" }), /no access to Cust1/],
      [body({ ReturnTokenType: "Ticket" }), /Only ReturnTokenType JWT/],
      [body({ SignedSystemToken: signSystemToken("SystemUserToken-other-99", key, new Date()) }), /Unknown system user token/],
      [body({}, new Date(Date.now() - 60 * 60 * 1000)), /too far from now/],
      [body({ SignedSystemToken: `${body().SignedSystemToken.slice(0, -8)}AAAAAAA=` }), /does not verify/],
    ];
    for (const [b, why] of refusals) expect((await authenticate(emu.url, b)).body).toMatchObject({ IsSuccessful: false, ErrorMessage: expect.stringMatching(why), Token: null });
    expect(emu.online.status()).toMatchObject({ signIns: 1, refusedSignIns: refusals.length });
  });

  it("answers 421 for the tenant on any host but its own, and 401 without a ticket on its own", async () => {
    const emu = await startOnlineEmulator();
    const path = "/Cust12345/api/v1/Agents/Workflow/GetEmailFlow?emailFlowId=12";
    expect((await json(`${emu.url}${path}`, { method: "POST" })).status).toBe(421);
    expect((await json(`${emu.online.hosts[1]}${path}`, { method: "POST" })).status).toBe(421);
    expect((await json(`${emu.online.hosts[0]}/Cust999/api/v1/Agents/Workflow/GetEmailFlow`, { method: "POST" })).status).toBe(421);
    expect((await json(`${emu.online.hosts[0]}${path}`, { method: "POST" })).status).toBe(401);
    const state = await json(`${emu.url}/api/state/Cust12345`);
    expect(state.body).toMatchObject({ ContextIdentifier: "Cust12345", Endpoint: `${emu.online.hosts[0]}/Cust12345`, State: "Running", IsRunning: true, Version: "10.2.9" });
    expect((await json(`${emu.url}/api/state/Cust999`)).status).toBe(404);
  });

  it("is controlled through its admin routes; an on-site emulator has none of them", async () => {
    const emu = await startOnlineEmulator();
    const admin = `${emu.url}/__emulator/online`;
    expect((await json(admin, { method: "POST", body: JSON.stringify({ state: "Maintenance", host: 2 }) })).body).toMatchObject({ state: "Maintenance", host: 2 });
    expect((await json(`${emu.url}/api/state/Cust12345`)).body).toMatchObject({ State: "Maintenance", IsRunning: false, Endpoint: `${emu.online.hosts[1]}/Cust12345` });
    expect((await json(admin, { method: "POST", body: JSON.stringify({ host: 3 }) })).status).toBe(400);
    expect((await json(`${admin}/app`, { method: "POST", body: JSON.stringify({ clientId: "x" }) })).status).toBe(400);
    expect((await json(`${emu.url}/__emulator/`)).body.routes).toContain("POST /__emulator/online/app");
    const onsite = await startTestEmulator();
    expect((await json(`${onsite.url}/__emulator/online`)).status).toBe(404);
    expect(onsite.online).toBeUndefined();
  });
});
