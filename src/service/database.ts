import type { Kysely } from 'kysely';
import { openMigratedDatabase } from '../common/database.js';
import type { Logger } from '../common/logger.js';
import type { DatabaseLocation } from './database-url.js';
import { createMigrationProvider } from './migrations.js';
import type { OrdersSchema } from './schema.js';

/**
 * Opens the orders database, checks that it can be used and applies any
 * pending migrations. Raises DATABASE_UNAVAILABLE, naming the database, when
 * any of these steps fails.
 */
export async function openDatabase(
  location: DatabaseLocation,
  logger: Logger,
): Promise<Kysely<OrdersSchema>> {
  return openMigratedDatabase<OrdersSchema>(location, logger, {
    migrations: createMigrationProvider,
  });
}
