/**
 * What `import ... from "wfsync"` gives a workflow or config file. The compiler maps the module
 * name "wfsync" to this module (its declaration file for the type check, the loaded module for
 * evaluation), so a user's folder needs no install.
 */
export { workflow, type WorkflowDefinition } from "./workflow.js";
export { defineConfig, type WfsyncConfig, type EnvironmentConfig } from "./config.js";
export { defineValues } from "./values.js";
export type * from "./types.js";
