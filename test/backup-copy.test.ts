import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  assertSameTree, backupCli, newRepository, onlyArtifact, tempDir, writeSampleTree,
} from './fixtures/backup/helpers.js';
import { useS3Server } from './helpers/s3-server.js';

const s3Server = useS3Server();

async function createBackup(source: string, repo: string, keyFile: string): Promise<string> {
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  return (JSON.parse(created.out) as { id: string }).id;
}

test('copy from directory to S3 and back', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const first = await createBackup(source, repo, keyFile);
  const second = await createBackup(source, repo, keyFile);
  const s3 = `s3://${s3Server().bucket}/copy`;
  assert.equal((await backupCli(['init', '--repo', s3])).code, 0);

  const up = await backupCli(['copy', '--repo', repo, '--to', s3, '--all', '--json']);
  assert.equal(up.code, 0, up.err);
  const records = up.out.trim().split('\n').map((line) => JSON.parse(line) as
    { type: string; id: string; status: string });
  assert.deepEqual(records.map((record) => [record.type, record.id, record.status]),
    [['copy', first, 'copied'], ['copy', second, 'copied']]);

  const again = await backupCli(['copy', '--repo', repo, '--to', s3, '--all']);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, new RegExp(`backup ${first}: skipped`));
  assert.match(again.out, new RegExp(`backup ${second}: skipped`));

  const back = join(dir, 'back');
  assert.equal((await backupCli(['init', '--repo', back])).code, 0);
  const down = await backupCli(['copy', '--repo', s3, '--to', back, '--id', first]);
  assert.equal(down.code, 0, down.err);
  assert.deepEqual(await readdir(join(back, 'snapshots')), [`${first}.json`]);
  assert.deepEqual(await readdir(join(back, 'locks')), [], 'copy left its lock');

  const verified = await backupCli(['verify', '--repo', s3, '--all', '--full',
    '--key-file', keyFile]);
  assert.equal(verified.code, 0, verified.err);
  const target = join(dir, 'restored');
  const restored = await backupCli(['restore', '--repo', back, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 0, restored.err);
  await assertSameTree(source, target);
});

test('copy of a damaged backup writes nothing', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const id = await createBackup(source, repo, keyFile);
  const artifact = await onlyArtifact(repo);
  const bytes = await readFile(artifact);
  bytes[200] = (bytes[200] ?? 0) ^ 0x01;
  await writeFile(artifact, bytes);
  const other = join(dir, 'other');
  assert.equal((await backupCli(['init', '--repo', other])).code, 0);

  const copied = await backupCli(['copy', '--repo', repo, '--to', other, '--id', id]);
  assert.equal(copied.code, 1, copied.err);
  assert.match(copied.err, /copy of backup .* read back .* the copy was removed/);
  assert.deepEqual(await readdir(join(other, 'data')), []);
  const listed = await backupCli(['list', '--repo', other, '--json']);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(listed.out, '');
});

test('copy rejects bad repositories', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const same = await backupCli(['copy', '--repo', repo, '--to', repo, '--all']);
  assert.equal(same.code, 2, same.err);
  assert.match(same.err, /--repo and --to both name/);
  const missing = await backupCli(['copy', '--repo', repo, '--to', join(dir, 'none'), '--all']);
  assert.equal(missing.code, 10, missing.err);
  const both = await backupCli(['copy', '--repo', repo, '--to', repo, '--all', '--id', 'x']);
  assert.equal(both.code, 2, both.err);
  assert.match(both.err, /--all cannot be combined/);
});
