import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { backupCli, newRepository, tempDir } from './fixtures/backup/helpers.js';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';

let cluster: PostgresCluster;

before(async () => {
  cluster = await startPostgres();
});

after(async () => {
  await cluster.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function orderTotals(url: string): Promise<{ count: number; total: number }> {
  const rows = await query<{ count: number; total: number }>(url,
    'select count(*)::int as count, sum(amount)::int as total from orders');
  return rows[0] ?? { count: 0, total: 0 };
}

async function newSourceDatabase(name: string): Promise<string> {
  const url = await cluster.createDatabase(name);
  await query(url, 'create table orders (id serial primary key, item text, amount int)');
  await query(url, `insert into orders (item, amount)
    select 'item-' || n, n from generate_series(1, 500) as n`);
  return url;
}

test('PostgreSQL round trip through pg_restore', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = await newSourceDatabase('pg_roundtrip_src');

  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--class', 'db', '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  const { id } = JSON.parse(created.out) as { id: string };
  const listed = await backupCli(['list', '--repo', repo, '--json']);
  const record = JSON.parse(listed.out) as { id: string; source: { kind: string } };
  assert.equal(record.id, id);

  const target = await cluster.createDatabase('pg_roundtrip_dst');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 0, restored.err);
  assert.deepEqual(await orderTotals(target), { count: 500, total: 125250 });

  await query(target, "insert into orders (item, amount) values ('extra', 1)");
  const again = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(again.code, 2, again.err);
  assert.match(again.err, /is not empty: it has \d+ tables, views or sequences/);
  assert.deepEqual(await orderTotals(target), { count: 501, total: 125251 });

  const forced = await backupCli(['restore', '--repo', repo, '--to', target, '--force',
    '--key-file', keyFile]);
  assert.equal(forced.code, 0, forced.err);
  assert.deepEqual(await orderTotals(target), { count: 500, total: 125250 });
});

test('PostgreSQL backup restores to a dump file', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await newSourceDatabase('pg_dumpfile_src');
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);

  const target = join(dir, 'restored');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target]);
  assert.equal(restored.code, 0, restored.err);
  assert.deepEqual(await readdir(target), ['database.dump']);
  const dump = await readFile(join(target, 'database.dump'));
  // pg_dump's custom format starts with the magic bytes PGDMP.
  assert.equal(dump.subarray(0, 5).toString('latin1'), 'PGDMP');
});

/**
 * Makes the server ask role `guarded` for its password, which the trust
 * setup of the test cluster never does. The superuser rewrites pg_hba.conf
 * with COPY and reloads it, because pg_hba.conf has no SQL interface.
 */
async function requirePassword(url: string): Promise<void> {
  await query(url, "create role guarded login password 'right-password'");
  const [hba] = await query<{ hba_file: string }>(url, 'show hba_file');
  const rules = ['host all guarded 127.0.0.1/32 scram-sha-256',
    'host all all 127.0.0.1/32 trust', 'local all all trust'];
  const values = rules.map((rule) => `('${rule}')`).join(', ');
  await query(url, `copy (values ${values}) to '${hba?.hba_file ?? ''}'`);
  await query(url, 'select pg_reload_conf()');
}

test('failed pg_dump leaves no backup', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const good = await cluster.createDatabase('pg_failed_src');
  await requirePassword(good);
  const missing = good.replace('srekit@', 'srekit:s3cret-password@')
    .replace('pg_failed_src', 'no_such_database');
  const wrongPassword = good.replace('srekit@', 'guarded:s3cret-password@');
  const closedPort = 'postgres://srekit@127.0.0.1:1/orders';
  const cases: [string, RegExp][] = [
    [missing, /database "no_such_database" does not exist/],
    [wrongPassword, /password authentication failed for user "guarded"/],
    [closedPort, /Connection refused|connection to server/],
  ];

  for (const [source, reason] of cases) {
    const created = await backupCli(['create', '--source', source, '--repo', repo]);
    assert.equal(created.code, 1, created.err);
    assert.match(created.err, /could not dump PostgreSQL database postgres:\/\/(srekit|guarded)/);
    assert.match(created.err, /pg_dump exited with code 1/);
    assert.match(created.err, reason);
    assert.doesNotMatch(created.err, /s3cret-password/);
  }
  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(listed.out, '');
  assert.deepEqual(await readdir(join(repo, 'data')).catch(() => []), []);
  assert.deepEqual(await readdir(join(repo, 'locks')).catch(() => []), []);
});

test('restore into PostgreSQL rejects other sources', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'file.txt'), 'not a database');
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);
  const target = await cluster.createDatabase('pg_wrong_kind');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target]);
  assert.equal(restored.code, 2, restored.err);
  assert.match(restored.err, /is of a directory source, so it cannot be restored into PostgreSQL/);
  const invalid = await backupCli(['create', '--source', 'postgres://127.0.0.1:5', '--repo', repo]);
  assert.equal(invalid.code, 2, invalid.err);
  assert.match(invalid.err, /names no database/);
});

test('drill checks a PostgreSQL dump', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await newSourceDatabase('pg_drill_src');
  const created = await backupCli(['create', '--source', source, '--repo', repo, '--class', 'db']);
  assert.equal(created.code, 0, created.err);

  const drilled = await backupCli(['drill', '--repo', repo, '--class', 'db', '--json']);
  assert.equal(drilled.code, 0, drilled.err);
  const record = JSON.parse(drilled.out) as { ok: boolean; source: string; filesChecked: number };
  assert.equal(record.ok, true);
  assert.equal(record.source, 'postgres');
  assert.equal(record.filesChecked, 1);
});

test('drill loads a scratch database', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = await newSourceDatabase('pg_scratch_src');
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);
  const server = source.replace(/\/pg_scratch_src$/, '/postgres');

  const drilled = await backupCli(['drill', '--repo', repo, '--scratch-server', server]);
  assert.equal(drilled.code, 0, drilled.err);
  assert.match(drilled.out, /including a scratch database load/);
  const left = await query<{ datname: string }>(server,
    "select datname from pg_database where datname like 'srekit_drill_%'");
  assert.deepEqual(left, [], 'the scratch database was not dropped');

  const invalid = await backupCli(['drill', '--repo', repo, '--scratch-server', '/tmp/db']);
  assert.equal(invalid.code, 2, invalid.err);
  assert.match(invalid.err, /invalid --scratch-server/);
});
