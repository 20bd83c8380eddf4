/**
 * Idle keep-alive connections: the client retires an idle socket before the server would close
 * it, so a request after a pause never goes out on a socket the server is closing (ECONNRESET,
 * then a retry with a warning). The emulator closes idle connections after `keepAliveTimeoutMs`
 * and says which side closed each one; nothing here waits for a fixed time.
 */
import { describe, expect, it } from "vitest";
import { expectApplied, startEngine, workflowFile } from "./harness.js";

const FILES = { "workflows/w.ts": workflowFile(679, { 844: [{ key: "a", name: "Option a" }] }) };

describe("idle keep-alive connections", () => {
  it("are closed by the client before the server times them out: the next requests need no retry and log no warning", async () => {
    const engine = await startEngine({ files: FILES, emulator: { keepAliveTimeoutMs: 2000 } });
    expectApplied((await engine.apply()).result);
    // The pause: wait until the idle connection is closed, and see who closed it.
    expect(await engine.emu.nextConnectionClose()).toBe("client");
    engine.write("workflows/w.ts", workflowFile(679, { 844: [{ key: "a", name: "Option a, after the pause" }] }));
    expectApplied((await engine.apply()).result);
    await engine.expectConverged();
    expect(engine.events.filter((e) => e.event.type === "retry" || e.event.type === "failed")).toEqual([]);
    expect(engine.emu.connections().closedByServer).toBe(0);
  });
});
