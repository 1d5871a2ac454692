import { isAbsolute } from 'node:path';
import { SrekitError } from './errors.js';

/** The location of a database: a SQLite file or a PostgreSQL server. */
export type DatabaseLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

/**
 * Parses a database URL: `sqlite:PATH` or `sqlite://PATH` (so `sqlite:///abs`
 * is the absolute path `/abs`), `sqlite::memory:` for a database that lives
 * only as long as the process, or `postgres://` / `postgresql://`.
 * Schemes are case-insensitive, as in RFC 3986. Raises INVALID_INPUT for
 * anything else, showing `value` as given with any password replaced.
 */
export function parseDatabaseUrl(value: string): DatabaseLocation {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(value)?.[0].toLowerCase();
  const rest = scheme === undefined ? value : value.slice(scheme.length);

  if (scheme === 'sqlite:') {
    const path = rest.replace(/^\/\//, '');
    if (path === '') throw invalidUrl(value, 'the SQLite file path is missing');
    return { kind: 'sqlite', path };
  }

  if ((scheme === 'postgres:' || scheme === 'postgresql:') && rest.startsWith('//')) {
    const url = `${scheme}${rest}`;
    try {
      new URL(url);
    } catch {
      throw invalidUrl(value, 'it is not a valid URL');
    }
    return { kind: 'postgres', url };
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

/**
 * Replaces the password in the authority of `url` with `***`. It edits the
 * text itself rather than a parsed URL, so the rest reads as the user wrote it.
 */
function redactPassword(url: string): string {
  const start = url.indexOf('//');
  if (start === -1) return url;
  const authorityStart = start + 2;
  const authorityEnd = url.slice(authorityStart).search(/[/?#]/);
  const authority = authorityEnd === -1
    ? url.slice(authorityStart)
    : url.slice(authorityStart, authorityStart + authorityEnd);
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  if (at === -1 || colon === -1 || colon > at) return url;
  const passwordStart = authorityStart + colon + 1;
  return `${url.slice(0, passwordStart)}***${url.slice(authorityStart + at)}`;
}

function invalidUrl(value: string, reason: string): SrekitError {
  return new SrekitError('INVALID_INPUT', `invalid database URL "${redactPassword(value)}": ${reason}`, {
    hint: 'use sqlite:PATH, such as sqlite:/var/lib/srekit/orders.sqlite, '
      + 'or postgres://USER:PASSWORD@HOST:PORT/DATABASE',
  });
}
