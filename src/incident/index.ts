// The incident tool: the database-backed store and its commands, for
// src/cli.ts, the game day and the tests.
export {
  defaultIncidentDatabasePath, defaultIncidentDatabaseUrl, openIncidentDatabase,
} from './database.js';
export {
  createIncidentService, type IncidentServiceOptions, type IncidentStore,
} from './store.js';
export { applyEvent, projectEvents } from './projection.js';
export type {
  ActionItemInput, Actor, AlertIntakeOutcome, AlertmanagerAlert, AlertmanagerMessage, Clock,
  DeclareInput, IncidentService, ListFilter, NotifierStore, StatusUpdateInput,
} from './service-api.js';
export type { Incident, IncidentEvent, IncidentRecord } from './model.js';
export { registerIncidentCommands } from './commands.js';
