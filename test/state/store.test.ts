import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WfsyncError } from "../../src/errors.js";
import { openState, storedEntry, type StateStore } from "../../src/state/index.js";
import { JournalWriter, readJournal, type WriteFn } from "../../src/state/journal.js";
import { pidAlive } from "../../src/state/lock.js";
import { transpileStateModule } from "./transpile.js";
import { stateAddress as addr, stateEntry as entry } from "../helpers/state.js";

const TENANT = "https://online.superoffice.com/Cust12345";
const OTHER = "https://online.superoffice.com/Cust99999";

let dir: string;
let file: string;
const open: StateStore[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-state-"));
  file = path.join(dir, ".wfsync", "state.json");
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openTracked(options: Parameters<typeof openState>[1], at = file): Promise<StateStore> {
  const store = await openState(at, options);
  open.push(store);
  return store;
}



async function rejection(p: Promise<unknown>): Promise<WfsyncError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WfsyncError);
  return err as WfsyncError;
}

function mode(f: string): number {
  return fs.statSync(f).mode & 0o777;
}

/** Leaves the store as a killed process would: journal written, nothing compacted, lock left. */
function abandon(store: StateStore): void {
  open.splice(open.indexOf(store), 1);
}

function deadPid(): number {
  for (let pid = 4_194_000; pid > 100_000; pid -= 7) if (!pidAlive(pid)) return pid;
  throw new Error("no free pid");
}

describe("round trip", () => {
  it("records, removes, closes and reads back the same entries", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true, command: "wfsync apply" });
    expect(store.entries().size).toBe(0);
    await store.record(addr("a"), entry("a", 1));
    await store.record(addr("b"), entry("b", 2));
    await store.record(addr("c"), entry("c", 3));
    await store.remove(addr("b"));
    expect([...store.entries().keys()]).toEqual([addr("a"), addr("c")]);
    await store.close();

    expect(fs.existsSync(`${file}.journal`)).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(mode(file)).toBe(0o600);
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { version: number; tenant: string; entries: Record<string, { source?: unknown }> };
    expect(saved.version).toBe(1);
    expect(saved.tenant).toBe(TENANT);
    expect(Object.keys(saved.entries)).toEqual([addr("a"), addr("c")]);
    // In memory a location, in the file the `file:line:col` string it always was.
    expect(saved.entries[addr("a")]!.source).toBe("workflows/onboarding.ts:12:5");

    const again = await openTracked({ tenant: TENANT, lock: false });
    expect(again.get(addr("a"))).toEqual(entry("a", 1));
    expect(again.get(addr("c"))).toEqual(entry("c", 3));
    expect(again.tenant).toBe(TENANT);
  });

  it("keeps the server's answer without its field rights, in memory as in the file; an older file keeps them", async () => {
    const rights = { TableRight: { Mask: "Select, Update" }, FieldProperties: { Key: { FieldRight: { Mask: "Update" }, FieldType: "System.String", FieldLength: 255 } } };
    const server = {
      WorkflowStepOptionId: 1,
      Key: "a",
      ...rights,
      Steps: [
        { WorkflowStepId: 7, StepType: "AddToList", Rank: 1, Selection: 12, tableRight: { Mask: "Select" } },
        { WorkflowStepId: 8, StepType: "Split", Rank: 2, Options: [{ WorkflowStepOptionId: 0, Key: "inner", ...rights, Steps: [{ WorkflowStepId: 9, StepType: "SendSMS", FieldProperties: {} }] }] },
      ],
    };
    const lean = {
      WorkflowStepOptionId: 1,
      Key: "a",
      Steps: [
        { WorkflowStepId: 7, StepType: "AddToList", Rank: 1, Selection: 12 },
        { WorkflowStepId: 8, StepType: "Split", Rank: 2, Options: [{ WorkflowStepOptionId: 0, Key: "inner", Steps: [{ WorkflowStepId: 9, StepType: "SendSMS" }] }] },
      ],
    };
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a", 1, { server }));
    // What the next run reads back, and nothing else: the step ids the next update borrows are there.
    expect(store.get(addr("a"))!.server).toEqual(lean);
    await store.close();
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toMatch(/TableRight|FieldProperties/i);
    expect((await openTracked({ tenant: TENANT, lock: false })).get(addr("a"))!.server).toEqual(lean);

    // A file written before (rights and all) reads as it is.
    const old = JSON.parse(text) as { entries: Record<string, { server: unknown }> };
    old.entries[addr("a")]!.server = server;
    fs.writeFileSync(file, JSON.stringify(old));
    expect((await openTracked({ tenant: TENANT, lock: false })).get(addr("a"))!.server).toEqual(server);
  });

  it("a missing state file is an empty state and nothing is written until something is recorded", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.close();
    expect(fs.existsSync(file)).toBe(false);
  });

  it("keeps the previous version as .bak, mode 0600", async () => {
    const first = await openTracked({ tenant: TENANT, lock: true });
    await first.record(addr("a"), entry("a"));
    await first.close();
    const second = await openTracked({ tenant: TENANT, lock: true });
    await second.record(addr("b"), entry("b", 2));
    await second.close();
    const bak = JSON.parse(fs.readFileSync(`${file}.bak`, "utf8")) as { entries: Record<string, unknown> };
    expect(Object.keys(bak.entries)).toEqual([addr("a")]);
    expect(mode(`${file}.bak`)).toBe(0o600);
    expect(mode(file)).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(["state.json", "state.json.bak"]);
  });

  it("removes temp files left by killed writers, not those of live ones", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const dead = deadPid();
    const names = [`.state.json.${dead}.0badc0de.tmp`, `state.json.lock.${dead}.0badc0de.tmp`, `.state.json.${process.pid}.0badc0de.tmp`];
    for (const n of names) fs.writeFileSync(path.join(path.dirname(file), n), "x");
    await openTracked({ tenant: TENANT, lock: true });
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual([names[2], "state.json.lock"].sort());
  });

  it("journal and lock are 0600 too", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a"));
    expect(mode(`${file}.journal`)).toBe(0o600);
    expect(mode(`${file}.lock`)).toBe(0o600);
  });

  it("compacts on its own after compactEvery operations", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true, compactEvery: 3 });
    for (const k of ["a", "b", "c"]) await store.record(addr(k), entry(k));
    expect(fs.existsSync(`${file}.journal`)).toBe(false);
    expect(Object.keys((JSON.parse(fs.readFileSync(file, "utf8")) as { entries: object }).entries)).toHaveLength(3);
  });

  it("refuses to record an entry that does not match its address", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    expect((await rejection(store.record("1/2/x", entry("a")))).code).toBe("E_STATE_ENTRY");
    expect((await rejection(store.record(addr("a"), { ...entry("a"), id: -1 }))).code).toBe("E_STATE_ENTRY");
  });
});

