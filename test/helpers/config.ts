/** sync.config.ts text for test projects. */
import type { WfsyncConfig } from "../../src/dsl/config.js";

/** `export default defineConfig(settings)`, with the settings written out as JSON. */
export function configText(settings: WfsyncConfig = {}): string {
  return `import { defineConfig } from "wfsync";\n\nexport default defineConfig(${JSON.stringify(settings, null, 2)});\n`;
}
