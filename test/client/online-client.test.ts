/**
 * The client against the emulator in Online mode over 127.0.0.1: sign-in, renewal before expiry
 * (fake clock) and once on a 401 (single-flight), the state API's routing and a 421 followed,
 * tenants that are not running, and refused sign-ins.
 */
import { describe, expect, it } from "vitest";
import { credentialsFromEnv } from "../../src/client/credentials.js";
import { onlineTenant } from "../../src/client/online.js";
import { createWorkflowClient, type WorkflowClient } from "../../src/client/workflow.js";
import type { RunningEmulator, RunningOnline } from "../../src/emulator/index.js";
import { onCleanup } from "../helpers/cleanup.js";
import { onlineEnv, startOnlineEmulator } from "../helpers/online.js";

type OnlineEmulator = RunningEmulator & { online: RunningOnline };

function client(emu: OnlineEmulator, opts: { now?: () => number; env?: Record<string, string> } = {}): WorkflowClient {
  const env = { ...onlineEnv(emu), ...opts.env };
  const c = createWorkflowClient({
    baseUrl: `${emu.url}/Cust12345`,
    online: onlineTenant("Cust12345", env.WFSYNC_ONLINE_ENV),
    credentials: credentialsFromEnv(env),
    ...(opts.now ? { now: opts.now } : {}),
  });
  onCleanup(() => c.close());
  return c;
}

const status = (emu: OnlineEmulator) => emu.online.status() as { signIns: number; stateLookups: number; misdirected: number; refusedSignIns: number };

describe("sign-in and routing", () => {
  it("asks the state API where the tenant is, signs in once, and calls the tenant's own host", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const c = client(emu);
    expect(c.target()).toEqual({ url: `${emu.url}/Cust12345`, online: { tenantId: "Cust12345", environment: emu.url } });
    expect(await c.getEmailFlow(12)).toMatchObject({ EmailFlowId: 12 });
    await c.getEmailFlow(15);
    expect(c.target().online).toMatchObject({ host: new URL(emu.online.hosts[0]!).host, version: "12.4.1514" });
    expect(status(emu)).toMatchObject({ signIns: 1, stateLookups: 1, misdirected: 0 });
    expect(emu.counters().unauthorized).toBe(0);
  });

  it("follows a 421 once by asking the state API again, when the tenant moved", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const c = client(emu);
    await c.getEmailFlow(12);
    emu.online.update({ host: 2 });
    expect(await c.getEmailFlow(12)).toMatchObject({ EmailFlowId: 12 });
    expect(c.target().online?.host).toBe(new URL(emu.online.hosts[1]!).host);
    expect(status(emu)).toMatchObject({ misdirected: 1, stateLookups: 2 });
    expect(emu.counters().handled.GetEmailFlow).toBe(2);
  });

  it("gives up after a second 421: the state API still names a host that refuses the tenant", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const c = client(emu);
    await c.getEmailFlow(12);
    emu.online.update({ host: 2, staleLookups: 5 });
    await expect(c.getEmailFlow(12)).rejects.toMatchObject({ code: "E_API_MISDIRECTED", status: 421, outcomeUnknown: false });
  });

  it("reports a tenant that is offline or in maintenance as such, and an unknown one", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    emu.online.update({ state: "Offline" });
    await expect(client(emu).resolve()).rejects.toMatchObject({ code: "E_TENANT_OFFLINE", message: expect.stringMatching(/^Cust12345 is offline: .*"Offline"/) });
    emu.online.update({ state: "Maintenance" });
    await expect(client(emu).getEmailFlow(12)).rejects.toMatchObject({ code: "E_TENANT_OFFLINE", message: expect.stringContaining("is in maintenance") });
    const other = createWorkflowClient({ baseUrl: `${emu.url}/Cust999`, online: onlineTenant("Cust999", emu.url), credentials: credentialsFromEnv(onlineEnv(emu)) });
    onCleanup(() => other.close());
    await expect(other.resolve()).rejects.toMatchObject({ code: "E_TENANT_UNKNOWN" });
    expect(emu.counters().total).toBe(0);
  });
});

describe("the ticket", () => {
  it("is renewed shortly before it expires, without a refusal (fake clock)", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    emu.online.update({ ticketLifetimeMs: 60_000 });
    // The client's clock stands still unless moved; the emulator's is the real one.
    const start = Date.now();
    let t = start;
    const c = client(emu, { now: () => t });
    await c.getEmailFlow(12);
    t = start + 30_000;
    await c.getEmailFlow(12);
    expect(status(emu).signIns).toBe(1);
    t = start + 58_000; // the ticket (60 s) has less than a fifth of its life left
    await c.getEmailFlow(12);
    expect(status(emu).signIns).toBe(2);
    expect(emu.counters().unauthorized).toBe(0);
  });

  it("after it expired, many refused requests share one sign-in and each is sent once more", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const c = client(emu);
    await c.getEmailFlow(12);
    emu.online.expireTickets();
    emu.resetCounters();
    const flows = await Promise.all(Array.from({ length: 8 }, () => c.getEmailFlow(12)));
    expect(flows.every((f) => (f as { EmailFlowId: number }).EmailFlowId === 12)).toBe(true);
    expect(status(emu).signIns).toBe(2);
    const counters = emu.counters();
    expect(counters.unauthorized).toBe(8);
    expect(counters.handled.GetEmailFlow).toBe(8);
  });

  it("a refused sign-in is an auth error naming the variables, never their values", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const c = client(emu, { env: { WFSYNC_CLIENT_SECRET: "client-secret-WRONG-0000" } });
    const err = await c.getEmailFlow(12).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; kind: string },
    );
    expect(err).toMatchObject({ code: "E_SIGN_IN", kind: "auth" });
    expect(err!.message).toContain("Unknown application token");
    expect(err!.message).toContain("WFSYNC_CLIENT_SECRET");
    expect(err!.message).not.toContain("client-secret-WRONG-0000");
    expect(emu.counters().total).toBe(0);
  });

  it("a private key that is not the registered app's is refused at sign-in", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    const { generateKeyPairSync } = await import("node:crypto");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    // The app's key no longer matches what is registered: the sign-in itself is refused.
    const c = client(emu, { env: { WFSYNC_PRIVATE_KEY: other.privateKey.export({ type: "pkcs8", format: "pem" }) as string } });
    await expect(c.getEmailFlow(12)).rejects.toMatchObject({ code: "E_SIGN_IN", message: expect.stringContaining("signature does not verify") });
  });
});
