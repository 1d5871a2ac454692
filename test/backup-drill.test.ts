import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import {
  backupCli, newRepository, onlyArtifact, tempDir, writeSampleTree,
} from './fixtures/backup/helpers.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';

interface DrillRecord {
  type: string;
  id: string;
  class: string;
  source: string;
  ok: boolean;
  filesChecked: number;
  bytesChecked: number;
  totalSeconds: number;
  rtoSeconds: number;
  error?: string;
}

let server: S3Server;

before(async () => {
  server = await startS3Server();
  // The S3 client reads its endpoint and credentials from process.env, as the CLI does.
  Object.assign(process.env, server.env);
});

after(async () => {
  await server.stop();
});

/** Points os.tmpdir() at a fresh directory for one test, so leftover scratch space shows. */
async function privateTmpdir(t: TestContext, dir: string): Promise<string> {
  const scratch = join(dir, 'tmp');
  await mkdir(scratch);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  t.after(() => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  });
  return scratch;
}

async function drill(args: string[]): Promise<{ code: number; record: DrillRecord; err: string }> {
  const result = await backupCli(['drill', ...args, '--json']);
  return { code: result.code, record: JSON.parse(result.out) as DrillRecord, err: result.err };
}

test('drill restores and checks every file', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  const manifest = JSON.parse(created.out) as { id: string };
  const scratch = await privateTmpdir(t, dir);

  const { code, record, err } = await drill(['--repo', repo, '--key-file', keyFile]);
  assert.equal(code, 0, err);
  assert.equal(record.type, 'drill');
  assert.equal(record.id, manifest.id);
  assert.equal(record.ok, true);
  assert.equal(record.error, undefined);
  assert.equal(record.rtoSeconds, 1800);
  assert.ok(record.filesChecked >= 10, `only ${record.filesChecked} entries were checked`);
  assert.ok(record.bytesChecked > 300_000, `only ${record.bytesChecked} bytes were checked`);
  assert.deepEqual(await readdir(scratch), [], 'the scratch directory was left behind');

  const text = await backupCli(['drill', '--repo', repo, '--key-file', keyFile]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /restored and checked \d+ entries .* within the RTO of 1800 s/);
});

test('drill over the RTO exits 1', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  assert.equal((await backupCli(['create', '--source', source, '--repo', repo])).code, 0);

  const { code, record } = await drill(['--repo', repo, '--rto', '1ms']);
  assert.equal(code, 1);
  assert.equal(record.ok, false);
  assert.equal(record.error, undefined);
  assert.ok(record.totalSeconds > record.rtoSeconds);

  const bad = await backupCli(['drill', '--repo', repo, '--rto', 'soon']);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /invalid duration "soon"/);
});

test('drill of a damaged backup fails', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const artifact = await onlyArtifact(repo);
  const bytes = await readFile(artifact);
  bytes[bytes.length - 50] = (bytes[bytes.length - 50] ?? 0) ^ 0x10;
  await writeFile(artifact, bytes);
  const scratch = await privateTmpdir(t, dir);

  const { code, record } = await drill(['--repo', repo, '--key-file', keyFile]);
  assert.equal(code, 1);
  assert.equal(record.ok, false);
  assert.match(record.error ?? '', /damaged|authentication/);
  assert.deepEqual(await readdir(scratch), [], 'the scratch directory was left behind');
});

test('drill picks the class in S3', async (t) => {
  const dir = await tempDir(t);
  const repo = `s3://${server.bucket}/drill`;
  assert.equal((await backupCli(['init', '--repo', repo])).code, 0);
  const database = join(dir, 'orders.db');
  const db = new Database(database);
  db.exec('create table orders (id integer primary key, item text)');
  db.prepare('insert into orders (item) values (?)').run('book');
  db.close();
  const files = join(dir, 'files');
  await writeSampleTree(files);
  const dbBackup = await backupCli(['create', '--source', `sqlite:${database}`, '--repo', repo,
    '--class', 'db', '--json']);
  assert.equal(dbBackup.code, 0, dbBackup.err);
  const filesBackup = await backupCli(['create', '--source', files, '--repo', repo]);
  assert.equal(filesBackup.code, 0, filesBackup.err);

  const { code, record, err } = await drill(['--repo', repo, '--class', 'db', '--rto', '2m']);
  assert.equal(code, 0, err);
  assert.equal(record.id, (JSON.parse(dbBackup.out) as { id: string }).id);
  assert.equal(record.source, 'sqlite');
  assert.equal(record.filesChecked, 1);
  assert.equal(record.rtoSeconds, 120);

  const none = await backupCli(['drill', '--repo', repo, '--class', 'logs']);
  assert.equal(none.code, 1, none.err);
  assert.match(none.err, /no backup of class logs/);
});
