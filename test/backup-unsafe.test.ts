import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import type { Headers, Pack } from 'tar-stream';
import { writeArtifact } from '../src/backup/artifact-writer.js';
import { buildManifest } from '../src/backup/create.js';
import { readKeyFile } from '../src/backup/keys.js';
import type { FileEntry } from '../src/backup/manifest.js';
import { artifactKey, newBackupId, openRepository } from '../src/backup/repository.js';
import { backupCli, newRepository, tempDir } from './fixtures/backup/helpers.js';

/** One crafted archive entry: a tar header and, for a file, its content. */
interface CraftedEntry {
  header: Headers;
  content?: string;
}

const file = (name: string, content = 'x', mode = 0o644): CraftedEntry =>
  ({ header: { name, type: 'file', mode, size: Buffer.byteLength(content) }, content });
const symlinkEntry = (name: string, target: string): CraftedEntry =>
  ({ header: { name, type: 'symlink', linkname: target, mode: 0o777 } });
const directory = (name: string): CraftedEntry =>
  ({ header: { name, type: 'directory', mode: 0o755 } });

/**
 * Stores a backup whose archive contains exactly `entries`, encrypted with the
 * repository's key, with a manifest listing `listed`, so restore reaches its
 * entry checks.
 */
async function storeCrafted(
  repo: string, keyFile: string, entries: CraftedEntry[], listed = entries,
) {
  const repository = await openRepository(repo);
  const key = await readKeyFile(keyFile);
  const time = new Date();
  const id = newBackupId(time);
  const produce = async (pack: Pack) => {
    for (const entry of entries) {
      await new Promise<void>((resolve, reject) => {
        pack.entry({ mtime: time, ...entry.header }, entry.content ?? '',
          (error) => (error ? reject(error) : resolve()));
      });
    }
  };
  const written = await writeArtifact(repository.store, artifactKey(id), produce,
    { compression: 'zstd', key });
  const files: FileEntry[] = listed.map((entry) => manifestEntry(entry));
  const manifest = buildManifest({
    id, time, tree: { files, skipped: [] }, written,
    options: {
      source: { kind: 'directory', path: '/crafted' }, className: 'default',
      compression: 'zstd', key, tags: {},
    },
  });
  await repository.commit(manifest);
}

