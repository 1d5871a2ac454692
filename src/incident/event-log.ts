import type { Kysely } from 'kysely';
import type { Incident, IncidentEvent, IncidentEventBody, EventSource } from './model.js';
import { applyEvent } from './projection.js';
import type { IncidentSchema } from './schema.js';
import type { Actor } from './service-api.js';

/** The stored form of an event row, as selected from `incident_events`. */
interface EventRow {
  id: number;
  incident: number;
  at: string;
  author: string;
  source: string;
  body: string;
}

/** Converts a row of `incident_events` into an event. */
export function eventFromRow(row: EventRow): IncidentEvent {
  return {
    id: Number(row.id),
    incident: Number(row.incident),
    at: row.at,
    author: row.author,
    source: row.source as EventSource,
    body: JSON.parse(row.body) as IncidentEventBody,
  };
}

/** Reads the stored projection of an incident, or undefined when there is none. */
export async function loadIncident(
  db: Kysely<IncidentSchema>, number: number,
): Promise<Incident | undefined> {
  const row = await db.selectFrom('incidents').select('record')
    .where('number', '=', number).executeTakeFirst();
  return row === undefined ? undefined : JSON.parse(row.record) as Incident;
}

/** Reads the events of an incident, oldest first. */
export async function loadEvents(
  db: Kysely<IncidentSchema>, number: number,
): Promise<IncidentEvent[]> {
  const rows = await db.selectFrom('incident_events')
    .select(['id', 'incident', 'at', 'author', 'source', 'body'])
    .where('incident', '=', number).orderBy('id').execute();
  return rows.map(eventFromRow);
}

/**
 * Appends events to the log of incident `number`, all at time `at` by
 * `actor`, then writes the projection they lead to. Call it inside a write
 * transaction, so the events and the projection commit together.
 */
export async function appendEvents(
  db: Kysely<IncidentSchema>,
  number: number,
  current: Incident | undefined,
  bodies: readonly IncidentEventBody[],
  at: string,
  actor: Actor,
): Promise<Incident> {
  let incident = current;
  for (const body of bodies) {
    const values = {
      incident: number, at, author: actor.author, source: actor.source,
      type: body.type, body: JSON.stringify(body),
    };
    const { id } = await db.insertInto('incident_events').values(values)
      .returning('id').executeTakeFirstOrThrow();
    incident = applyEvent(incident, { id: Number(id), incident: number, at, ...actor, body });
  }
  if (incident === undefined) throw new Error('appendEvents needs a projection or events');
  await saveIncident(db, incident);
  return incident;
}

async function saveIncident(db: Kysely<IncidentSchema>, incident: Incident): Promise<void> {
  const columns = {
    state: incident.state,
    severity: incident.severity,
    alert_group_key: incident.alertGroupKey,
    next_update_due: incident.nextUpdateDue,
    updated_at: incident.updatedAt,
    record: JSON.stringify(incident),
  };
  await db.insertInto('incidents').values({ number: incident.number, ...columns })
    .onConflict((conflict) => conflict.column('number').doUpdateSet(columns))
    .execute();
}

/** Returns the number after the highest incident number; call it under the numbering lock. */
export async function nextIncidentNumber(db: Kysely<IncidentSchema>): Promise<number> {
  const row = await db.selectFrom('incidents')
    .select((builder) => builder.fn.max('number').as('highest')).executeTakeFirst();
  return Number(row?.highest ?? 0) + 1;
}
