import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupCli, newRepository, onlyArtifact, tempDir } from './fixtures/backup/helpers.js';

test('damage hint points past verify', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'file.txt'), 'content\n');
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const artifact = await onlyArtifact(repo);
  const damaged = await readFile(artifact);
  damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
  await writeFile(artifact, damaged);

  const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);

  assert.equal(verified.code, 1, verified.err);
  const hint = verified.err.split('\n').find((line) => line.startsWith('hint: ')) ?? '';
  // Running the same command again would only print the same error.
  assert.doesNotMatch(hint, /verify --full --id/);
  assert.match(hint, /restore an older backup/);
  assert.match(hint, /verify --all --full/);
});
