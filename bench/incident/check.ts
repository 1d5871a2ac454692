import type { Kysely } from 'kysely';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/common/logger.js';
import { createIncidentService, openIncidentDatabase } from '../../src/incident/index.js';
import type { AlertFacts } from '../../src/incident/model.js';
import type { IncidentSchema } from '../../src/incident/schema.js';
import { firingKey, type ExpectedRecords } from './workload.js';

/** The database contents after a run, compared with what the workload should leave. */
export interface DatabaseCheck {
  incidents: number;
  /** Page groups of the workloads, each of which should have opened one incident. */
  pageGroups: number;
  /** Incidents beyond one per page group. */
  duplicateIncidents: number;
  /** Page groups without an incident, and incidents of groups that should open none. */
  missingOrStrayIncidents: number;
  alertEvents: number;
  /** `alert_firing` and `alert_resolved` events beyond the first for one alert firing. */
  duplicateAlertEvents: number;
  /** Firings and resolutions of page groups without an event, plus events of other alerts. */
  missingOrStrayAlertEvents: number;
}

/**
 * Opens the database that a run wrote, after its server has stopped, and
 * counts incidents per alert group through the incident service and the
 * alert events per fingerprint and start time in `incident_events`.
 */
export async function checkDatabase(
  databaseUrl: string, expected: ExpectedRecords,
): Promise<DatabaseCheck> {
  const db = await openIncidentDatabase(databaseUrl, createLogger('bench', discard()));
  const service = createIncidentService(db);
  try {
    const incidents = await service.list();
    const perGroup = new Map<string, number>();
    for (const incident of incidents) {
      const key = incident.alertGroupKey ?? '';
      perGroup.set(key, (perGroup.get(key) ?? 0) + 1);
    }
    let duplicateIncidents = 0;
    for (const count of perGroup.values()) duplicateIncidents += Math.max(0, count - 1);
    const stray = [...perGroup.keys()].filter((key) => !expected.pageGroups.has(key)).length;
    const unopened = [...expected.pageGroups].filter((key) => !perGroup.has(key)).length;

    const events = await countAlertEvents(db, expected);
    return {
      incidents: incidents.length,
      pageGroups: expected.pageGroups.size,
      duplicateIncidents,
      missingOrStrayIncidents: stray + unopened,
      ...events,
    };
  } finally {
    await service.close();
  }
}

async function countAlertEvents(
  db: Kysely<IncidentSchema>, expected: ExpectedRecords,
): Promise<Pick<DatabaseCheck, 'alertEvents' | 'duplicateAlertEvents' | 'missingOrStrayAlertEvents'>> {
  const rows = await db.selectFrom('incident_events').select(['type', 'body'])
    .where('type', 'in', ['alert_firing', 'alert_resolved']).execute();
  const seen = { alert_firing: new Set<string>(), alert_resolved: new Set<string>() };
  let duplicateAlertEvents = 0;
  for (const row of rows) {
    const { alert } = JSON.parse(row.body) as { alert: AlertFacts };
    const set = row.type === 'alert_firing' ? seen.alert_firing : seen.alert_resolved;
    const key = firingKey(alert.fingerprint, alert.startsAt);
    if (set.has(key)) duplicateAlertEvents += 1;
    set.add(key);
  }
  const difference = (left: Set<string>, right: Set<string>) =>
    [...left].filter((key) => !right.has(key)).length;
  const differences = (expected: Set<string>, found: Set<string>) =>
    difference(expected, found) + difference(found, expected);
  return {
    alertEvents: rows.length,
    duplicateAlertEvents,
    missingOrStrayAlertEvents: differences(expected.firings, seen.alert_firing)
      + differences(expected.resolutions, seen.alert_resolved),
  };
}

/**
 * Returns the number of incident events in the database, so that a
 * PostgreSQL run can reject a database that already contains incidents.
 */
export async function countExistingRows(databaseUrl: string): Promise<number> {
  const db = await openIncidentDatabase(databaseUrl, createLogger('bench', discard()));
  try {
    const row = await db.selectFrom('incident_events')
      .select((builder) => builder.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  } finally {
    await db.destroy();
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
