import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  backupCli, newRepository, spawnBackup, tempDir, writeRandomSource,
} from './fixtures/backup/helpers.js';

/** Waits until a partial artifact under `repo/data` has at least `bytes` bytes. */
async function waitForPartialArtifact(repo: string, bytes: number): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const names = await readdir(join(repo, 'data')).catch(() => [] as string[]);
    for (const name of names.filter((entry) => entry.endsWith('.partial'))) {
      const size = await stat(join(repo, 'data', name)).then((s) => s.size, () => 0);
      if (size >= bytes) return name;
    }
    await delay(20);
  }
  throw new Error(`no partial artifact of ${bytes} bytes appeared in ${repo}/data`);
}

test('killed backup is cleaned up later', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  // Random data does not compress, so 160 MiB takes long enough to interrupt.
  const source = await writeRandomSource(dir, 10, 16 * 1024 * 1024);

  const { child } = spawnBackup(t, ['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  const partial = await waitForPartialArtifact(repo, 8 * 1024 * 1024);
  child.kill('SIGKILL');
  await once(child, 'exit');

  assert.ok((await readdir(join(repo, 'data'))).includes(partial));
  assert.equal((await readdir(join(repo, 'locks'))).length, 1, 'the killed run left its lock');
  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(listed.out, '', 'the interrupted backup is listed');

  const small = join(dir, 'small');
  await mkdir(small);
  await writeFile(join(small, 'file.txt'), 'small');
  const next = await backupCli(['create', '--source', small, '--repo', repo,
    '--key-file', keyFile, '--json']);
  assert.equal(next.code, 0, next.err);
  assert.match(next.err, new RegExp(`removed data/${partial.replace(/\./g, '\\.')}`));
  assert.match(next.err, /removed locks\/.*\.json/);
  const { id } = JSON.parse(next.out) as { id: string };
  assert.deepEqual(await readdir(join(repo, 'data')), [`${id}.srkb`]);
  assert.deepEqual(await readdir(join(repo, 'locks')), []);
  assert.deepEqual(await readdir(join(repo, 'snapshots')), [`${id}.json`]);
});

test('cleanup keeps a running backup', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = await writeRandomSource(dir, 6, 16 * 1024 * 1024);
  const { child } = spawnBackup(t, ['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  const partial = await waitForPartialArtifact(repo, 1);

  const small = join(dir, 'small');
  await mkdir(small);
  await writeFile(join(small, 'file.txt'), 'small');
  const other = await backupCli(['create', '--source', small, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(other.code, 0, other.err);
  assert.doesNotMatch(other.err, /removed/);

  const [code] = await once(child, 'exit') as [number];
  assert.equal(code, 0, `the first backup failed after the second ran (${partial})`);
  const listed = await backupCli(['list', '--repo', repo, '--json']);
  assert.equal(listed.out.trim().split('\n').length, 2);
});

for (const signal of ['SIGINT', 'SIGHUP'] as const) {
  test(`backup interrupted by ${signal} removes its files`, async (t) => {
    const dir = await tempDir(t);
    const { repo, keyFile } = await newRepository(dir);
    const source = await writeRandomSource(dir, 6, 16 * 1024 * 1024);
    const { child, stderr } = spawnBackup(t, ['create', '--source', source, '--repo', repo,
      '--key-file', keyFile]);
    await waitForPartialArtifact(repo, 1024 * 1024);
    child.kill(signal);
    const [code] = await once(child, 'exit') as [number];

    assert.equal(code, 1, stderr());
    assert.match(stderr(),
      new RegExp(`backup create was interrupted by ${signal} \\[INTERRUPTED\\]`));
    assert.deepEqual(await readdir(join(repo, 'data')), []);
    assert.deepEqual(await readdir(join(repo, 'locks')), []);
    assert.deepEqual(await readdir(join(repo, 'snapshots')).catch(() => []), []);
  });
}

test('interrupted restore leaves no target', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await newRepository(dir);
  const source = await writeRandomSource(dir, 40, 4 * 1024 * 1024);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const work = join(dir, 'work');
  await mkdir(work);

  const { child, stderr } = spawnBackup(t, ['restore', '--repo', repo,
    '--to', join(work, 'target'), '--key-file', keyFile]);
  const deadline = Date.now() + 30_000;
  while ((await readdir(work)).length === 0 && Date.now() < deadline) await delay(10);
  child.kill('SIGINT');
  const [code] = await once(child, 'exit') as [number];

  assert.equal(code, 1, stderr());
  assert.match(stderr(), /backup restore was interrupted by SIGINT \[INTERRUPTED\]/);
  assert.deepEqual(await readdir(work), []);
});

/** Creates a backup of `mebibytes` MiB of random data in a new repository, and an empty one. */
async function repositoriesForCopy(dir: string, mebibytes: number) {
  const { repo, keyFile } = await newRepository(dir);
  const source = await writeRandomSource(dir, Math.ceil(mebibytes / 16), 16 * 1024 * 1024);
  const created = await backupCli(['create', '--source', source, '--repo', repo,
    '--key-file', keyFile]);
  assert.equal(created.code, 0, created.err);
  const target = join(dir, 'target');
  const init = await backupCli(['init', '--repo', target]);
  assert.equal(init.code, 0, init.err);
  return { repo, keyFile, target };
}

for (const signal of ['SIGINT', 'SIGHUP'] as const) {
  test(`copy interrupted by ${signal} removes its files`, async (t) => {
    const dir = await tempDir(t);
    const { repo, target } = await repositoriesForCopy(dir, 160);
    const { child, stderr } = spawnBackup(t, ['copy', '--repo', repo, '--to', target]);
    await waitForPartialArtifact(target, 1024 * 1024);
    child.kill(signal);
    const [code] = await once(child, 'exit') as [number];

    assert.equal(code, 1, stderr());
    assert.match(stderr(),
      new RegExp(`backup copy was interrupted by ${signal} \\[INTERRUPTED\\]`));
    assert.deepEqual(await readdir(join(target, 'data')), []);
    assert.deepEqual(await readdir(join(target, 'locks')), []);
    assert.deepEqual(await readdir(join(target, 'snapshots')).catch(() => []), []);
  });
}

test('copy and prune remove killed copies', async (t) => {
  const dir = await tempDir(t);
  const { repo, target } = await repositoriesForCopy(dir, 160);
  const killCopy = async () => {
    const { child } = spawnBackup(t, ['copy', '--repo', repo, '--to', target]);
    const partial = await waitForPartialArtifact(target, 1024 * 1024);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal((await readdir(join(target, 'locks'))).length, 1, 'the killed copy left no lock');
    return partial;
  };

  const first = await killCopy();
  const pruned = await backupCli(['prune', '--repo', target, '--keep-last', '1']);
  assert.equal(pruned.code, 0, pruned.err);
  assert.match(pruned.err, new RegExp(`removed data/${first.replace(/\./g, '\\.')}`));
  assert.match(pruned.err, /removed locks\/.*\.json/);
  assert.deepEqual(await readdir(join(target, 'data')), []);
  assert.deepEqual(await readdir(join(target, 'locks')), []);

  const second = await killCopy();
  const copied = await backupCli(['copy', '--repo', repo, '--to', target]);
  assert.equal(copied.code, 0, copied.err);
  assert.match(copied.err, new RegExp(`removed data/${second.replace(/\./g, '\\.')}`));
  assert.equal((await readdir(join(target, 'data'))).length, 1);
  assert.deepEqual(await readdir(join(target, 'locks')), []);
});

/** Waits until process `pid` has a file open whose path ends with `suffix`. */
async function waitForOpenFile(pid: number, suffix: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const path = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (path.endsWith(suffix)) return;
    }
    await delay(10);
  }
  throw new Error(`process ${pid} opened no file ending with ${suffix}`);
}

test('interrupted verify exits with INTERRUPTED', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await repositoriesForCopy(dir, 160);
  const { child, stderr } = spawnBackup(t, ['verify', '--repo', repo, '--full',
    '--key-file', keyFile]);
  await waitForOpenFile(child.pid ?? 0, '.srkb');
  child.kill('SIGINT');
  const [code] = await once(child, 'exit') as [number];

  assert.equal(code, 1, stderr());
  assert.match(stderr(), /backup verify was interrupted by SIGINT \[INTERRUPTED\]/);
  assert.deepEqual(await readdir(join(repo, 'verified')).catch(() => []), []);
});

test('interrupted drill removes its scratch copy', async (t) => {
  const dir = await tempDir(t);
  const { repo, keyFile } = await repositoriesForCopy(dir, 160);
  // The drill restores under TMPDIR, so a private one shows what it leaves behind.
  const scratchParent = join(dir, 'tmp');
  await mkdir(scratchParent);
  const { child, stderr } = spawnBackup(t, ['drill', '--repo', repo, '--key-file', keyFile],
    { ...process.env, TMPDIR: scratchParent });
  await waitForOpenFile(child.pid ?? 0, '.srkb');
  child.kill('SIGHUP');
  const [code] = await once(child, 'exit') as [number];

  assert.equal(code, 1, stderr());
  assert.match(stderr(), /backup drill was interrupted by SIGHUP \[INTERRUPTED\]/);
  assert.deepEqual(await readdir(scratchParent), []);
});
