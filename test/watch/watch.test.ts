/** `startWatch` end to end: real files, real chokidar, the emulator in-process. */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { formatError, formatLocation } from "../../src/errors.js";
import { openState } from "../../src/state/index.js";
import { WatchReporter } from "../../src/watch/report.js";
import { onlineEnv, startOnlineEmulator } from "../helpers/online.js";
import { configFile, emulator, flowFile, project, serverOptions, watch } from "./harness.js";

const VIP = { key: "vip", name: "VIP customers" };
const REST = { key: "rest", name: "Everyone else" };
const FILE = "workflows/onboarding.ts";
const summary = (changes: readonly { action: string; address: string }[]) => changes.map((c) => `${c.action} ${c.address}`);

describe("watch", () => {
  it("applies everything at start, then each edit, without reading the server (--drift revert)", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { drift: "revert" });
    expect(summary(w.ready.firstRun.applied)).toEqual(["create 679/844/rest", "create 679/844/vip"]);
    expect(w.ready.firstRun.refreshed).toBe("all");
    expect(w.ready).toMatchObject({ workflowFiles: 1, options: 2, url: emu.url });
    expect([...serverOptions(emu, 844).keys()].sort()).toEqual(["rest", "vip"]);

    emu.resetCounters();
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "VIP and key accounts" }, REST]));
    const run = await w.waitForRun((r) => r.applied.length > 0, "the edit applied", 1);
    expect(summary(run.applied)).toEqual(["update 679/844/vip"]);
    expect(run.applied[0]!.source).toEqual({ file: "workflows/onboarding.ts", line: 5, column: 5 });
    expect(run.files).toEqual([FILE]);
    expect(run.refreshed).toBe("none");
    expect(run.latencyMs).toBeGreaterThanOrEqual(0);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP and key accounts");
    // One save, one request: the unchanged option is not re-sent and no split is read.
    expect(emu.counters().byMethod).toEqual({ SaveWorkflowStepOption: 1 });
  });

  it("keeps a file that does not compile at its last good options, and applies the fix", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { allowDelete: true });

    p.write(FILE, flowFile(679, 844, [VIP, REST]).replace("wf.split(844, (split) => {", "wf.split(844, (split) => {{"));
    const broken = await w.waitForRun((r) => r.errors.length > 0, "the syntax error reported", 1);
    expect(broken.failedFiles).toEqual([FILE]);
    expect(broken.applied).toEqual([]);
    expect(broken.pendingDeletes).toEqual([]);
    const error = broken.errors[0]!;
    expect(error.location && formatLocation(error.location)).toMatch(/^workflows\/onboarding\.ts:\d+:\d+$/);
    expect(formatError(error)).toContain("^");
    expect(broken.options).toBe(2);
    expect([...serverOptions(emu, 844).keys()].sort()).toEqual(["rest", "vip"]);

    // An edit of the broken file that also drops an option: still nothing sent, nothing deleted.
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "Renamed" }]).replace("(split) => {", "(split) => {{"));
    const still = await w.waitForRun((r) => r.errors.length > 0, "still broken", broken.seq);
    expect(still.applied).toEqual([]);
    expect(still.pendingDeletes).toEqual([]);

    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "Renamed" }, REST]));
    const fixed = await w.waitForRun((r) => r.applied.length > 0, "the fix applied", still.seq);
    expect(fixed.errors).toEqual([]);
    expect(fixed.failedFiles).toEqual([]);
    expect(fixed.recoveredFiles).toEqual([FILE]);
    expect(summary(fixed.applied)).toEqual(["update 679/844/vip"]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("Renamed");
  });

  it("a validation error in one option holds its whole file and deletes nothing", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { allowDelete: true });
    // Two options with one rank: the compiler drops them from the model, which must not read as removed.
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "New", rank: 1 }, { ...REST, rank: 1 }]));
    const run = await w.waitForRun((r) => r.errors.length > 0, "the validation error", 1);
    expect(run.failedFiles).toEqual([FILE]);
    expect(run.applied).toEqual([]);
    expect(run.pendingDeletes).toEqual([]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP customers");
  });

  it("a split declared in a second file holds both files, whichever sorts first", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { allowDelete: true });
    // The copy sorts before onboarding.ts, so the compiler reports the duplicate in onboarding.ts.
    p.write("workflows/a-copy.ts", flowFile(679, 844, [{ ...VIP, name: "From the copy" }, REST]));
    const run = await w.waitForRun((r) => r.errors.some((e) => e.code === "E_DUPLICATE_SPLIT"), "the duplicate split", 1);
    expect(run.failedFiles).toEqual(["workflows/a-copy.ts", FILE]);
    expect(run.applied).toEqual([]);
    expect(run.pendingDeletes).toEqual([]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP customers");

    // The split moved: the copy is now its only declaration, and its version is sent.
    p.remove(FILE);
    const moved = await w.waitForRun((r) => r.applied.length > 0, "the moved split applied", run.seq);
    expect(summary(moved.applied)).toEqual(["update 679/844/vip"]);
    expect(moved.applied[0]!.source).toEqual({ file: "workflows/a-copy.ts", line: 5, column: 5 });
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("From the copy");
  });

  it("coalesces a burst of 20 saves into a few runs and ends with the last one", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu);
    for (let i = 1; i <= 20; i++) p.write(FILE, flowFile(679, 844, [{ ...VIP, name: `Version ${i}` }, REST]));
    await w.waitForRun(() => serverOptions(emu, 844).get("vip")?.Name === "Version 20", "version 20 on the server", 1);
    await w.handle.idle();
    const runs = w.runs.filter((r) => r.seq > 1);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(4);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("Version 20");
  });

  it("applies the last of two saves made within chokidar's 50 ms, and a save right after a run", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { debounceMs: 20 });
    // chokidar reports one change of a file per 50 ms and drops the rest: each save below comes
    // within 50 ms of the change before it (the debounce and the run take about that long).
    for (let i = 1; i <= 8; i++) {
      const from = w.runs.at(-1)!.seq;
      p.write(FILE, flowFile(679, 844, [{ ...VIP, name: `First ${i}` }, REST]));
      await new Promise((resolve) => setTimeout(resolve, 10));
      p.write(FILE, flowFile(679, 844, [{ ...VIP, name: `Second ${i}` }, REST]));
      await w.waitForRun(() => serverOptions(emu, 844).get("vip")?.Name === `Second ${i}`, `save ${i} applied`, from);
    }
  });

  it("lists a removed option as a pending delete until --allow-delete", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]), "workflows/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }]) });
    let w = await watch(p, emu);
    p.write(FILE, flowFile(679, 844, [VIP]));
    const run = await w.waitForRun((r) => r.pendingDeletes.length > 0, "a pending delete", 1);
    expect(run.pendingDeletes.map((d) => d.change.address)).toEqual(["679/844/rest"]);
    expect(run.pendingDeletes[0]!.reason).toContain("--allow-delete");
    expect(serverOptions(emu, 844).has("rest")).toBe(true);
    // Listed after every run, also runs about other files.
    p.write("workflows/webinar.ts", flowFile(702, 910, [{ key: "attended", name: "Came" }]));
    const next = await w.waitForRun((r) => r.applied.length > 0, "the webinar edit", run.seq);
    expect(next.pendingDeletes.map((d) => d.change.address)).toEqual(["679/844/rest"]);
    await w.handle.close();

    w = await watch(p, emu, { allowDelete: true });
    expect(summary(w.ready.firstRun.applied)).toEqual(["delete 679/844/rest"]);
    expect(w.ready.firstRun.pendingDeletes).toEqual([]);
    expect(serverOptions(emu, 844).has("rest")).toBe(false);
    const state = await openState(w.ready.statePath, { lock: false });
    expect([...state.entries().keys()].sort()).toEqual(["679/844/vip", "702/910/attended"]);
  });

  it("creates the options of a new file and lists those of a deleted file as pending deletes", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu, { allowDelete: true });
    p.write("workflows/webinar.ts", flowFile(702, 910, [{ key: "attended", name: "Attended" }]));
    const added = await w.waitForRun((r) => r.applied.length > 0, "the new file's option", 1);
    expect(summary(added.applied)).toEqual(["create 702/910/attended"]);
    // The create looked its split up first (exactly-once creates).
    expect(added.refreshed).toBe("some");
    expect(added.workflowFiles).toBe(2);

    p.remove("workflows/webinar.ts");
    const removed = await w.waitForRun((r) => r.workflowFiles === 1, "the file removed", added.seq);
    // The only option of its split: a mass delete, which watch never applies on its own.
    expect(removed.pendingDeletes.map((d) => d.change.address)).toEqual(["702/910/attended"]);
    expect(removed.pendingDeletes[0]!.reason).toContain("--allow-mass-delete");
    expect(serverOptions(emu, 910).has("attended")).toBe(true);
  });

  it("adopts an option that already exists on the server with the Key instead of creating a second", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu);
    const res = await fetch(`${emu.url}/__emulator/options`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ WorkflowStepId: 844, WorkflowId: 679, Key: "rest", Name: "Made by hand", Rank: 2, Steps: [] }),
    });
    expect(res.status).toBe(200);
    p.write(FILE, flowFile(679, 844, [VIP, REST]));
    const run = await w.waitForRun((r) => r.applied.length > 0, "the new option", 1);
    expect(run.applied.map((c) => `${c.action} ${c.address} ${c.reason ?? ""}`)).toEqual(["update 679/844/rest adopted"]);
    expect([...serverOptions(emu, 844).values()].filter((o) => o.Key === "rest")).toHaveLength(1);
    expect(serverOptions(emu, 844).get("rest")?.Name).toBe("Everyone else");
  });

  it("reloads a changed config and keeps the previous one when the new one is broken", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]), "flows/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }]) });
    const w = await watch(p, emu);
    expect(w.ready.workflowFiles).toBe(1);

    p.write("sync.config.ts", configFile({ workflows: ["workflows/**/*.ts", "flows/**/*.ts"] }));
    const reloaded = await w.waitForRun((r) => r.config !== undefined, "the config reloaded", 1);
    expect(reloaded.config?.reloaded).toBe(true);
    expect(reloaded.workflowFiles).toBe(2);
    expect(summary(reloaded.applied)).toEqual(["create 702/910/attended"]);

    p.write("sync.config.ts", configFile({ workflows: ["workflows/**/*.ts", "flows/**/*.ts"] }).replace("defineConfig({", "defineConfig({ bogus: 1,"));
    const broken = await w.waitForRun((r) => r.config?.reloaded === false, "the broken config", reloaded.seq);
    expect(broken.config?.notes.join(" ")).toContain("keeping the previous config");
    expect(broken.config?.errors.length).toBeGreaterThan(0);
    expect(broken.workflowFiles).toBe(2);

    // The previous config still rules: flows/ is still watched.
    p.write("flows/webinar.ts", flowFile(702, 910, [{ key: "attended", name: "Came along" }]));
    await w.waitForRun((r) => r.applied.length > 0, "an edit under flows/", broken.seq);
    expect(serverOptions(emu, 910).get("attended")?.Name).toBe("Came along");
  });

  it("sees a folder deleted and created again, and a folder a new glob names before it exists", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]), "workflows/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }]) });
    const w = await watch(p, emu);
    // A branch switch: the folder goes away and comes back.
    p.remove("workflows");
    const gone = await w.waitForRun((r) => r.workflowFiles === 0, "the folder removed", 1);
    expect(gone.pendingDeletes.map((d) => d.change.address)).toEqual(["679/844/vip", "702/910/attended"]);
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "Back" }]));
    const back = await w.waitForRun((r) => r.applied.length > 0, "the folder back", gone.seq);
    expect(summary(back.applied)).toEqual(["update 679/844/vip"]);
    expect(back.pendingDeletes.map((d) => d.change.address)).toEqual(["702/910/attended"]);

    p.write("sync.config.ts", configFile({ workflows: ["workflows/**/*.ts", "later/flows/*.ts"] }));
    const reloaded = await w.waitForRun((r) => r.config?.reloaded === true, "the config reloaded", back.seq);
    p.write("later/flows/webinar.ts", flowFile(702, 910, [{ key: "attended", name: "Attended" }]));
    const found = await w.waitForRun((r) => r.workflowFiles === 2, "the new folder's file", reloaded.seq);
    expect(found.pendingDeletes).toEqual([]);
    expect(found.applied).toEqual([]);
  });

  it("sees edits in a folder that existed before a new glob named it", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]), "extra/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }]) });
    const w = await watch(p, emu);
    expect(w.ready.workflowFiles).toBe(1);
    p.write("sync.config.ts", configFile({ workflows: ["workflows/**/*.ts", "extra/*.ts"] }));
    const reloaded = await w.waitForRun((r) => r.config?.reloaded === true, "the config reloaded", 1);
    expect(summary(reloaded.applied)).toEqual(["create 702/910/attended"]);
    // chokidar starts watching the folder some time after the reload (it says not when), so the
    // save is repeated until a run takes it; without the folder watched, none ever does.
    const edit = () => p.write("extra/webinar.ts", flowFile(702, 910, [{ key: "attended", name: "Came along" }]));
    edit();
    const saving = setInterval(edit, 250);
    const edited = await w.waitForRun((r) => r.applied.length > 0, "the edit under extra/", reloaded.seq).finally(() => clearInterval(saving));
    expect(summary(edited.applied)).toEqual(["update 702/910/attended"]);
    expect(edited.files).toEqual(["extra/webinar.ts"]);
    expect(serverOptions(emu, 910).get("attended")?.Name).toBe("Came along");
  });

  it("rides out server faults: failed changes are retried until they are applied", async () => {
    // random() = 0: with a fail rate every call fails, always with a 500 (not a throttling 503).
    const emu = await emulator({ random: () => 0 });
    const p = project({ "sync.config.ts": configFile({ maxRetries: 0 }), [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu, { drift: "revert" });
    emu.setFaults({ failRate: 1 });
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "After the outage" }]));
    const failed = await w.waitForRun((r) => r.failed.length > 0, "a failed update", 1);
    expect(failed.retryInMs).toBeGreaterThan(0);
    emu.setFaults({ failRate: 0 });
    await w.waitForRun((r) => r.applied.length > 0, "the retry applied", failed.seq);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("After the outage");
  });

  it.runIf(fs.existsSync("/dev/full"))("stops sending while the state cannot be written, and goes on once it can", async () => {
    const emu = await emulator();
    const p = project({ "sync.config.ts": configFile({ concurrency: 1 }), [FILE]: flowFile(679, 844, [VIP, REST]) });
    await (await watch(p, emu)).handle.close(); // applied and compacted: no journal open
    const w = await watch(p, emu, { drift: "revert" });
    const journal = `${w.ready.statePath}.journal`;
    fs.symlinkSync("/dev/full", journal); // the disk is full
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "VIP 2" }, { ...REST, name: "Rest 2" }]));
    const stopped = await w.waitForRun((r) => r.stopped !== undefined, "a run stopped by the state", 1);
    expect(stopped.stopped?.message).toMatch(
      new RegExp(`^cannot write the state ${journal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no space left on device; [01] changes? not sent; the options? just applied \\(679/844/`),
    );
    const shown = new WatchReporter({ color: false, allowDelete: false }).run(stopped);
    expect(shown).toContain("no space left on device");
    expect(shown).not.toContain("watch is stopping");

    fs.rmSync(journal); // space again: the next save is recorded
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "VIP 3" }, { ...REST, name: "Rest 3" }]));
    await w.waitForRun((r) => r.applied.length === 2 && r.failed.length === 0, "both applied and recorded", stopped.seq);
    await w.handle.close();
    const store = await openState(w.ready.statePath, { lock: false });
    expect([...store.entries().values()].map((e) => e.option.name).sort()).toEqual(["Rest 3", "VIP 3"]);
    await store.close();
    expect([...serverOptions(emu, 844).values()].map((o) => o.Name).sort()).toEqual(["Rest 3", "VIP 3"]);
  });

  it("waits out an Online tenant in maintenance at start and applies once it is running", async () => {
    const emu = await startOnlineEmulator({ api: "12" });
    emu.online.update({ state: "Maintenance" });
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu, { url: "Cust12345", env: onlineEnv(emu) });
    expect(w.ready.firstRun.problem).toMatchObject({ code: "E_TENANT_OFFLINE" });
    expect(w.ready.firstRun.retryInMs).toBeGreaterThan(0);
    expect(new WatchReporter({ color: false, allowDelete: false }).run(w.ready.firstRun)).toContain("Cust12345 is in maintenance");
    emu.online.update({ state: "Running" });
    await w.waitForRun((r) => r.applied.length > 0, "the retry applied", w.ready.firstRun.seq);
    expect(emu.data().options.map((o) => o.Name)).toEqual([VIP.name]);
  });

  it("says so when the server throttles, waits, and applies", async () => {
    const emu = await emulator({ rateLimit: 1 });
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu);
    // One split read and two creates within a second: at least one 429 with Retry-After.
    expect(w.notices.map((n) => n.message).join("\n")).toMatch(/the server asked to slow down/);
    // … and lowers the rate below what the server served, said as it happens.
    expect(w.notices.map((n) => n.message).join("\n")).toMatch(/server throttling: now [\d.]+ requests\/s, \d+ in flight/);
    expect(summary(w.ready.firstRun.applied)).toEqual(["create 679/844/rest", "create 679/844/vip"]);
    expect(emu.counters().rateLimited).toBeGreaterThan(0);
  });

  it("re-creates an option deleted on the server when its update fails", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { drift: "revert" });
    const id = serverOptions(emu, 844).get("vip")!.WorkflowStepOptionId;
    expect((await fetch(`${emu.url}/__emulator/options/${id}`, { method: "DELETE" })).status).toBe(204);
    p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "Edited" }, REST]));
    const run = await w.waitForRun((r) => r.applied.some((c) => c.action === "create"), "the option re-created", 1);
    expect(run.drift.map((c) => `${c.action} ${c.address}`)).toEqual(["create 679/844/vip"]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("Edited");
    expect(w.runs.map((r) => r.failed.length)).toContain(1);
  });

  it("with --drift revert, reports drift found by --refresh-interval and puts the code's version back", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu, { refreshIntervalMs: 300, drift: "revert" });
    const id = serverOptions(emu, 844).get("vip")!.WorkflowStepOptionId;
    await fetch(`${emu.url}/__emulator/options/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Name: "Changed in the UI" }) });
    const run = await w.waitForRun((r) => r.drift.length > 0, "drift", 1);
    expect(run.triggers).toContain("refresh");
    expect(run.drift.map((c) => `${c.address} ${c.reason}`)).toEqual(["679/844/vip changed on the server"]);
    expect(summary(run.applied)).toEqual(["update 679/844/vip"]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("VIP customers");
  });

  it("a new empty file is no error and says so; a deleted file is named as deleted", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]), "workflows/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }, { key: "missed", name: "Missed" }]) });
    const w = await watch(p, emu);
    const reporter = new WatchReporter({ color: false, allowDelete: false });
    p.write("workflows/new.ts", "");
    const empty = await w.waitForRun((r) => r.files.includes("workflows/new.ts"), "the new file", 1);
    expect(empty).toMatchObject({ emptyFiles: ["workflows/new.ts"], errors: [], failedFiles: [] });
    expect(reporter.run(empty)).toMatch(/ workflows\/new\.ts declares no workflow yet: nothing to send\n$/);
    p.remove("workflows/webinar.ts");
    const removed = await w.waitForRun((r) => r.removedFiles.length > 0, "the deleted file", empty.seq);
    expect(reporter.run(removed)).toContain("workflows/webinar.ts was deleted: nothing sent; 2 options of it are pending deletes");
  });

  it("with --allow-delete, renaming a file that holds options sends nothing: no delete, no create", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { allowDelete: true });
    const ids = [...serverOptions(emu, 844).values()].map((o) => o.WorkflowStepOptionId).sort();
    emu.resetCounters();
    fs.renameSync(p.path(FILE), p.path("workflows/renamed.ts"));
    // Whether chokidar reports the unlink and the add in one batch or two, the end is the same.
    const settled = await w.waitForRun((r) => r.files.includes("workflows/renamed.ts"), "the renamed file seen", 1);
    await w.handle.idle();
    const after = w.runs.filter((r) => r.seq >= 2);
    expect(after.flatMap((r) => r.applied)).toEqual([]);
    expect(settled.pendingDeletes).toEqual([]);
    const by = emu.counters().byMethod;
    expect((by.SaveWorkflowStepOption ?? 0) + (by.DeleteWorkflowStepOption ?? 0)).toBe(0);
    expect([...serverOptions(emu, 844).values()].map((o) => o.WorkflowStepOptionId).sort()).toEqual(ids);
  });

  it("by default (--drift report) shows a UI edit once, not on every refresh, and never puts it back", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu, { refreshIntervalMs: 100 });
    const id = serverOptions(emu, 844).get("vip")!.WorkflowStepOptionId;
    await fetch(`${emu.url}/__emulator/options/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Name: "Changed in the UI" }) });
    const shown = await w.waitForRun((r) => r.drift.length > 0, "drift", 1);
    expect(shown.drift.map((c) => `${c.address} ${c.fields?.map((f) => `${f.field}:${f.outcome}`).join(",")}`)).toEqual(["679/844/vip name:kept"]);
    expect(shown.applied).toEqual([]);
    // Three more refreshes: the same drift is not shown again, and nothing is sent.
    const later = await w.waitForRun((r) => r.triggers.includes("refresh") && r.seq >= shown.seq + 3, "three more refreshes", shown.seq);
    expect(w.runs.filter((r) => r.seq > shown.seq && r.seq <= later.seq).flatMap((r) => [...r.drift, ...r.applied])).toEqual([]);
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("Changed in the UI");
    // Changed again in the UI: that is new, so it is shown again.
    await fetch(`${emu.url}/__emulator/options/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Name: "Changed twice" }) });
    await w.waitForRun((r) => r.drift.length > 0, "the new drift", later.seq);
  });

  it("by default an option deleted in the flow editor is shown once and not re-created", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP, REST]) });
    const w = await watch(p, emu, { refreshIntervalMs: 100 });
    const id = serverOptions(emu, 844).get("vip")!.WorkflowStepOptionId;
    expect((await fetch(`${emu.url}/__emulator/options/${id}`, { method: "DELETE" })).status).toBe(204);
    const shown = await w.waitForRun((r) => r.drift.length > 0, "the deletion seen", 1);
    expect(shown.drift.map((c) => `${c.action} ${c.address}`)).toEqual(["create 679/844/vip"]);
    expect(new WatchReporter({ color: false, allowDelete: false }).run(shown)).toContain("drift on the server: + 679/844/vip (workflows/onboarding.ts:5:5) deleted on the server — drift policy report: not re-created");
    const later = await w.waitForRun((r) => r.triggers.includes("refresh") && r.seq >= shown.seq + 2, "two more refreshes", shown.seq);
    expect(w.runs.filter((r) => r.seq > shown.seq && r.seq <= later.seq).flatMap((r) => [...r.drift, ...r.applied])).toEqual([]);
    expect(serverOptions(emu, 844).has("vip")).toBe(false);
  });

  it("by default a save reads the split first, so a UI edit of another field is kept", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]) });
    const w = await watch(p, emu);
    const id = serverOptions(emu, 844).get("vip")!.WorkflowStepOptionId;
    await fetch(`${emu.url}/__emulator/options/${id}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Name: "Changed in the UI" }) });
    p.write(FILE, flowFile(679, 844, [{ ...VIP, rank: 4 }]));
    const run = await w.waitForRun((r) => r.applied.length > 0, "the save applied", 1);
    expect(run.refreshed).toBe("some");
    expect(run.drift.map((c) => c.address)).toEqual(["679/844/vip"]);
    const vip = serverOptions(emu, 844).get("vip")!;
    expect([vip.Name, vip.Rank]).toEqual(["Changed in the UI", 4]);
  });

  it("keeps seeing edits after the config's glob was changed and changed back", async () => {
    const emu = await emulator();
    const p = project({ [FILE]: flowFile(679, 844, [VIP]), "extra/webinar.ts": flowFile(702, 910, [{ key: "attended", name: "Attended" }]) });
    const w = await watch(p, emu);
    p.write("sync.config.ts", configFile({ workflows: ["extra/*.ts"] }));
    const away = await w.waitForRun((r) => r.config?.reloaded === true, "the glob changed", 1);
    p.write("sync.config.ts", configFile({}));
    const back = await w.waitForRun((r) => r.config?.reloaded === true, "the glob changed back", away.seq);
    // As in the test above, the save is repeated until a run takes it: chokidar gives no signal
    // once it watches again. Before the fix, no run ever took it.
    const edit = () => p.write(FILE, flowFile(679, 844, [{ ...VIP, name: "Edited after the restore" }]));
    edit();
    const saving = setInterval(edit, 250);
    const edited = await w
      .waitForRun((r) => r.applied.some((c) => c.address === "679/844/vip"), "the edit after the restore", back.seq)
      .finally(() => clearInterval(saving));
    expect(summary(edited.applied)).toContain("update 679/844/vip");
    expect(serverOptions(emu, 844).get("vip")?.Name).toBe("Edited after the restore");
  });
});
