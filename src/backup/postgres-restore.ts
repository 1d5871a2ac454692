import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SrekitError } from '../common/errors.js';
import type { Manifest } from './manifest.js';
import { parsePostgresUrl, runPostgresTool } from './postgres.js';

/** A query counting the tables, views, sequences and foreign tables outside system schemas. */
const userRelationsQuery = `
  select count(*)::int as count
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg_toast%'
    and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`;

/**
 * Restores PostgreSQL backup `manifest` into the database at `url` with
 * pg_restore in one transaction, so a failed restore leaves the database
 * as it was. `extract` writes the backup's files into a directory. A
 * database with tables, views or sequences is rejected unless `force` is
 * set, which drops the objects of the dump before recreating them.
 */
export async function restoreToPostgres(
  manifest: Manifest, url: string, force: boolean,
  extract: (directory: string) => Promise<void>,
): Promise<void> {
  const { redacted } = parsePostgresUrl(url);
  if (manifest.source.kind !== 'postgres') {
    throw new SrekitError('INVALID_INPUT', `backup ${manifest.id} is of a ${manifest.source.kind} `
      + `source, so it cannot be restored into PostgreSQL database ${redacted}`, {
      hint: 'give a directory with --to',
    });
  }
  const relations = await countUserRelations(url, redacted);
  if (relations > 0 && !force) {
    throw new SrekitError('INVALID_INPUT', `PostgreSQL database ${redacted} is not empty: it has `
      + `${relations} tables, views or sequences`, {
      hint: 'restore into an empty database, or pass --force to replace the objects of the dump',
    });
  }
  const scratch = await mkdtemp(join(tmpdir(), 'srekit-pg-restore-'));
  try {
    const directory = join(scratch, 'dump');
    await extract(directory);
    const files = await readdir(directory);
    if (files.length !== 1 || files[0] === undefined) {
      throw new SrekitError('BACKUP_DAMAGED', `backup ${manifest.id} of a PostgreSQL database `
        + `should contain one dump file, but contains ${files.join(', ') || 'nothing'}`);
    }
    const args = ['--no-password', '--exit-on-error', '--single-transaction', '--no-owner',
      `--dbname=${url}`];
    if (force) args.push('--clean', '--if-exists');
    await runPostgresTool('pg_restore', [...args, join(directory, files[0])],
      `could not restore backup ${manifest.id} into PostgreSQL database ${redacted}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function countUserRelations(url: string, redacted: string): Promise<number> {
  // pg is imported here, because it adds about 15 MiB of RSS to every restore.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const result = await client.query<{ count: number }>(userRelationsQuery);
    return result.rows[0]?.count ?? 0;
  } catch (error) {
    throw new SrekitError('DATABASE_UNAVAILABLE', `could not connect to PostgreSQL database `
      + `${redacted}: ${(error as Error).message}`, {
      hint: 'check that the server runs and the database exists; srekit does not create it',
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
