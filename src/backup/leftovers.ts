import { hostname } from 'node:os';
import { buffer } from 'node:stream/consumers';
import type { LockOwner, Repository } from './repository.js';

const idPattern = /(\d{8}T\d{6}Z-[0-9a-f]{8})/;

/**
 * Removes what interrupted `backup create` and `backup copy` runs left
 * behind: artifacts and temporary uploads without a manifest, and their
 * locks. A backup whose lock names a live process on this host is still being
 * written and is kept, as is one locked from another host, because its
 * process cannot be checked from here. Returns the keys and handles it removed.
 */
export async function removeLeftovers(repository: Repository): Promise<string[]> {
  const { store } = repository;
  const committed = new Set((await store.list('snapshots/')).map((object) => idOf(object.key)));
  const { active, stale } = await readLocks(repository);
  const removed: string[] = [];
  const abandoned = (id: string | undefined) => id !== undefined && !active.has(id);

  for (const object of await store.list('data/')) {
    const id = idOf(object.key);
    if (committed.has(id) || !abandoned(id)) continue;
    await store.delete(object.key);
    removed.push(object.key);
  }
  for (const prefix of ['data/', 'snapshots/', 'locks/']) {
    for (const upload of await store.listPartial(prefix)) {
      if (!abandoned(idOf(upload.key))) continue;
      await store.removePartial(upload);
      removed.push(upload.handle);
    }
  }
  for (const key of stale) {
    await store.delete(key);
    removed.push(key);
  }
  return removed;
}

interface LockState {
  active: Set<string>;
  stale: string[];
}

async function readLocks(repository: Repository): Promise<LockState> {
  const active = new Set<string>();
  const stale: string[] = [];
  for (const object of await repository.store.list('locks/')) {
    const id = idOf(object.key);
    if (id === undefined) continue;
    const owner = await readOwner(repository, object.key);
    if (owner !== undefined && isAlive(owner)) active.add(id);
    else stale.push(object.key);
  }
  return { active, stale };
}

async function readOwner(repository: Repository, key: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse((await buffer(await repository.store.get(key))).toString('utf8')) as LockOwner;
  } catch {
    // A lock that cannot be read was cut short by a crash, so no process owns it.
    return undefined;
  }
}

// NOTE: a lock whose pid now belongs to an unrelated process counts as live,
// so that backup's leftovers stay until the process ends.
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function idOf(key: string): string | undefined {
  return idPattern.exec(key)?.[1];
}
