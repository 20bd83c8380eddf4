/**
 * SuperOffice Online as tests play it: an app key pair made at test time (never a committed
 * secret), registered with an emulator in Online mode, and the variables a client signs in with.
 */
import { generateKeyPairSync } from "node:crypto";
import type { EmulatorOptions, RunningEmulator, RunningOnline } from "../../src/emulator/index.js";
import { startTestEmulator } from "./emulator.js";

export interface OnlineApp {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly systemUserToken: string;
  /** PKCS#8 PEM text. */
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

let cached: OnlineApp | undefined;

/** One key pair per test file (making RSA keys is slow); secrets long enough to be scrubbed. */
export function testApp(): OnlineApp {
  if (cached) return cached;
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  cached = {
    clientId: "0a1b2c3d4e5f-client",
    clientSecret: "client-secret-9f8e7d6c5b4a",
    systemUserToken: "SystemUserToken-1234abcd5678",
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
  return cached;
}

export async function startOnlineEmulator(options: Omit<EmulatorOptions, "port" | "env" | "online"> = {}): Promise<RunningEmulator & { online: RunningOnline }> {
  const app = testApp();
  const emu = await startTestEmulator({
    ...options,
    online: { app: { clientId: app.clientId, clientSecret: app.clientSecret, systemUserToken: app.systemUserToken, publicKey: app.publicKeyPem } },
  });
  return emu as RunningEmulator & { online: RunningOnline };
}

/** The variables of a CI job signing in as the system user against `emu` (the key as PEM text). */
export function onlineEnv(emu: RunningEmulator, privateKey: string = testApp().privateKeyPem): Record<string, string> {
  const app = testApp();
  return {
    WFSYNC_ONLINE_ENV: emu.url,
    WFSYNC_SYSTEM_USER_TOKEN: app.systemUserToken,
    WFSYNC_PRIVATE_KEY: privateKey,
    WFSYNC_CLIENT_ID: app.clientId,
    WFSYNC_CLIENT_SECRET: app.clientSecret,
  };
}
