import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import { makeDirectoriesSync } from './files.js';
import { dirname, resolve } from 'node:path';
import { describeDatabase, type DatabaseLocation } from './database-url.js';
import { SrekitError } from './errors.js';
import type { Logger } from './logger.js';
import { cacheStatements } from './sqlite-statement-cache.js';

/** The kind of database, which decides the SQL a migration writes. */
export type DatabaseKind = DatabaseLocation['kind'];

/** Options of {@link openMigratedDatabase}. */
export interface OpenDatabaseOptions {
  /** The migrations of the schema for the given kind of database. */
  migrations: (kind: DatabaseKind) => MigrationProvider;
  /**
   * The table where Kysely records applied migrations. Schemas that may share
   * one database need different names, because the migrator rejects a
   * database that records migrations it does not know.
   */
  migrationTableName?: string;
}

/**
 * Opens the database, checks that it can be used and applies any pending
 * migrations. Raises DATABASE_UNAVAILABLE, naming the database, when any of
 * these steps fails.
 */
export async function openMigratedDatabase<DB>(
  location: DatabaseLocation,
  logger: Logger,
  options: OpenDatabaseOptions,
): Promise<Kysely<DB>> {
  const db = location.kind === 'sqlite'
    ? openSqlite<DB>(location.path)
    : await openPostgres<DB>(location.url, logger);

  try {
    await migrate(db, location.kind, options);
  } catch (error) {
    await db.destroy();
    throw unavailable(`could not migrate the database ${describeDatabase(location)}`, error);
  }

  logger.info({ database: describeDatabase(location) }, 'database opened');
  return db;
}

function openSqlite<DB>(path: string): Kysely<DB> {
  const fullPath = path === ':memory:' ? path : resolve(path);
  let database: BetterSqlite3.Database | undefined;
  try {
    if (fullPath !== ':memory:') makeDirectoriesSync(dirname(fullPath));
    database = new BetterSqlite3(fullPath);
    // WAL lets readers run while a write is in progress. synchronous=NORMAL is
    // safe from corruption in WAL mode but may lose the last transactions on
    // power loss, which suits a reference service.
    const mode = database.pragma('journal_mode = WAL', { simple: true });
    if (fullPath !== ':memory:' && mode !== 'wal') {
      throw new Error(`the journal mode stayed "${String(mode)}" instead of "wal"`);
    }
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database?.close();
    throw unavailable(`could not open the SQLite database ${fullPath}`, error, {
      hint: 'choose a writable location with --database-url sqlite:PATH',
    });
  }
  const dialect = new SqliteDialect({ database: cacheStatements(database) });
  return new Kysely<DB>({ dialect });
}

async function openPostgres<DB>(url: string, logger: Logger): Promise<Kysely<DB>> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle pooled connection that fails emits 'error' on the pool, and
  // without a listener Node.js would end the process. The next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });

  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw unavailable(`could not connect to ${describeDatabase({ kind: 'postgres', url })}`, error, {
      hint: 'check that PostgreSQL is running and that the URL, user and password are right',
    });
  }
  return db;
}

async function migrate<DB>(
  db: Kysely<DB>,
  kind: DatabaseKind,
  options: OpenDatabaseOptions,
): Promise<void> {
  const tableName = options.migrationTableName;
  const migrator = new Migrator({
    db,
    provider: options.migrations(kind),
    ...(tableName === undefined
      ? {}
      : { migrationTableName: tableName, migrationLockTableName: `${tableName}_lock` }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}

function unavailable(
  message: string,
  cause: unknown,
  options: { hint?: string } = {},
): SrekitError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SrekitError('DATABASE_UNAVAILABLE', `${message}: ${reason}`, { cause, ...options });
}
