/**
 * SuperOffice Online, the pure parts: which URLs name an Online tenant and its environment, the
 * system user's variables and key, the signed token, the JWT checks, and that none of the
 * secrets can be shown. The key pairs are made here, at test time.
 */
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { credentialsFromEnv, scrubSecrets, secretValues, type SystemUserCredentials } from "../../src/client/credentials.js";
import { onlineEnvironment, onlineTenant } from "../../src/client/online.js";
import { readPrivateKey, signSystemToken, signingTime, TICKET_CLAIM, validateSystemUserJwt } from "../../src/client/system-user.js";
import { tenantLabel } from "../../src/client/routing.js";
import { generationOfVersion } from "../../src/tenant/connect.js";

const app = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = app.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-online-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENV = {
  WFSYNC_SYSTEM_USER_TOKEN: "SystemUserToken-7f3a9c21",
  WFSYNC_PRIVATE_KEY: PEM,
  WFSYNC_CLIENT_ID: "a1b2c3d4client",
  WFSYNC_CLIENT_SECRET: "client-secret-5e6f7a8b",
};

describe("which URLs are Online tenants", () => {
  it("reads a tenant id alone, in the configured environment (default online)", () => {
    expect(onlineTenant("Cust12345", undefined)).toEqual({
      tenantId: "Cust12345",
      environment: { name: "online", base: "https://online.superoffice.com" },
      identity: "https://online.superoffice.com/Cust12345",
    });
    expect(onlineTenant("cust7", "sod")?.identity).toBe("https://sod.superoffice.com/Cust7");
    expect(onlineTenant("Cust7", "stage")?.environment).toEqual({ name: "qaonline", base: "https://qaonline.superoffice.com" });
    expect(onlineTenant("Cust7", "http://127.0.0.1:9999/")?.identity).toBe("http://127.0.0.1:9999/Cust7");
  });

  it("reads the environment from a superoffice.com URL, its numbered hosts included", () => {
    expect(onlineTenant("https://online.superoffice.com/Cust12345", undefined)?.identity).toBe("https://online.superoffice.com/Cust12345");
    expect(onlineTenant("https://online2.superoffice.com/Cust12345/", undefined)?.identity).toBe("https://online.superoffice.com/Cust12345");
    expect(onlineTenant("https://sod3.superoffice.com/Cust1", undefined)?.environment.name).toBe("sod");
    expect(onlineTenant("https://qaonline.superoffice.com/Cust1", "stage")?.environment.name).toBe("qaonline");
  });

  it("takes a URL on the configured environment's origin as Online, any other as on-site", () => {
    expect(onlineTenant("http://127.0.0.1:9999/Cust5", "http://127.0.0.1:9999")?.tenantId).toBe("Cust5");
    expect(onlineTenant("http://127.0.0.1:9999/Cust5", undefined)).toBeUndefined();
    expect(onlineTenant("https://crm.example.com/Cust5", "online")).toBeUndefined();
    expect(onlineTenant("https://online.superoffice.com/", undefined)).toBeUndefined();
  });

  it("refuses an environment setting that contradicts the URL, or is none", () => {
    expect(() => onlineTenant("https://sod.superoffice.com/Cust1", "online")).toThrow(/names the sod environment .* says online/);
    expect(() => onlineEnvironment("prod")).toThrow(expect.objectContaining({ code: "E_CONFIG", message: expect.stringContaining("online, sod, qaonline, stage") }));
    expect(() => onlineEnvironment("https://user:hunter2@sod.superoffice.com")).toThrow(/\[redacted\]@sod/);
  });

  it("labels a tenant by id, host and version on Online, by URL on-site", () => {
    const online = { url: "https://online.superoffice.com/Cust12345", online: { tenantId: "Cust12345", environment: "online" } };
    expect(tenantLabel(online)).toBe("Cust12345 (online.superoffice.com)");
    const routed = { ...online, online: { ...online.online, host: "online2.superoffice.com", version: "12.4.1514" } };
    expect(tenantLabel(routed)).toBe("Cust12345 (online2.superoffice.com), SuperOffice 12.4.1514");
    expect(tenantLabel(routed, { version: false })).toBe("Cust12345 (online2.superoffice.com)");
    expect(tenantLabel({ url: "https://crm.example.com/sales" })).toBe("https://crm.example.com/sales");
  });

  it("tells the API generation from the version the state API names", () => {
    expect(generationOfVersion("12.4.1514")).toBe("12");
    expect(generationOfVersion("10.2.10.0")).toBe("12");
    expect(generationOfVersion("10.3.1")).toBe("12");
    expect(generationOfVersion("10.2.9")).toBe("10.2");
    expect(generationOfVersion("10.2.4.55")).toBe("10.2");
    expect(generationOfVersion("next")).toBeUndefined();
    expect(generationOfVersion(undefined)).toBeUndefined();
  });
});

