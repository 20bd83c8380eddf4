import { defineConfig } from "wfsync";

// The example project: three flows in workflows/, pushed to the emulator by `npm run demo`.
export default defineConfig({
  url: "http://127.0.0.1:8765",
  workflows: ["workflows/**/*.ts"],
  state: ".wfsync/state.json",
  concurrency: 4,
});
