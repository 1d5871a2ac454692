import { randomBytes } from 'node:crypto';
import { SrekitError } from '../common/errors.js';
import { parsePostgresUrl, runPostgresTool } from './postgres.js';

/**
 * Loads `dumpFile` with pg_restore into a new database on the server at
 * `serverUrl`, then drops that database, also when loading fails. The
 * scratch database is named `srekit_drill_` and 8 random hex digits, and
 * the URL's role needs the CREATEDB privilege.
 */
export async function loadIntoScratchDatabase(dumpFile: string, serverUrl: string):
  Promise<void> {
  const { redacted } = parsePostgresUrl(serverUrl);
  const name = `srekit_drill_${randomBytes(4).toString('hex')}`;
  // pg is imported here, because it adds about 15 MiB of RSS to every drill.
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw new SrekitError('DATABASE_UNAVAILABLE', `could not create scratch database ${name} `
      + `on ${redacted}: ${(error as Error).message}`, {
      hint: 'give --scratch-server a role that may create databases',
    });
  }
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await runPostgresTool('pg_restore', ['--no-password', '--exit-on-error',
      '--single-transaction', '--no-owner', `--dbname=${url.toString()}`, dumpFile],
    `pg_restore could not load the dump into scratch database ${name}`);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
