/** apply's progress line: redrawn in place on a terminal, never glued to a log line; a heartbeat off one. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProgressLine, heartbeatInterval } from "../../src/cli/progress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ProgressLine", () => {
  it("on a terminal, clears the line before a log line and draws it again after", () => {
    vi.useFakeTimers();
    let t = 0;
    const stream = fakeStream(true);
    const progress = new ProgressLine(stream, { now: () => t });
    progress.start(4);
    progress.update(1, 0);
    t = 1000;
    vi.advanceTimersByTime(250);
    expect(stream.writes.at(-1)).toBe("\r\u001b[Kapplying 1/4 · 1.0/s · 1 s elapsed · ETA 3 s");
    progress.interrupt(() => stream.write("12:00:00.000 WARN  the server asked to slow down\n"));
    expect(stream.writes.slice(-3)).toEqual(["\r\u001b[K", "12:00:00.000 WARN  the server asked to slow down\n", "\r\u001b[Kapplying 1/4 · 1.0/s · 1 s elapsed · ETA 3 s"]);
    t = 2500;
    expect(progress.end()).toBe(2500);
    expect(stream.writes.at(-1)).toBe("\r\u001b[K");
  });

  it("off a terminal, writes whole heartbeat lines at its interval, naming a throttling wait", () => {
    vi.useFakeTimers();
    let t = 0;
    const stream = fakeStream(false);
    const progress = new ProgressLine(stream, { heartbeatMs: 5000, now: () => t });
    progress.start(10);
    expect(stream.writes).toEqual([]);
    progress.update(2, 1);
    t = 4500;
    progress.queueEvent({ type: "throttled", waitMs: 4000 } as Parameters<ProgressLine["queueEvent"]>[0]);
    t = 5000;
    vi.advanceTimersByTime(5000);
    expect(stream.writes.at(-1)).toBe("applying 2/10 (1 failed) · 0.4/s · 5 s elapsed · ETA 20 s · throttled, resuming in 3.5 s\n");
    progress.interrupt(() => stream.write("a log line\n"));
    expect(stream.writes.at(-1)).toBe("a log line\n");
    progress.end();
    expect(stream.writes).toHaveLength(2);
    expect(stream.writes.every((w) => !w.includes("\u001b"))).toBe(true);
  });

  it("says while the server throttles what the limits are now, until they are back", () => {
    vi.useFakeTimers();
    let t = 0;
    const stream = fakeStream(false);
    const progress = new ProgressLine(stream, { heartbeatMs: 1000, now: () => t });
    progress.start(10);
    progress.queueEvent({ type: "limits", concurrency: 3, rate: 4.5, reason: "throttled", restored: false, served: 5 });
    t = 1000;
    vi.advanceTimersByTime(1000);
    expect(stream.writes.at(-1)).toBe("applying 0/10 · 0.0/s · 1 s elapsed · server throttling: now 4.5 requests/s, 3 in flight\n");
    progress.queueEvent({ type: "limits", concurrency: 4, rate: undefined, reason: "recovered", restored: true });
    t = 2000;
    vi.advanceTimersByTime(1000);
    expect(stream.writes.at(-1)).toBe("applying 0/10 · 0.0/s · 2 s elapsed\n");
    progress.end();
  });

  it("takes its heartbeat interval from WFSYNC_HEARTBEAT_MS", () => {
    expect(heartbeatInterval({ WFSYNC_HEARTBEAT_MS: "250" })).toBe(250);
    expect(heartbeatInterval({ WFSYNC_HEARTBEAT_MS: "soon" })).toBe(10_000);
    expect(heartbeatInterval({})).toBe(10_000);
  });
});
