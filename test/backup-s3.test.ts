import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { clientFromEnvironment } from '../src/backup/s3-store.js';
import { partSize } from '../src/backup/s3-store-upload.js';
import {
  assertSameTree, backupCli, spawnBackup, tempDir, writeRandomSource, writeSampleTree,
} from './fixtures/backup/helpers.js';
import { startS3Server, useS3Server } from './helpers/s3-server.js';

const s3Server = useS3Server();

/** Creates an S3 repository under a fresh prefix and a key file in `dir`. */
async function newS3Repository(dir: string, name: string):
  Promise<{ repo: string; keyFile: string }> {
  const repo = `s3://${s3Server().bucket}/${name}`;
  const keyFile = join(dir, 'key');
  await writeFile(keyFile, randomBytes(32));
  const init = await backupCli(['init', '--repo', repo]);
  assert.equal(init.code, 0, init.err);
  return { repo, keyFile };
}

async function listKeys(prefix: string): Promise<string[]> {
  const page = await clientFromEnvironment().send(new ListObjectsV2Command({
    Bucket: s3Server().bucket, Prefix: prefix,
  }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

test('S3 round trip with verify --full', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newS3Repository(dir, 'roundtrip');
  const source = join(dir, 'source');
  await writeSampleTree(source);
  // A file larger than two parts makes the artifact a multipart upload.
  await writeFile(join(source, 'large.bin'), randomBytes(2 * partSize + 1000));

  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  const { id } = JSON.parse(created.out) as { id: string };
  assert.deepEqual(await listKeys('roundtrip/data/'), [`roundtrip/data/${id}.srkb`]);
  assert.deepEqual(await listKeys('roundtrip/uploads/'), [], 'an upload record was left');

  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(JSON.parse(listed.out).id, id);

  const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
  assert.equal(verified.code, 0, verified.err);
  assert.match(verified.out, new RegExp(`backup ${id}: ok \\(full`));
  // Sampling reads byte ranges of the artifact with ranged GETs.
  const sampled = await backupCli(['verify', '--repo', repo, '--sample', '50',
    '--key-file', keyFile]);
  assert.equal(sampled.code, 0, sampled.err);
  assert.match(sampled.out, /ok \(sample, \d+ bytes read, \d+ segments? decrypted\)/);

  const target = join(dir, 'restored');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 0, restored.err);
  await assertSameTree(source, target);
});

test('S3 verify detects a damaged artifact', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newS3Repository(dir, 'damaged');
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  const { id } = JSON.parse(created.out) as { id: string };

  const client = clientFromEnvironment();
  const key = `damaged/data/${id}.srkb`;
  const object = await client.send(new GetObjectCommand({ Bucket: s3Server().bucket, Key: key }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
  await client.send(new PutObjectCommand({ Bucket: s3Server().bucket, Key: key, Body: bytes }));

  const quick = await backupCli(['verify', '--repo', repo]);
  assert.equal(quick.code, 1, quick.err);
  assert.match(quick.err, /SHA-256/);
  const full = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
  assert.equal(full.code, 1, full.err);
  assert.match(full.err, /BACKUP_DAMAGED/);
});

test('S3 restore with a wrong key exits 12', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newS3Repository(dir, 'wrongkey');
  const source = join(dir, 'source');
  await writeSampleTree(source);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const otherKey = join(dir, 'other-key');
  await writeFile(otherKey, randomBytes(32));

  const target = join(dir, 'restored');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', otherKey]);
  assert.equal(restored.code, 12, restored.err);
  assert.match(restored.err, /BACKUP_WRONG_KEY/);
});

test('S3 missing bucket and bad access', async () => {
  for (const command of [['list'], ['init']]) {
    const result = await backupCli([...command, '--repo', 's3://no-such-bucket/repo']);
    assert.equal(result.code, 10, result.err);
    assert.match(result.err, /S3 bucket no-such-bucket does not exist/);
  }
  // s3rver 3.7.1 checks the access key id but not SigV4 signatures, so the id is the bad part.
  const accessKey = process.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_ACCESS_KEY_ID = 'UNKNOWN';
  const denied = await backupCli(['list', '--repo', `s3://${s3Server().bucket}/repo`])
    .finally(() => { process.env.AWS_ACCESS_KEY_ID = accessKey; });
  assert.equal(denied.code, 1, denied.err);
  assert.match(denied.err, /S3 request for s3:\/\/backups\/repo\/ failed: .*HTTP 403/);
  assert.match(denied.err, /check the AWS credentials/);
  const invalid = await backupCli(['list', '--repo', 's3://Bad_Bucket/repo']);
  assert.equal(invalid.code, 2, invalid.err);
  assert.match(invalid.err, /invalid S3 repository/);
});

test('killed S3 create is cleaned up later', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newS3Repository(dir, 'killed');
  const source = await writeRandomSource(dir, 6, 16 * 1024 * 1024);
  const { child } = spawnBackup(t, ['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  const deadline = Date.now() + 60_000;
  let records: string[] = [];
  while (records.length === 0 && Date.now() < deadline) {
    await delay(50);
    records = await listKeys('killed/uploads/');
  }
  assert.equal(records.length, 1, 'no multipart upload was started');
  child.kill('SIGKILL');
  await once(child, 'exit');

  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(listed.out, '', 'the interrupted backup is listed');
  assert.deepEqual(await listKeys('killed/data/'), []);

  const small = join(dir, 'small');
  await mkdir(small);
  await writeFile(join(small, 'file.txt'), 'small');
  const next = await backupCli(['create', '--source', small, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(next.code, 0, next.err);
  const uploadId = /uploads\/(.+)\.json$/.exec(records[0] ?? '')?.[1] ?? '';
  assert.ok(next.err.includes(`removed ${uploadId}`), next.err);
  assert.deepEqual(await listKeys('killed/uploads/'), []);
  const { id } = JSON.parse(next.out) as { id: string };
  assert.deepEqual(await listKeys('killed/data/'), [`killed/data/${id}.srkb`]);
});

test('S3 create fails when the server stops', async (t) => {
  const dir = await tempDir(t);
  const keyFile = join(dir, 'key');
  await writeFile(keyFile, randomBytes(32));
  const source = await writeRandomSource(dir, 8, 16 * 1024 * 1024);
  // A second server that this test can stop without breaking the others.
  const doomed = await startS3Server();
  t.after(() => doomed.stop());
  const doomedRepo = `s3://${doomed.bucket}/stopped`;
  const previous = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = doomed.endpoint;
  t.after(() => { process.env.AWS_ENDPOINT_URL = previous; });
  assert.equal((await backupCli(['init', '--repo', doomedRepo])).code, 0);

  const creating = backupCli(['create', '--source', source, '--repo', doomedRepo,
    '--key-file', keyFile]);
  const client = clientFromEnvironment();
  const deadline = Date.now() + 60_000;
  let started = false;
  while (!started && Date.now() < deadline) {
    await delay(50);
    const page = await client.send(new ListObjectsV2Command({
      Bucket: doomed.bucket, Prefix: 'stopped/uploads/',
    }));
    started = (page.Contents ?? []).length > 0;
  }
  assert.ok(started, 'no multipart upload was started');
  await doomed.stop();

  // An unreferenced timer does not keep the test process alive once create returns.
  const result = await Promise.race([creating, delay(120_000, 'timed out', { ref: false })]);
  assert.notEqual(result, 'timed out', 'create hung after the server stopped');
  const { code, err } = result as { code: number; err: string };
  assert.equal(code, 1, err);
  assert.match(err, /S3 request for s3:\/\/backups\/stopped\/.* failed/);
});
