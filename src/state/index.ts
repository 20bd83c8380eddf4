/** The state (a file, or a PostgreSQL database): what wfsync last applied, by option address, bound to one tenant. */
export { openState, DEFAULT_STATE_PATH, type OpenStateOptions, type StateStore } from "./store.js";
export { STATE_VERSION, storedEntry, type StateEntry, type StateFileV1, type StoredStateEntry } from "./format.js";
export type { WarnLogger } from "./lock.js";
export { isDatabaseState, hasPassword } from "./location.js";
export { copyState, type CopyResult } from "./copy.js";
export { listDatabaseStates, type DatabaseStateSummary } from "./postgres.js";