describe("the system user's credentials", () => {
  it("reads all four variables, the key as PEM text or as a file", () => {
    const c = credentialsFromEnv(ENV) as SystemUserCredentials;
    expect(c).toMatchObject({ scheme: "systemuser", systemUserToken: ENV.WFSYNC_SYSTEM_USER_TOKEN, clientId: ENV.WFSYNC_CLIENT_ID, clientSecret: ENV.WFSYNC_CLIENT_SECRET });
    expect(c.privateKey.asymmetricKeyType).toBe("rsa");
    const file = path.join(dir, "app.pem");
    fs.writeFileSync(file, PEM);
    const fromFile = credentialsFromEnv({ ...ENV, WFSYNC_PRIVATE_KEY: file }) as SystemUserCredentials;
    expect(fromFile.privateKey.export({ type: "pkcs8", format: "pem" })).toBe(PEM);
  });

  it("reads SuperOffice's XML form of the key", () => {
    const jwk = app.privateKey.export({ format: "jwk" });
    const b64 = (v: string | undefined): string => Buffer.from(v!, "base64url").toString("base64");
    const xml =
      `<RSAKeyValue><Modulus>${b64(jwk.n)}</Modulus><Exponent>${b64(jwk.e)}</Exponent><P>${b64(jwk.p)}</P><Q>${b64(jwk.q)}</Q>` +
      `<DP>${b64(jwk.dp)}</DP><DQ>${b64(jwk.dq)}</DQ><InverseQ>${b64(jwk.qi)}</InverseQ><D>${b64(jwk.d)}</D></RSAKeyValue>`;
    const { key } = readPrivateKey(xml);
    const data = Buffer.from("x");
    expect(verify("RSA-SHA256", data, app.publicKey, sign("RSA-SHA256", data, key))).toBe(true);
  });

  it("names missing variables, and refuses a second scheme or WFSYNC_APP_TOKEN beside it", () => {
    const { WFSYNC_CLIENT_ID: _id, WFSYNC_PRIVATE_KEY: _key, ...partial } = ENV;
    expect(() => credentialsFromEnv(partial)).toThrow(expect.objectContaining({ code: "E_NO_CREDENTIALS", message: expect.stringMatching(/^WFSYNC_PRIVATE_KEY, WFSYNC_CLIENT_ID are not set/) }));
    expect(() => credentialsFromEnv({ ...ENV, WFSYNC_TICKET: "7T:abc" })).toThrow(expect.objectContaining({ code: "E_CREDENTIALS_AMBIGUOUS" }));
    expect(() => credentialsFromEnv({ ...ENV, WFSYNC_APP_TOKEN: "other-app-token" })).toThrow(expect.objectContaining({ code: "E_CREDENTIALS_AMBIGUOUS", message: expect.stringContaining("unset WFSYNC_APP_TOKEN") }));
  });

  it("says what is wrong with a key without repeating it", () => {
    const mangled = PEM.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    for (const value of [mangled, path.join(dir, "missing.pem")]) {
      try {
        credentialsFromEnv({ ...ENV, WFSYNC_PRIVATE_KEY: value });
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ code: "E_PRIVATE_KEY" });
        expect((err as Error).message).toContain("WFSYNC_PRIVATE_KEY");
        expect((err as Error).message).not.toContain(mangled.slice(0, 40));
      }
    }
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(() => credentialsFromEnv({ ...ENV, WFSYNC_PRIVATE_KEY: ec })).toThrow(/is a ec key; SuperOffice signs with RSA/);
    expect(() => credentialsFromEnv({ ...ENV, WFSYNC_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----" })).toThrow(/not a readable RSA private key/);
  });

  it("never shows a secret when serialised or inspected, and scrubs each from text", () => {
    const c = credentialsFromEnv(ENV);
    const shown = `${JSON.stringify(c)} ${inspect(c, { depth: 5 })} ${String(c)}`;
    const keyLine = PEM.split("\n")[1]!;
    for (const secret of [ENV.WFSYNC_SYSTEM_USER_TOKEN, ENV.WFSYNC_CLIENT_SECRET, keyLine]) expect(shown).not.toContain(secret);
    expect(shown).toContain(ENV.WFSYNC_CLIENT_ID);
    const echoed = `token ${ENV.WFSYNC_SYSTEM_USER_TOKEN} secret ${ENV.WFSYNC_CLIENT_SECRET} key ${keyLine} whole ${PEM}`;
    const scrubbed = scrubSecrets(echoed, secretValues(c));
    for (const secret of [ENV.WFSYNC_SYSTEM_USER_TOKEN, ENV.WFSYNC_CLIENT_SECRET, keyLine]) expect(scrubbed).not.toContain(secret);
  });
});

describe("the signed system user token", () => {
  it("is <token>.<UTC yyyyMMddHHmm>.<RSA-SHA256 signature, base64>", () => {
    const at = new Date(Date.UTC(2026, 0, 5, 7, 9, 59));
    expect(signingTime(at)).toBe("202601050709");
    const signed = signSystemToken("SystemUser.with.dots", app.privateKey, at);
    const cut = signed.lastIndexOf(".");
    expect(signed.slice(0, cut)).toBe("SystemUser.with.dots.202601050709");
    expect(verify("RSA-SHA256", Buffer.from(signed.slice(0, cut)), app.publicKey, Buffer.from(signed.slice(cut + 1), "base64"))).toBe(true);
  });
});

describe("the sign-in's JWT", () => {
  const server = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...server.publicKey.export({ format: "jwk" }), kid: "k1", use: "sig" };
  const now = Date.UTC(2026, 5, 1, 12, 0, 0);
  const sec = now / 1000;
  const claims = { iss: "https://sod.superoffice.com", aud: "spn:a1b2c3d4client", nbf: sec, exp: sec + 3600, [TICKET_CLAIM]: "7T:ticket-value" };
  const jwt = (body: object, key: KeyObject = server.privateKey, header: object = { alg: "RS256", kid: "k1" }): string => {
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${part(header)}.${part(body)}`;
    return `${input}.${sign("RSA-SHA256", Buffer.from(input), key).toString("base64url")}`;
  };
  const expect_ = { keys: [jwk], audience: "spn:a1b2c3d4client", issuer: "https://sod.superoffice.com/", now };

  it("gives the ticket and expiry of a token that verifies", () => {
    expect(validateSystemUserJwt(jwt(claims), expect_)).toEqual({ ticket: "7T:ticket-value", expiresAt: (sec + 3600) * 1000 });
  });

  it("refuses a token signed by another key, expired, not yet valid, for another app or issuer, or without a ticket", () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const cases: [string, RegExp][] = [
      [jwt(claims, other), /signature does not verify/],
      [jwt({ ...claims, exp: sec - 120 }), /expired/],
      [jwt({ ...claims, nbf: sec + 600 }), /not valid before/],
      [jwt({ ...claims, aud: "spn:someone-else" }), /audience is not spn:a1b2c3d4client/],
      [jwt({ ...claims, iss: "https://evil.example.com" }), /issuer/],
      [jwt({ ...claims, [TICKET_CLAIM]: undefined }), /no ticket claim/],
      [jwt(claims, server.privateKey, { alg: "none", kid: "k1" }), /only RS256/],
      [jwt(claims, server.privateKey, { alg: "RS256", kid: "k2" }), /key id "k2"/],
      ["not-a-jwt", /not a signed JWT/],
    ];
    for (const [token, why] of cases) {
      expect(() => validateSystemUserJwt(token, expect_)).toThrow(expect.objectContaining({ code: "E_SIGN_IN_JWT", message: expect.stringMatching(why) }));
    }
  });
});
