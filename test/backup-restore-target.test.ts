import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupCli, newRepository, tempDir } from './fixtures/backup/helpers.js';

test('restore rejects an uncreatable target', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'file.txt'), 'content\n');
  const created = await backupCli(['create', '--source', source, '--repo', repo]);
  assert.equal(created.code, 0, created.err);

  // /proc exists, but mkdir under it fails with ENOENT.
  const target = '/proc/srekit-restore-test/target';
  const restored = await backupCli(['restore', '--repo', repo, '--to', target]);

  assert.equal(restored.code, 2, restored.err);
  assert.match(restored.err, /could not create a directory beside restore target/);
  assert.match(restored.err, /\/proc\/srekit-restore-test\/target/);
  assert.match(restored.err, /\(ENOENT\) \[INVALID_INPUT\]/);
  assert.doesNotMatch(restored.err, /internal error/);
  assert.deepEqual((await readdir(dir)).sort(), ['key', 'repo', 'source']);
});
