import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DirectoryStore } from './directory-store.js';
import { removeLeftovers } from './leftovers.js';
import { artifactKey, lockKey, manifestKey, Repository } from './repository.js';

const ids = {
  committed: '20260101T000000Z-00000001',
  orphan: '20260101T000000Z-00000002',
  deadLock: '20260101T000000Z-00000003',
  liveLock: '20260101T000000Z-00000004',
  foreignLock: '20260101T000000Z-00000005',
};

async function newRepository(t: TestContext): Promise<Repository> {
  const root = await mkdtemp(join(tmpdir(), 'srekit-leftovers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return new Repository(new DirectoryStore(root));
}

const lock = (host: string, pid: number) =>
  Buffer.from(JSON.stringify({ host, pid, time: new Date().toISOString() }));

test('leftovers keep committed and running backups', async (t) => {
  const repository = await newRepository(t);
  const { store } = repository;
  for (const id of Object.values(ids)) await store.put(artifactKey(id), Buffer.from('data'));
  await store.put(manifestKey(ids.committed), Buffer.from('{}'));
  // Linux allows pids up to 2^22 (PID_MAX_LIMIT), so no process has 2^22 + 1.
  await store.put(lockKey(ids.deadLock), lock(hostname(), 4_194_305));
  await store.put(lockKey(ids.liveLock), lock(hostname(), process.pid));
  await store.put(lockKey(ids.foreignLock), lock(`not-${hostname()}`, 1));

  const removed = await removeLeftovers(repository);

  assert.deepEqual(removed.sort(), [
    artifactKey(ids.orphan), artifactKey(ids.deadLock), lockKey(ids.deadLock),
  ].sort());
  const kept = (await store.list('data/')).map((object) => object.key);
  assert.deepEqual(kept, [ids.committed, ids.liveLock, ids.foreignLock].map(artifactKey));
  const locks = (await store.list('locks/')).map((object) => object.key);
  assert.deepEqual(locks, [ids.liveLock, ids.foreignLock].map(lockKey));
});
