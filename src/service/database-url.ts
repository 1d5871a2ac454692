import { join } from 'node:path';

export {
  describeDatabase, parseDatabaseUrl, type DatabaseLocation,
} from '../common/database-url.js';

/**
 * The SQLite file used when no database URL is given, relative to the working
 * directory. `.srekit/` contains all local state of srekit and is ignored by git.
 */
export const defaultDatabasePath = join('.srekit', 'service', 'orders.sqlite');

/** The database URL used when none is given. */
export const defaultDatabaseUrl = `sqlite:${defaultDatabasePath}`;
