import type { Generated } from 'kysely';

/**
 * The tables of the incident database, as Kysely types them. The same
 * schema runs on SQLite and PostgreSQL. `incident_events` is the source of
 * truth and is only ever appended to. `incidents` is a projection of it,
 * rewritten in the same transaction as each append.
 */

/** A row of `incident_events`. `body` is the JSON of an IncidentEventBody. */
export interface IncidentEventsTable {
  id: Generated<number>;
  incident: number;
  at: string;
  author: string;
  source: string;
  type: string;
  body: string;
}

/**
 * A row of `incidents`. `record` is the JSON of the projected Incident; the
 * other columns repeat the fields that queries filter on.
 */
export interface IncidentsTable {
  number: number;
  state: string;
  severity: string;
  alert_group_key: string | null;
  next_update_due: string | null;
  updated_at: string;
  record: string;
}

/**
 * A row of `alert_receipts`: one alert firing (fingerprint and start time)
 * in one status, so that a message delivered twice changes nothing.
 */
export interface AlertReceiptsTable {
  fingerprint: string;
  starts_at: string;
  status: string;
  incident: number;
  received_at: string;
}

/** A row of `idempotency_keys`: the response to a write, kept to replay it. */
export interface IdempotencyKeysTable {
  key: string;
  request_hash: string;
  status_code: number;
  response: string;
  created_at: string;
}

/** A row of `notifier_cursors`: the last event a notifier has delivered. */
export interface NotifierCursorsTable {
  name: string;
  last_event_id: number;
  updated_at: string;
}

export interface IncidentSchema {
  incident_events: IncidentEventsTable;
  incidents: IncidentsTable;
  alert_receipts: AlertReceiptsTable;
  idempotency_keys: IdempotencyKeysTable;
  notifier_cursors: NotifierCursorsTable;
}
