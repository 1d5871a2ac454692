import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SrekitError } from '../common/errors.js';
import { findExecutable } from '../common/process.js';

/** Returns true when `value` is a `postgres://` or `postgresql://` connection URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

/**
 * Parses a PostgreSQL connection URL and returns it with the form that is
 * safe to print and store, in which the password is replaced by `***`.
 */
export function parsePostgresUrl(value: string): { url: string; redacted: string } {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SrekitError('USAGE', `invalid PostgreSQL URL ${redactPassword(value)}`, {
      hint: 'use postgres://USER@HOST:PORT/DATABASE',
    });
  }
  if (parsed.pathname.length <= 1) {
    throw new SrekitError('USAGE', `PostgreSQL URL ${redactPassword(value)} names no database`, {
      hint: 'add the database name, as in postgres://USER@HOST:PORT/DATABASE',
    });
  }
  if (parsed.password !== '') parsed.password = '***';
  return { url: value, redacted: parsed.toString() };
}

/** Replaces the password of a URL-like string with `***`, also when it cannot be parsed. */
export function redactPassword(value: string): string {
  return value.replace(/([a-z]+:\/\/[^:/@\s]*:)[^@/\s]*@/g, '$1***@');
}

/** The name of the one file in the archive of a PostgreSQL backup. */
export const dumpFileName = 'database.dump';

/** Returns the environment for pg_dump and pg_restore, with PGCONNECT_TIMEOUT 10 s unless set. */
export function postgresEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '10' };
}

/**
 * Dumps the database at `url` with `pg_dump --format=custom` into a new
 * temporary directory as {@link dumpFileName}, and returns the directory.
 * pg_dump takes one consistent snapshot in a single transaction while
 * others write. NOTE: the dump is written to disk before it is archived,
 * because a tar header needs the file's size up front, so the temporary
 * directory needs free space the size of the dump.
 */
export async function dumpPostgres(url: string, redacted: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'srekit-pg-dump-'));
  try {
    await runPostgresTool('pg_dump', ['--format=custom', '--no-password', `--dbname=${url}`],
      `could not dump PostgreSQL database ${redacted}`, join(directory, dumpFileName));
    return directory;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Runs pg_dump or pg_restore, optionally writing its stdout to `outputFile`,
 * and throws DATABASE_UNAVAILABLE with `failure` and the tool's stderr when
 * it exits with an error. Passwords in the stderr are replaced by `***`.
 */
export async function runPostgresTool(
  tool: 'pg_dump' | 'pg_restore', args: string[], failure: string, outputFile?: string,
): Promise<string> {
  const program = findExecutable([tool]);
  if (program === undefined) {
    throw new SrekitError('MISSING_BINARY', `${tool} was not found on PATH`, {
      hint: 'install the PostgreSQL client, for example `apt-get install postgresql-client`',
    });
  }
  const child = spawn(program, args, {
    env: postgresEnvironment(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  if (outputFile === undefined) {
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  } else {
    await pipeline(child.stdout, createWriteStream(outputFile, { mode: 0o600 }));
  }
  const code = await exited;
  if (code !== 0) {
    const detail = redactPassword(stderr.trim()).split('\n').slice(-3).join(' ');
    throw new SrekitError('DATABASE_UNAVAILABLE',
      `${failure}: ${tool} exited with code ${code}: ${detail}`);
  }
  return stdout;
}
