// The reference orders API: `srekit service start` and the programmatic API
// that the game day and the tests use.
export { registerServiceCommands } from './command.js';
export {
  startService,
  defaultServicePort,
  type RunningService,
  type StartServiceOptions,
} from './start.js';
export { defaultAdminPort } from './admin.js';
export { defaultDatabasePath, defaultDatabaseUrl } from './database-url.js';
export { maxLatencyMs, type FaultSettings } from './faults.js';
