import { isAbsolute, join } from 'node:path';
import { SrekitError } from '../common/errors.js';

/** Where the orders are stored: a SQLite file or a PostgreSQL server. */
export type DatabaseLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

/**
 * The SQLite file used when no database URL is given, relative to the working
 * directory. `.srekit/` holds all local state of srekit and is ignored by git.
 */
export const defaultDatabasePath = join('.srekit', 'service', 'orders.sqlite');

/** The database URL used when none is given. */
export const defaultDatabaseUrl = `sqlite:${defaultDatabasePath}`;

/**
 * Parses a database URL: `sqlite:PATH` or `sqlite://PATH` (so `sqlite:///abs`
 * is the absolute path `/abs`), `sqlite::memory:` for a database that lives
 * only as long as the process, or `postgres://` / `postgresql://`.
 * Raises INVALID_INPUT for anything else.
 */
export function parseDatabaseUrl(value: string): DatabaseLocation {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw invalidUrl(value, 'the SQLite file path is missing');
    return { kind: 'sqlite', path };
  }

  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw invalidUrl(value, 'it is not a valid URL');
    }
    return { kind: 'postgres', url: value };
  }

  throw invalidUrl(value, 'the scheme must be sqlite: or postgres://');
}

/** Describes a database for logs and messages, with any password replaced by `***`. */
export function describeDatabase(location: DatabaseLocation): string {
  if (location.kind === 'sqlite') {
    return isAbsolute(location.path) || location.path === ':memory:'
      ? `sqlite:${location.path}`
      : `sqlite:${location.path} (relative to ${process.cwd()})`;
  }
  return redactPassword(location.url);
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

function invalidUrl(value: string, reason: string): SrekitError {
  return new SrekitError('INVALID_INPUT', `invalid database URL "${redactPassword(value)}": ${reason}`, {
    hint: 'use sqlite:PATH, such as sqlite:/var/lib/srekit/orders.sqlite, '
      + 'or postgres://USER:PASSWORD@HOST:PORT/DATABASE',
  });
}