describe("journal", () => {
  it("replays what a killed process recorded, then compacts", async () => {
    const crashed = await openTracked({ tenant: TENANT, lock: true, command: "wfsync apply" });
    await crashed.record(addr("a"), entry("a"));
    await crashed.record(addr("b"), entry("b", 2));
    await crashed.remove(addr("a"));
    abandon(crashed);
    expect(fs.existsSync(file)).toBe(false); // nothing compacted yet
    fs.rmSync(`${file}.lock`); // the lock of a dead process (stale locks have their own test)

    const store = await openTracked({ tenant: TENANT, lock: true });
    expect([...store.entries().keys()]).toEqual([addr("b")]);
    expect(fs.existsSync(`${file}.journal`)).toBe(false);
    expect(Object.keys((JSON.parse(fs.readFileSync(file, "utf8")) as { entries: object }).entries)).toEqual([addr("b")]);
  });

  it("replays a hand-written journal over an existing state file", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a"));
    await store.close();
    const lines = [
      JSON.stringify({ journal: 1, tenant: TENANT }),
      JSON.stringify({ op: "record", address: addr("b"), entry: storedEntry(entry("b", 2)) }),
      JSON.stringify({ op: "record", address: addr("a"), entry: storedEntry(entry("a", 5)) }),
    ];
    fs.writeFileSync(`${file}.journal`, `${lines.join("\n")}\n`);
    const reopened = await openTracked({ tenant: TENANT, lock: false });
    expect(reopened.get(addr("a"))?.id).toBe(5);
    expect(reopened.get(addr("b"))?.id).toBe(2);
    // Read-only: nothing compacted.
    expect(fs.existsSync(`${file}.journal`)).toBe(true);
  });

  it("reads each source once as a location, from the file and the journal; one of another shape is dropped", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const hand = { ...storedEntry(entry("a")), source: "edited by hand" };
    fs.writeFileSync(file, JSON.stringify({ version: 1, tenant: TENANT, entries: { [addr("a")]: hand } }));
    const lines = [JSON.stringify({ journal: 1, tenant: TENANT }), JSON.stringify({ op: "record", address: addr("b"), entry: { ...storedEntry(entry("b", 2)), source: "C:\\w\\b.ts:3:9" } })];
    fs.writeFileSync(`${file}.journal`, `${lines.join("\n")}\n`);
    const store = await openTracked({ tenant: TENANT, lock: false });
    expect(store.get(addr("a"))).toEqual(entry("a", 1, { source: undefined }));
    expect(store.get(addr("a"))).not.toHaveProperty("source");
    expect(store.get(addr("b"))?.source).toEqual({ file: "C:\\w\\b.ts", line: 3, column: 9 });
  });

  it.runIf(fs.existsSync("/dev/full"))("a failed journal write rejects the operation and records nothing", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    fs.symlinkSync("/dev/full", `${file}.journal`);
    expect((await rejection(store.record(addr("a"), entry("a")))).code).toBe("E_STATE_WRITE");
    expect(store.get(addr("a"))).toBeUndefined();
  });

  it("ignores a torn last line", async () => {
    const lines = [JSON.stringify({ journal: 1, tenant: TENANT }), JSON.stringify({ op: "record", address: addr("a"), entry: storedEntry(entry("a")) })];
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.journal`, `${lines.join("\n")}\n{"op":"record","address":"679/844/b","entry":{"id":`);
    const store = await openTracked({ tenant: TENANT, lock: true });
    expect([...store.entries().keys()]).toEqual([addr("a")]);
  });

  it("refuses a journal damaged in the middle, and leaves it alone", async () => {
    const lines = [JSON.stringify({ journal: 1, tenant: TENANT }), "garbage", JSON.stringify({ op: "remove", address: addr("a") })];
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.journal`, `${lines.join("\n")}\n`);
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_JOURNAL");
    expect(err.message).toContain("line 2");
    expect(fs.readFileSync(`${file}.journal`, "utf8")).toBe(`${lines.join("\n")}\n`);
    expect(fs.existsSync(`${file}.lock`)).toBe(false); // released on failure
  });
});

