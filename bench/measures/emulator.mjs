// emulator.requests_per_s: SaveWorkflowStepOption creates at concurrency 8 over keep-alive,
// the emulator in its own process with no latency.
import http from "node:http";
import { startEmulatorProcess } from "../measure.mjs";
import { BENCH_ENV } from "./plan.mjs";
import { result } from "./result.mjs";

export async function measureEmulator(total) {
  const emulator = await startEmulatorProcess([], BENCH_ENV);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const auth = `Basic ${Buffer.from("wfsync:wfsync").toString("base64")}`;
  const url = new URL("/api/v1/Agents/Workflow/SaveWorkflowStepOption", emulator.url);
  const body = (i) =>
    JSON.stringify({
      WorkflowStepOptionId: 0,
      WorkflowId: 679,
      WorkflowStepId: 844,
      Key: `k${i}`,
      Name: `Option ${i}`,
      Rank: i,
      Steps: [{ StepType: "SendEmail", ShipmentId: 3, Subject: "Hi" }],
    });
  const post = (i) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent, headers: { authorization: auth, "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body(i));
    });
  try {
    const samples = [];
    for (let round = 0; round < 3; round++) {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < total) await post(round * total + next++);
      }));
      samples.push(total / ((performance.now() - t0) / 1000));
    }
    return [result("emulator.requests_per_s", samples, "req/s")];
  } finally {
    agent.destroy();
    await emulator.close();
  }
}
