import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupCli, newRepository, tempDir } from './fixtures/backup/helpers.js';

/** A script that inserts rows into the database at argv[1] until it is killed. */
const writerScript = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO events (payload) VALUES (?)');
const batch = db.transaction((n) => { for (let i = 0; i < n; i++) insert.run('x'.repeat(200)); });
process.stdout.write('ready\\n');
for (;;) batch(50);
`;

test('sqlite backup while rows are inserted', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const databasePath = join(dir, 'orders.db');
  const setup = new Database(databasePath);
  setup.pragma('journal_mode = WAL');
  setup.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
  const seed = setup.prepare('INSERT INTO events (payload) VALUES (?)');
  setup.transaction(() => {
    for (let index = 0; index < 20_000; index += 1) seed.run(`seed ${index}`);
  })();
  setup.close();

  const writer = spawn(process.execPath, ['-e', writerScript, databasePath], {
    cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => writer.kill('SIGKILL'));
  await once(writer.stdout, 'data');

  const created = await backupCli(['create', '--source', `sqlite:${databasePath}`, '--repo', repo,
    '--class', 'db', '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  assert.equal(writer.exitCode, null, 'the writer stopped during the backup');
  writer.kill('SIGKILL');
  await once(writer, 'exit');
  const record = JSON.parse(created.out) as { source: { kind: string }; totals: { files: number } };
  assert.equal(record.source.kind, 'sqlite');
  assert.equal(record.totals.files, 1);

  const restoredPath = join(dir, 'restored', 'orders.db');
  const restored = await backupCli(['restore', '--repo', repo, '--to', restoredPath,
    '--key-file', keyFile]);
  assert.equal(restored.code, 0, restored.err);
  const database = new Database(restoredPath, { readonly: true });
  t.after(() => database.close());
  assert.equal(database.pragma('integrity_check', { simple: true }), 'ok');
  const { rows } = database.prepare('SELECT count(*) AS rows FROM events').get() as { rows: number };
  assert.ok(rows >= 20_000, `the restored database has ${rows} rows`);
});

test('sqlite restore needs --force to replace', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const databasePath = join(dir, 'app.db');
  const database = new Database(databasePath);
  database.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('backed up')");
  database.close();
  const created = await backupCli(['create', '--source', `sqlite:${databasePath}`, '--repo', repo]);
  assert.equal(created.code, 0, created.err);

  const target = join(dir, 'live.db');
  await writeFile(target, 'not a database yet');
  const rejected = await backupCli(['restore', '--repo', repo, '--to', target]);
  assert.equal(rejected.code, 2, rejected.err);
  assert.match(rejected.err, /exists and is not empty/);

  const forced = await backupCli(['restore', '--repo', repo, '--to', target, '--force']);
  assert.equal(forced.code, 0, forced.err);
  const restored = new Database(target, { readonly: true });
  t.after(() => restored.close());
  assert.deepEqual(restored.prepare('SELECT v FROM t').all(), [{ v: 'backed up' }]);
});

test('sqlite source must be a file', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const result = await backupCli(['create', '--source', `sqlite:${dir}`, '--repo', repo]);
  assert.equal(result.code, 2, result.err);
  assert.match(result.err, /is a directory/);
});
