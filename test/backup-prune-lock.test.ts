import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DirectoryStore } from '../src/backup/directory-store.js';
import { acquireExclusiveLock, type ExclusiveLockRecord } from '../src/backup/lock.js';
import { newRepository, tempDir } from './fixtures/backup/helpers.js';
import { assertSrekitError } from './helpers/errors.js';

const options = { command: 'prune', timing: { ttlMs: 5_000, refreshMs: 50 }, warn: () => {} };

async function readLock(repo: string, key: string): Promise<ExclusiveLockRecord> {
  return JSON.parse(await readFile(join(repo, key), 'utf8')) as ExclusiveLockRecord;
}

test('exclusive lock is refreshed while held', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const store = new DirectoryStore(repo);
  const lock = await acquireExclusiveLock(store, options);
  // Released in the body, not in an after hook: those run in order, so the
  // directory's removal would race the heartbeat's next write.
  try {
    const first = await readLock(repo, lock.key);
    assert.equal(first.pid, process.pid);
    assert.equal(first.refreshed, first.time);
    await delay(300);
    const later = await readLock(repo, lock.key);
    assert.equal(later.time, first.time);
    assert.ok(Date.parse(later.refreshed) > Date.parse(first.refreshed),
      `refreshed ${later.refreshed} is not after ${first.refreshed}`);
    lock.assertHeld();
  } finally {
    await lock.release();
  }
  assert.deepEqual(await readdir(join(repo, 'locks')), []);
});

test('exclusive lock admits one holder', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const store = new DirectoryStore(repo);
  const lock = await acquireExclusiveLock(store, options);

  await assert.rejects(
    acquireExclusiveLock(store, options),
    assertSrekitError('BACKUP_LOCKED', new RegExp(`locked by prune .*pid ${process.pid}`)),
  );
  assert.deepEqual(await readdir(join(repo, 'locks')), [lock.key.slice('locks/'.length)]);

  await lock.release();
  assert.deepEqual(await readdir(join(repo, 'locks')), []);
  const next = await acquireExclusiveLock(store, options);
  await next.release();
});

test('exclusive lock notices its removal', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const store = new DirectoryStore(repo);
  const lock = await acquireExclusiveLock(store, options);
  try {
    await rm(join(repo, lock.key));
    await delay(300);
    assert.throws(() => lock.assertHeld(),
      assertSrekitError('BACKUP_LOCKED', /lost the lock .*removed by another process/));
  } finally {
    await lock.release();
  }
  assert.deepEqual(await readdir(join(repo, 'locks')), []);
});

test('racing acquisitions never both win', async (t) => {
  const dir = await tempDir(t);
  const { repo } = await newRepository(dir);
  const store = new DirectoryStore(repo);
  for (let round = 0; round < 10; round += 1) {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => acquireExclusiveLock(store, options)));
    const held = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    assert.ok(held.length <= 1, `round ${round}: ${held.length} holders`);
    for (const result of results) {
      if (result.status === 'rejected') {
        assertSrekitError('BACKUP_LOCKED', /locked by prune/)(result.reason);
      }
    }
    await Promise.all(held.map((lock) => lock.release()));
    assert.deepEqual(await readdir(join(repo, 'locks')), [], `round ${round} left a lock`);
  }
});
