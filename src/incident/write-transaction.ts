import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../common/database.js';
import type { IncidentSchema } from './schema.js';

/**
 * A write in progress: queries on `db` run inside one transaction on one
 * connection. The lock methods serialise writers on PostgreSQL with
 * transaction-scoped advisory locks, released at commit or rollback. SQLite
 * needs none, because BEGIN IMMEDIATE already admits one writer at a time.
 *
 * Callers take locks in the order group, numbering, incident, so two writers
 * cannot deadlock. alert-intake.ts and store.ts follow that order.
 */
export interface WriteTransaction {
  db: Kysely<IncidentSchema>;
  /** Serialises the lookup and opening of the incident of an alert group. */
  lockGroup(groupKey: string): Promise<void>;
  /** Serialises the choice of the next incident number. */
  lockNumbering(): Promise<void>;
  /** Serialises changes to one incident. */
  lockIncident(number: number): Promise<void>;
}

// The first key of each two-key advisory lock names what it protects, so the
// locks of srekit do not collide with each other.
const lockSpace = { numbering: 7301, group: 7302, incident: 7303 } as const;

/** Returns whether `db` talks to PostgreSQL or SQLite. */
export function databaseKindOf(db: Kysely<IncidentSchema>): DatabaseKind {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Runs `work` in one transaction, committing when it returns and rolling back
 * when it throws. On SQLite the transaction starts with BEGIN IMMEDIATE: a
 * deferred one that reads first and writes later can fail with SQLITE_BUSY
 * when another process writes in between, and busy_timeout does not help then.
 */
export async function runWrite<T>(
  db: Kysely<IncidentSchema>,
  kind: DatabaseKind,
  work: (transaction: WriteTransaction) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql.raw(kind === 'sqlite' ? 'begin immediate' : 'begin').execute(connection);
    try {
      const result = await work(createTransaction(connection, kind));
      await sql.raw('commit').execute(connection);
      return result;
    } catch (error) {
      // A failed rollback means a broken connection, and closing a connection
      // ends its transaction. The error of the work explains more, so it is raised.
      await sql.raw('rollback').execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

function createTransaction(db: Kysely<IncidentSchema>, kind: DatabaseKind): WriteTransaction {
  const lock = async (space: number, key: ReturnType<typeof sql>): Promise<void> => {
    if (kind === 'postgres') await sql`select pg_advisory_xact_lock(${space}::integer, ${key})`.execute(db);
  };
  return {
    db,
    lockGroup: (groupKey) => lock(lockSpace.group, sql`hashtext(${groupKey})`),
    lockNumbering: () => lock(lockSpace.numbering, sql`0`),
    lockIncident: (number) => lock(lockSpace.incident, sql`${number}::integer`),
  };
}