describe("a full disk", () => {
  const hasDevFull = fs.existsSync("/dev/full");
  const enospc = (): NodeJS.ErrnoException => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });

  it.runIf(hasDevFull)("fails a record with one clear error, and the next record works once there is space", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a", 1));
    await store.flush(); // compacted: the next record opens a new journal
    fs.symlinkSync("/dev/full", `${file}.journal`);
    const err = await rejection(store.record(addr("b"), entry("b", 2)));
    expect(err.code).toBe("E_STATE_WRITE");
    expect(err.message).toBe(`cannot write the state ${file}.journal: no space left on device`);
    expect(store.get(addr("b"))).toBeUndefined(); // memory holds what a replay would read
    expect((await rejection(store.record(addr("b"), entry("b", 2)))).code).toBe("E_STATE_WRITE");

    fs.rmSync(`${file}.journal`); // space again
    await store.record(addr("b"), entry("b", 2));
    await store.record(addr("c"), entry("c", 3));
    abandon(store); // as if killed: only the journal has b and c
    fs.rmSync(`${file}.lock`);
    const again = await openTracked({ tenant: TENANT, lock: true });
    expect([...again.entries().keys()]).toEqual([addr("a"), addr("b"), addr("c")]);
  });

  it("cuts a half-written line before the next one: the journal is never damaged in the middle", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let full = false;
    const write: WriteFn = (fd, buf, off, len) => {
      if (!full) return fs.writeSync(fd, buf, off, len);
      full = false;
      fs.writeSync(fd, buf, off, Math.floor(len / 2)); // part of the line reached the disk
      throw enospc();
    };
    const journal = new JournalWriter(`${file}.journal`, TENANT, 64, write);
    journal.append({ op: "record", address: addr("a"), entry: storedEntry(entry("a", 1)) });
    full = true;
    expect(() => journal.append({ op: "record", address: addr("b"), entry: storedEntry(entry("b", 2)) })).toThrow(/^cannot write the state .*: no space left on device$/);
    expect(readJournal(`${file}.journal`)?.tornTail).toBe(true);
    journal.append({ op: "remove", address: addr("a") });
    journal.append({ op: "record", address: addr("c"), entry: storedEntry(entry("c", 3)) });
    journal.close();
    const read = readJournal(`${file}.journal`)!;
    expect(read.tornTail).toBe(false);
    expect(read.ops.map(({ op }) => `${op.op} ${op.address}`)).toEqual([`record ${addr("a")}`, `remove ${addr("a")}`, `record ${addr("c")}`]);
  });

  it("a journal that could not even get its header written starts over", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let fail = true;
    const write: WriteFn = (fd, buf, off, len) => {
      if (!fail) return fs.writeSync(fd, buf, off, len);
      fail = false;
      fs.writeSync(fd, buf, off, 5);
      throw enospc();
    };
    expect(() => new JournalWriter(`${file}.journal`, TENANT, 64, write)).toThrow(WfsyncError);
    expect(fs.readFileSync(`${file}.journal`, "utf8")).toBe('{"jou'); // the torn header
    const journal = new JournalWriter(`${file}.journal`, TENANT, 64, write);
    journal.append({ op: "record", address: addr("a"), entry: storedEntry(entry("a", 1)) });
    journal.close();
    expect(readJournal(`${file}.journal`)).toMatchObject({ tenant: TENANT, tornTail: false, ops: [{ line: 2 }] });
  });
});

