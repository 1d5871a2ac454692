import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Wraps a better-sqlite3 database for Kysely's SqliteDialect so that each SQL
 * text is prepared once and its statement reused. Kysely 0.28 prepares a new
 * statement for every query, which was 13% of the CPU profile samples of the
 * service under bench/service/run.ts. The cache keeps the `maxStatements`
 * most recently added texts. Queries are parameterized, so only `in (?, ?, …)`
 * lists of different lengths add variants.
 *
 * NOTE: a statement that is still being iterated cannot run again, so this
 * wrapper is unsafe with Kysely's `.stream()`, which srekit does not use.
 */
export function cacheStatements(
  database: BetterSqlite3.Database,
  maxStatements = 256,
): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
