import { buffer } from 'node:stream/consumers';
import type { Manifest } from './manifest.js';
import type { Repository } from './repository.js';
import type { VerifyResult } from './verify.js';

/**
 * The key of backup `id`'s verify record. `backup verify` writes it after a
 * check passes, and `backup prune` never removes the newest backup of a
 * class that has one.
 */
export const verifyRecordKey = (id: string) => `verified/${id}.json`;

/** The contents of a verify record. */
export interface VerifyRecord {
  id: string;
  /** When the check passed, ISO 8601 UTC. */
  time: string;
  mode: VerifyResult['mode'];
}

/** Stores that `result`'s backup passed a check just now. */
export async function writeVerifyRecord(repository: Repository, result: VerifyResult):
  Promise<void> {
  const record: VerifyRecord = { id: result.id, time: new Date().toISOString(), mode: result.mode };
  await repository.store.put(verifyRecordKey(result.id),
    Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
}

/** Removes backup `id`'s verify record, if it has one. */
export async function removeVerifyRecord(repository: Repository, id: string): Promise<void> {
  await repository.store.delete(verifyRecordKey(id));
}

/**
 * Returns the newest backup among `manifests` that has a verify record, or
 * undefined. A record that is not valid JSON for its own id does not count,
 * so the protection falls to the next older backup with a valid record.
 */
export async function newestVerified(repository: Repository, manifests: Manifest[]):
  Promise<Manifest | undefined> {
  const recorded = new Set<string>();
  for (const object of await repository.store.list('verified/')) {
    const id = /^verified\/(.+)\.json$/.exec(object.key)?.[1];
    if (id !== undefined && (await readRecord(repository, object.key))?.id === id) recorded.add(id);
  }
  return [...manifests].reverse().find((manifest) => recorded.has(manifest.id));
}

async function readRecord(repository: Repository, key: string): Promise<VerifyRecord | undefined> {
  try {
    return JSON.parse((await buffer(await repository.store.get(key))).toString('utf8')) as
      VerifyRecord;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