describe("a state path that cannot be used", () => {
  it.each([true, false])("is one E_STATE_PATH naming it (lock: %s)", async (lock) => {
    fs.mkdirSync(file, { recursive: true }); // the state path is a folder
    const folder = await rejection(openState(file, { tenant: TENANT, lock }));
    expect(folder).toMatchObject({ code: "E_STATE_PATH", message: `The state path ${file} is a folder.` });

    const blocked = path.join(dir, "notes", "state.json");
    fs.writeFileSync(path.join(dir, "notes"), "a file");
    const through = await rejection(openState(blocked, { tenant: TENANT, lock }));
    expect(through.code).toBe("E_STATE_PATH");
    expect(through.message).toMatch(new RegExp(`^Cannot use the state path ${blocked}: a part of the path is a file, not a folder`));
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe("tenant binding", () => {
  it("refuses a state made for another tenant, naming both and the fix", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a"));
    await store.close();
    const err = await rejection(openState(file, { tenant: OTHER, lock: true }));
    expect(err.code).toBe("E_STATE_TENANT");
    expect(err.message).toContain(TENANT);
    expect(err.message).toContain(OTHER);
    expect(err.detail).toContain("--url");
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it("shows a hand-edited tenant without its user name or password", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, tenant: "https://anna:pa#ss-w0rd@online.superoffice.com/Cust12345", entries: {} }));
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_TENANT");
    expect(err.message).toContain("https://[redacted]@online.superoffice.com/Cust12345");
    expect(`${err.message}\n${err.detail}`).not.toMatch(/anna|w0rd/);
  });

  it("accepts a state file whose tenant was written in another spelling of the same URL", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a"));
    await store.close();
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.replace(`"tenant": "${TENANT}"`, `"tenant": "HTTPS://online.superoffice.com:443/Cust12345/"`));
    const again = await openTracked({ tenant: TENANT, lock: true });
    expect(again.tenant).toBe(TENANT);
    expect(again.get(addr("a"))?.id).toBe(1);
    await again.close();
    expect((await rejection(openState(file, { tenant: OTHER, lock: true }))).code).toBe("E_STATE_TENANT");
  });

  it("compares normalised URLs", async () => {
    const store = await openTracked({ tenant: "HTTPS://Online.SuperOffice.com:443/Cust12345/", lock: true });
    await store.record(addr("a"), entry("a"));
    await store.close();
    const again = await openTracked({ tenant: TENANT, lock: true });
    expect(again.tenant).toBe(TENANT);
  });

  it("a journal alone (crash before the first compaction) binds the tenant too", async () => {
    const crashed = await openTracked({ tenant: TENANT, lock: true });
    await crashed.record(addr("a"), entry("a"));
    abandon(crashed);
    fs.rmSync(`${file}.lock`);
    expect((await rejection(openState(file, { tenant: OTHER, lock: true }))).code).toBe("E_STATE_TENANT");
  });
});