function manifestEntry(entry: CraftedEntry): FileEntry {
  const path = posix.normalize(entry.header.name).replace(/\/$/, '');
  const type = entry.header.type ?? 'file';
  if (type === 'file') {
    const content = entry.content ?? '';
    return {
      path, type, size: Buffer.byteLength(content),
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  }
  if (type === 'symlink') return { path, type, size: 0, target: entry.header.linkname ?? '' };
  return { path, type: 'directory', size: 0 };
}

const unsafeArchives: [string, CraftedEntry[], RegExp][] = [
  ['a parent-directory path', [file('../escaped')], /contains \.\./],
  ['a nested parent-directory path', [directory('a/'), file('a/../../escaped')], /contains \.\./],
  ['an absolute path', [file('/tmp/escaped-absolute')], /absolute path/],
  ['repeated leading slashes', [file('//tmp/escaped-slashes')], /absolute path/],
  ['a symlink to an absolute path', [symlinkEntry('link', '/etc')], /absolute path/],
  ['a symlink out of the tree', [symlinkEntry('link', '../../outside')], /outside the target/],
  ['a symlink chain out of the tree',
    [symlinkEntry('d', '.'), symlinkEntry('x', 'd/d/../..')], /leads outside the target/],
  ['a file written through a symlink',
    [directory('inside/'), symlinkEntry('link', 'inside'), file('link/through')],
    /through the symlink link/],
  ['a hard link out of the tree',
    [{ header: { name: 'hard', type: 'link', linkname: '../outside' } }], /hard link to/],
  ['a hard link to an absolute path',
    [{ header: { name: 'hard', type: 'link', linkname: '/etc/passwd' } }], /hard link to/],
  ['a character device',
    [{ header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }],
    /character-device/],
  ['a block device',
    [{ header: { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 } }],
    /block-device/],
  ['a FIFO', [{ header: { name: 'pipe', type: 'fifo' } }], /fifo/],
  ['a setuid file', [file('setuid', '#!/bin/sh\n', 0o4755)], /setuid or setgid/],
  ['a setgid directory', [{ header: { name: 'shared/', type: 'directory', mode: 0o2775 } }],
    /setuid or setgid/],
];

for (const [name, entries, pattern] of unsafeArchives) {
  test(`restore rejects ${name}`, async (t) => {
    const dir = await tempDir(t);
    const { repo, keyFile } = await newRepository(dir);
    // Every entry comes after a harmless one, so a failure must undo a real write.
    await storeCrafted(repo, keyFile, [file('first.txt', 'first'), ...entries]);
    const work = join(dir, 'work');
    await mkdir(work);
    const target = join(work, 'target');

    const restored = await backupCli(['restore', '--repo', repo, '--to', target,
      '--key-file', keyFile]);
    assert.equal(restored.code, 1, restored.err);
    assert.match(restored.err, /BACKUP_UNSAFE_ENTRY/);
    assert.match(restored.err, pattern);
    await assert.rejects(access(target), { code: 'ENOENT' });
    assert.deepEqual(await readdir(work), [], 'the staging directory was left behind');
    for (const outside of [join(dir, 'escaped'), join(work, 'escaped'), '/tmp/escaped-absolute',
      '/tmp/escaped-slashes', join(dir, 'outside')]) {
      await assert.rejects(access(outside), { code: 'ENOENT' }, `${outside} was written`);
    }

    // Verify reads entries without writing them, so it rejects only what each
    // entry shows alone; modes and how symlinks combine matter only on disk.
    const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
    const onlyOnDisk = /setuid|setgid|chain|through/.test(name);
    assert.equal(verified.code, onlyOnDisk ? 0 : 1, verified.err);
  });
}

test('restore --allow-setuid keeps setuid bits', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  await storeCrafted(repo, keyFile, [file('setuid', '#!/bin/sh\n', 0o4755)]);
  const target = join(dir, 'target');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile, '--allow-setuid']);
  assert.equal(restored.code, 0, restored.err);
  assert.equal((await stat(join(target, 'setuid'))).mode & 0o7777, 0o4755);
});

test('restore rejects unlisted entries', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const listed = file('listed.txt');
  await storeCrafted(repo, keyFile, [listed, file('unlisted.txt')], [listed]);
  const target = join(dir, 'target');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 1, restored.err);
  assert.match(restored.err, /entry unlisted\.txt is not in the manifest \[BACKUP_DAMAGED\]/);
  await assert.rejects(access(target), { code: 'ENOENT' });
});

test('restore rejects mismatched content', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  await storeCrafted(repo, keyFile, [file('a.txt', 'stored')], [file('a.txt', 'listed')]);
  const target = join(dir, 'target');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 1, restored.err);
  assert.match(restored.err, /file a\.txt does not match the SHA-256 in the manifest/);
  await assert.rejects(access(target), { code: 'ENOENT' });
});

test('create skips escaping symlinks', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = join(dir, 'source');
  await mkdir(join(source, 'app'), { recursive: true });
  await writeFile(join(source, 'app/kept.txt'), 'kept');
  await symlink('/etc/hostname', join(source, 'current'));
  await symlink('../../shared/config', join(source, 'app/cfg'));
  await symlink('kept.txt', join(source, 'app/inside'));

  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 3, created.err);
  assert.match(created.err, /skipped current: symlink to \/etc\/hostname/);
  assert.match(created.err, /skipped app\/cfg: symlink to \.\.\/\.\.\/shared\/config/);
  assert.match(created.err, /\[BACKUP_INCOMPLETE\]/);

  const verified = await backupCli(['verify', '--repo', repo, '--full', '--key-file', keyFile]);
  assert.equal(verified.code, 0, verified.err);
  const target = join(dir, 'target');
  const restored = await backupCli(['restore', '--repo', repo, '--to', target,
    '--key-file', keyFile]);
  assert.equal(restored.code, 0, restored.err);
  assert.deepEqual(await readdir(target), ['app']);
  assert.deepEqual(await readdir(join(target, 'app')), ['inside', 'kept.txt']);
  assert.equal(await readlink(join(target, 'app/inside')), 'kept.txt');
});
