import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { DatabaseKind } from '../common/database.js';

/**
 * Returns the migrations of the incident schema (src/incident/schema.ts),
 * which Kysely's Migrator applies in name order. Add new migrations under new
 * names and never edit a released one, because databases record which names
 * they have applied.
 */
export function createIncidentMigrations(kind: DatabaseKind): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_create_incident_tables': createIncidentTables(kind),
  };
  return { getMigrations: async () => migrations };
}

function createIncidentTables(kind: DatabaseKind): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('incident_events')
        .addColumn('id', 'integer', (column) => (kind === 'sqlite'
          ? column.primaryKey().autoIncrement()
          : column.primaryKey().generatedByDefaultAsIdentity()))
        .addColumn('incident', 'integer', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('author', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('body', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('incident_events_incident_id')
        .on('incident_events').columns(['incident', 'id']).execute();

      await db.schema
        .createTable('incidents')
        .addColumn('number', 'integer', (column) => column.primaryKey())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('severity', 'text', (column) => column.notNull())
        .addColumn('alert_group_key', 'text')
        .addColumn('next_update_due', 'text')
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('record', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('incidents_alert_group_key')
        .on('incidents').columns(['alert_group_key', 'state']).execute();

      await db.schema
        .createTable('alert_receipts')
        .addColumn('fingerprint', 'text', (column) => column.notNull())
        .addColumn('starts_at', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('incident', 'integer', (column) => column.notNull())
        .addColumn('received_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('alert_receipts_pkey', ['fingerprint', 'starts_at', 'status'])
        .execute();
      await db.schema.createIndex('alert_receipts_incident')
        .on('alert_receipts').columns(['incident']).execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('request_hash', 'text', (column) => column.notNull())
        .addColumn('status_code', 'integer', (column) => column.notNull())
        .addColumn('response', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('notifier_cursors')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('last_event_id', 'integer', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const table of [
        'notifier_cursors', 'idempotency_keys', 'alert_receipts', 'incidents', 'incident_events',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
