import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  assertSameTree, backupCli, newRepository, onlyArtifact, tempDir, writeSampleTree,
} from './fixtures/backup/helpers.js';

const compressions = ['zstd', 'gzip', 'none'] as const;
const encryptions = ['none', 'key-file', 'passphrase'] as const;

for (const compression of compressions) {
  for (const encryption of encryptions) {
    test(`round trip with ${compression} and ${encryption} encryption`, async (t) => {
      const dir = await tempDir(t);
      const { repo, keyFile } = await newRepository(dir);
      const source = join(dir, 'source');
      await writeSampleTree(source);
      const env = { BACKUP_PASSPHRASE: 'correct horse battery staple' };
      const keyArgs = encryption === 'key-file' ? ['--key-file', keyFile]
        : encryption === 'passphrase' ? ['--passphrase-env', 'BACKUP_PASSPHRASE'] : [];

      const created = await backupCli(['create', '--source', source, '--repo', repo,
        '--compression', compression, ...keyArgs, '--json'], env);
      assert.equal(created.code, 0, created.err);
      const record = JSON.parse(created.out.trim()) as Record<string, unknown>;
      assert.equal(record.type, 'backup');
      assert.equal(record.compression, compression);
      assert.equal(record.encryption, encryption === 'none' ? 'none' : 'aes-256-gcm');

      const artifact = await readFile(await onlyArtifact(repo));
      const marker = Buffer.from('notes with ');
      // Without encryption and compression the tar content is visible; with encryption
      // never. Compression alone may keep short text as literals, so it proves nothing.
      if (encryption !== 'none') assert.equal(artifact.includes(marker), false);
      if (encryption === 'none' && compression === 'none') {
        assert.equal(artifact.includes(marker), true);
      }

      const target = join(dir, 'restored');
      const restored = await backupCli(['restore', '--repo', repo, '--to', target, ...keyArgs],
        env);
      assert.equal(restored.code, 0, restored.err);
      await assertSameTree(source, target);

      const verified = await backupCli(['verify', '--repo', repo, '--full', ...keyArgs], env);
      assert.equal(verified.code, 0, verified.err);
      assert.match(verified.out, /: ok \(full/);
    });
  }
}

test('list shows encryption and tags', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source, 1000);
  const plain = await backupCli(['create', '--source', source, '--repo', repo,
    '--tag', 'env=prod', '--tag', 'reason=nightly', '--class', 'files']);
  assert.equal(plain.code, 0, plain.err);
  const encrypted = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(encrypted.code, 0, encrypted.err);

  const table = await backupCli(['list', '--repo', repo]);
  assert.equal(table.code, 0, table.err);
  const rows = table.out.trim().split('\n');
  assert.equal(rows.length, 3);
  assert.match(rows[1] ?? '', /files .*zstd, unencrypted/);
  assert.match(rows[2] ?? '', /default .*zstd, encrypted with a key-file/);

  const json = await backupCli(['list', '--repo', repo, '--class', 'files', '--json']);
  const records = json.out.trim().split('\n').map((line) => JSON.parse(line) as {
    type: string; tags: Record<string, string>; encryption: string;
  });
  assert.equal(records.length, 1);
  assert.deepEqual(records[0]?.tags, { env: 'prod', reason: 'nightly' });
  assert.equal(records[0]?.encryption, 'none');
  assert.equal(records[0]?.type, 'backup');
});

test('encrypted manifest hides the file names', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await writeSampleTree(source, 1000);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(created.code, 0, created.err);
  const { id } = JSON.parse(created.out) as { id: string };
  const manifest = await readFile(join(repo, 'snapshots', `${id}.json`), 'utf8');
  assert.doesNotMatch(manifest, /deep\.txt/);
  assert.match(manifest, /"sealedFiles"/);
});
