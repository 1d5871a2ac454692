import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isSystemError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { DatabaseLocation } from './database-url.js';

// Files that SQLite keeps next to the database: the write-ahead log, its
// shared-memory index and the rollback journal.
const companionSuffixes = ['', '-wal', '-shm', '-journal'];

/**
 * Records which parts of a SQLite location do not exist yet, and returns a
 * function that removes exactly those: the database file with its companion
 * files, then each directory created for it, deepest first. It removes
 * nothing for a file that existed before, for `:memory:` or for PostgreSQL.
 * Call the returned function only after the database is closed. It logs
 * a file it cannot remove rather than raise, so the start-up error stays the
 * one reported.
 */
export function recordNewSqliteFiles(location: DatabaseLocation, logger: Logger): () => void {
  if (location.kind !== 'sqlite' || location.path === ':memory:') return () => undefined;
  const file = resolve(location.path);
  if (existsSync(file)) return () => undefined;

  const newDirectories: string[] = [];
  for (let directory = dirname(file); !existsSync(directory); directory = dirname(directory)) {
    newDirectories.push(directory);
  }

  return () => {
    for (const suffix of companionSuffixes) {
      const path = `${file}${suffix}`;
      try {
        rmSync(path, { force: true });
      } catch (error) {
        // ENOTDIR means a parent is a file, so the database was never created.
        if (isSystemError(error, 'ENOTDIR')) continue;
        logger.warn({ err: error, path }, 'could not remove a file of the failed start');
      }
    }
    for (const directory of newDirectories) {
      // rmdir fails on a directory that is not empty, so files that another
      // process put there in the meantime are kept.
      try {
        rmdirSync(directory);
      } catch {
        return;
      }
    }
  };
}