describe("lock", () => {
  it("refuses a second opener, naming the holder", async () => {
    await openTracked({ tenant: TENANT, lock: true, command: "wfsync apply" });
    const err = await rejection(openState(file, { tenant: TENANT, lock: true, command: "wfsync watch" }));
    expect(err.code).toBe("E_STATE_LOCKED");
    expect(err.message).toContain("wfsync apply");
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toMatch(/since \d{4}-\d\d-\d\dT/);
    expect(err.detail).toContain(`${file}.lock`);
    // Read-only commands still work while it is held.
    await expect(openTracked({ tenant: TENANT, lock: false })).resolves.toBeDefined();
  });

  it("waits for the holder with a lock timeout, and refuses once it has passed", async () => {
    const first = await openTracked({ tenant: TENANT, lock: true, command: "wfsync apply" });
    expect((await rejection(openState(file, { tenant: TENANT, lock: true, lockTimeoutMs: 250 }))).code).toBe("E_STATE_LOCKED");
    const waiting = openState(file, { tenant: TENANT, lock: true, lockTimeoutMs: 60_000 });
    await first.record(addr("a"), entry("a"));
    await first.close();
    const second = await waiting;
    open.push(second);
    expect(second.get(addr("a"))?.id).toBe(1);
  });

  it("takes over a stale lock from a process that no longer exists, with a warning", async () => {
    const pid = deadPid();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid, hostname: os.hostname(), startedAt: "2025-01-01T00:00:00Z", command: "wfsync apply" }));
    const warnings: string[] = [];
    const store = await openTracked({ tenant: TENANT, lock: true, logger: { warn: (_o, msg) => void warnings.push(msg ?? "") } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`pid ${pid}`);
    expect(JSON.parse(fs.readFileSync(`${file}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
    await store.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it("never judges a lock from another host stale", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = { pid: deadPid(), hostname: "ci-runner-7", startedAt: "2025-01-01T00:00:00Z", command: "wfsync apply" };
    fs.writeFileSync(`${file}.lock`, JSON.stringify(lock));
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_LOCKED");
    expect(err.message).toContain("ci-runner-7");
  });

  it("read-only stores refuse to write", async () => {
    const store = await openTracked({ tenant: TENANT, lock: false });
    expect(store.writable).toBe(false);
    expect((await rejection(store.record(addr("a"), entry("a")))).code).toBe("E_STATE_READONLY");
  });
});

describe("damaged state files are refused and never overwritten", () => {
  const cases: [string, string, string][] = [
    ["not JSON", "{ not json", "E_STATE_CORRUPT"],
    ["another version", JSON.stringify({ version: 2, tenant: TENANT, entries: {} }), "E_STATE_VERSION"],
    ["no version", JSON.stringify({ tenant: TENANT, entries: {} }), "E_STATE_INVALID"],
    [
      "bad fields",
      JSON.stringify({ version: 1, tenant: TENANT, entries: { [addr("a")]: { ...entry("a"), id: "12", option: { ...entry("a").option, steps: [{}] } } } }),
      "E_STATE_INVALID",
    ],
  ];
  it.each(cases)("%s", async (_name, text, code) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe(code);
    expect(fs.readFileSync(file, "utf8")).toBe(text);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it("names the .bak to restore from only when there is one", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "{ not json");
    const without = await rejection(openState(file, { tenant: TENANT, lock: false }));
    expect(without.detail).toBe("wfsync will not overwrite it. Restore it from version control, or move it away to start from an empty state.");
    fs.writeFileSync(`${file}.bak`, "{}");
    const withBak = await rejection(openState(file, { tenant: TENANT, lock: false }));
    expect(withBak.detail).toContain(`Restore it from ${file}.bak or version control`);

    fs.rmSync(`${file}.bak`);
    fs.writeFileSync(file, JSON.stringify({ version: 1, tenant: TENANT, entries: { x: {} } }));
    expect((await rejection(openState(file, { tenant: TENANT, lock: false }))).detail).not.toContain(".bak");
    fs.writeFileSync(file, JSON.stringify({ version: 7, tenant: TENANT, entries: {} }));
    expect((await rejection(openState(file, { tenant: TENANT, lock: false }))).detail).not.toContain(".bak");
  });

  it("refuses two addresses pointing at one option id, naming both and the id", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = JSON.stringify({ version: 1, tenant: TENANT, entries: { [addr("a")]: entry("a", 5), [addr("b")]: entry("b", 5), [addr("c")]: entry("c", 6) } });
    fs.writeFileSync(file, text);
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_INVALID");
    expect(err.detail).toContain(
      `$.entries: "679/844/a" and "679/844/b" both point at option id 5; keep the entry of the one that is option 5 on the server and delete the other`,
    );
    expect(err.detail).not.toContain("option id 6");
    expect(fs.readFileSync(file, "utf8")).toBe(text);
  });

  it("refuses a journal that gives an option id a second address", async () => {
    const store = await openTracked({ tenant: TENANT, lock: true });
    await store.record(addr("a"), entry("a", 5));
    await store.close();
    const state = fs.readFileSync(file, "utf8");
    const lines = [JSON.stringify({ journal: 1, tenant: TENANT }), JSON.stringify({ op: "record", address: addr("b"), entry: storedEntry(entry("b", 5)) })];
    fs.writeFileSync(`${file}.journal`, `${lines.join("\n")}\n`);
    const err = await rejection(openState(file, { tenant: TENANT, lock: true }));
    expect(err.code).toBe("E_STATE_INVALID");
    expect(err.message).toContain(`${file}.journal`);
    expect(err.detail).toContain(`"679/844/a" and "679/844/b" both point at option id 5`);
    expect(fs.readFileSync(file, "utf8")).toBe(state);
    expect(fs.existsSync(`${file}.journal`)).toBe(true);
  });

  it("lists every problem with its path", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const bad = { ...entry("a"), id: "12", option: { ...entry("a").option, steps: [{}] } };
    fs.writeFileSync(file, JSON.stringify({ version: 1, tenant: TENANT, entries: { [addr("a")]: bad } }));
    const err = await rejection(openState(file, { tenant: TENANT, lock: false }));
    expect(err.detail).toContain(`$.entries["679/844/a"].id: expected a positive integer, got "12"`);
    expect(err.detail).toContain(`$.entries["679/844/a"].option.steps[0]: expected a step with a stepType`);
  });
});

describe("SIGKILL", () => {
  it.each([
    ["early, no compaction yet", 40, 100_000],
    ["mid-run, compacting often", 700, 97],
  ])("loses nothing that resolved (killed %s)", { timeout: 30_000 }, async (_name, killAfter, compactEvery) => {
    const moduleDir = fs.mkdtempSync(path.join(os.tmpdir(), "wfsync-state-module-"));
    try {
      const modulePath = transpileStateModule(moduleDir);
      const child = spawn(
        process.execPath,
        [path.join(import.meta.dirname, "fixtures/record-child.mjs"), modulePath, file, TENANT, "1000000", String(compactEvery)],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const printed: string[] = [];
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      let buffer = "";
      // "close" comes after the pipe is drained: every line the child printed before dying is read.
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) if (line !== "open") printed.push(line);
        if (printed.length >= killAfter && child.exitCode === null) child.kill("SIGKILL");
      });
      const signal = await exited;
      expect(stderr).toBe("");
      expect(signal).toBe("SIGKILL");
      expect(printed.length).toBeGreaterThanOrEqual(killAfter);

      const warnings: string[] = [];
      const store = await openTracked({ tenant: TENANT, lock: true, logger: { warn: (_o, m) => void warnings.push(m ?? "") } });
      expect(warnings.join()).toContain("stale"); // the dead child's lock was taken over
      for (const address of printed) expect(store.get(address), address).toBeDefined();
      // At most the one record in flight at the kill is there beyond what was printed.
      expect(store.entries().size - printed.length).toBeLessThanOrEqual(1);
    } finally {
      fs.rmSync(moduleDir, { recursive: true, force: true });
    }
  });
});
