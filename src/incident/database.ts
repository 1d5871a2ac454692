import type { Kysely } from 'kysely';
import { join } from 'node:path';
import { openMigratedDatabase } from '../common/database.js';
import { parseDatabaseUrl } from '../common/database-url.js';
import type { Logger } from '../common/logger.js';
import { createIncidentMigrations } from './migrations.js';
import type { IncidentSchema } from './schema.js';

/**
 * The SQLite file used when no database URL is given, relative to the working
 * directory. `.srekit/` contains all local state of srekit and is ignored by git.
 */
export const defaultIncidentDatabasePath = join('.srekit', 'incident', 'incidents.sqlite');

/** The database URL used when none is given. */
export const defaultIncidentDatabaseUrl = `sqlite:${defaultIncidentDatabasePath}`;

/**
 * Opens the incident database at `url` (`sqlite:PATH` or `postgres://…`) and
 * applies pending migrations. Raises INVALID_INPUT for a bad URL and
 * DATABASE_UNAVAILABLE, naming the database, when it cannot be opened or
 * migrated. The migrations are recorded in their own table, so the incident
 * tables may share a PostgreSQL database with the orders tables.
 */
export async function openIncidentDatabase(
  url: string,
  logger: Logger,
): Promise<Kysely<IncidentSchema>> {
  return openMigratedDatabase<IncidentSchema>(parseDatabaseUrl(url), logger, {
    migrations: createIncidentMigrations,
    migrationTableName: 'incident_migration',
  });
}
