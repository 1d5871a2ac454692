import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster in a temporary directory, listening on 127.0.0.1. */
export interface PostgresCluster {
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Creates a cluster with initdb and starts it with pg_ctl on a free loopback
 * port. When the tests run as root, the server runs as the `postgres` user
 * because PostgreSQL refuses to run as root. Fails with a message naming the
 * package to install when initdb is missing.
 */
export async function startPostgres(): Promise<PostgresCluster> {
  const binDirectory = findPostgresBinDirectory();
  const directory = mkdtempSync(join(tmpdir(), 'srekit-postgres-'));
  const dataDirectory = join(directory, 'data');
  const asUser = runAsUser(directory);

  try {
    await asUser(join(binDirectory, 'initdb'), [
      '--pgdata', dataDirectory, '--username', 'srekit', '--auth', 'trust',
      '--encoding', 'UTF8', '--locale', 'C', '--no-sync',
    ]);
    const port = await findFreePort();
    const serverOptions = [
      `-p ${port}`, `-k ${directory}`, '-c listen_addresses=127.0.0.1',
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
    ].join(' ');
    await asUser(join(binDirectory, 'pg_ctl'), [
      '--pgdata', dataDirectory, '--log', join(directory, 'server.log'),
      '--options', serverOptions, '--wait', '--timeout', '60', 'start',
    ]);
    const baseUrl = `postgres://srekit@127.0.0.1:${port}`;

    return {
      createDatabase: async (name) => {
        const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
        await client.connect();
        try {
          await client.query(`create database "${name.replaceAll('"', '')}"`);
        } finally {
          await client.end();
        }
        return `${baseUrl}/${name}`;
      },
      stop: async () => {
        await asUser(join(binDirectory, 'pg_ctl'), ['--pgdata', dataDirectory, '--mode', 'immediate', 'stop'])
          .catch(() => undefined);
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

/** Finds the directory of initdb and pg_ctl, on PATH or where Debian's postgresql puts them. */
function findPostgresBinDirectory(): string {
  const pathDirectories = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '');
  const onPath = pathDirectories.find((entry) => existsSync(join(entry, 'initdb')));
  if (onPath !== undefined) return onPath;

  const debianRoot = '/usr/lib/postgresql';
  const versions = existsSync(debianRoot)
    ? readdirSync(debianRoot).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))
    : [];
  const installed = versions.map((version) => join(debianRoot, version, 'bin'))
    .find((candidate) => existsSync(join(candidate, 'initdb')));
  if (installed !== undefined) return installed;

  throw new Error(
    'initdb was not found on PATH or under /usr/lib/postgresql/*/bin, so the PostgreSQL tests '
      + 'cannot start a server; install PostgreSQL with `apt-get install -y postgresql` '
      + '(`make test` does this)',
  );
}

/** Returns a runner for PostgreSQL programs, as `postgres` when this process is root. */
function runAsUser(directory: string): (program: string, args: string[]) => Promise<void> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const uid = lookUpId('-u');
    const gid = lookUpId('-g');
    chownSync(directory, uid, gid);
  }
  return async (program, args) => {
    const [command, commandArgs] = isRoot
      ? ['runuser', ['-u', 'postgres', '--', program, ...args]]
      : [program, args];
    try {
      await run(command, commandArgs, { cwd: directory });
    } catch (error) {
      const detail = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
      throw new Error(`${program} ${args.at(-1) ?? ''} failed: ${detail}`);
    }
  };
}

function lookUpId(flag: '-u' | '-g'): number {
  try {
    return Number(String(execFileSync('id', [flag, 'postgres'])).trim());
  } catch {
    throw new Error('the user postgres does not exist; install PostgreSQL with `apt-get install -y postgresql`');
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
