import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectories, makeDirectoriesSync } from './files.js';

test('makeDirectories creates missing parents', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'srekit-files-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const target = join(root, 'a', 'b', 'c');

  assert.equal(await makeDirectories(target), join(root, 'a'));
  assert.ok((await stat(target)).isDirectory());
  assert.equal(await makeDirectories(target), undefined);
});

test('makeDirectoriesSync creates missing parents', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'srekit-files-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const target = join(root, 'x', 'y');

  makeDirectoriesSync(target);
  assert.ok((await stat(target)).isDirectory());
});

// Node.js 20's recursive mkdir never returns for such a path.
test('makeDirectories fails at once under /proc', async () => {
  await assert.rejects(makeDirectories('/proc/srekit-missing/dir'), { code: 'ENOENT' });
  assert.throws(() => makeDirectoriesSync('/proc/srekit-missing/dir'), { code: 'ENOENT' });
});
