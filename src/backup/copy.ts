import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SrekitError } from '../common/errors.js';
import { HashTap } from './hash-tap.js';
import type { Manifest } from './manifest.js';
import { manifestKey, type Repository } from './repository.js';

/** The outcome of {@link copyBackup} for one backup. */
export interface CopyResult {
  id: string;
  status: 'copied' | 'skipped';
  /** Artifact bytes written to the target, 0 when skipped. */
  bytes: number;
}

/**
 * Copies backup `manifest` from `source` to `target`, unless the target
 * already has its manifest. The copied artifact is read back from the
 * target and its size and SHA-256 compared with the manifest before the
 * manifest is written, so the copy exists only once its data is proven.
 * A failed or aborted copy removes the artifact it wrote. While it runs, the
 * copy holds the backup's lock in the target, as `create` does.
 */
export async function copyBackup(
  source: Repository, target: Repository, manifest: Manifest,
  onBytes?: (count: number) => void, signal?: AbortSignal,
): Promise<CopyResult> {
  if ((await target.store.stat(manifestKey(manifest.id))) !== undefined) {
    return { id: manifest.id, status: 'skipped', bytes: 0 };
  }
  const { key } = manifest.artifact;
  // The lock marks the artifact as being written, so that a `create` in the
  // target does not remove it as a leftover before its manifest exists.
  await target.lock(manifest.id);
  try {
    const output = new PassThrough();
    const reading = pipeline(await source.store.get(key), new HashTap(onBytes), output,
      { signal });
    const [, bytes] = await Promise.all([reading, target.store.put(key, output, signal)]);
    await assertCopyMatches(target, manifest);
    await target.commit(manifest);
    return { id: manifest.id, status: 'copied', bytes };
  } catch (error) {
    await target.store.delete(key);
    // Streams fail with a generic AbortError, and the signal's reason names the interruption.
    throw signal?.aborted ? signal.reason : error;
  } finally {
    await target.unlock(manifest.id);
  }
}

/** Reads the artifact back from `target` and throws BACKUP_DAMAGED unless it matches. */
async function assertCopyMatches(target: Repository, manifest: Manifest): Promise<void> {
  const tap = new HashTap();
  await pipeline(await target.store.get(manifest.artifact.key), tap, async (chunks) => {
    for await (const chunk of chunks) void chunk;
  });
  const sha256 = tap.digest();
  if (tap.bytes !== manifest.artifact.size || sha256 !== manifest.artifact.sha256) {
    throw new SrekitError('BACKUP_DAMAGED', `copy of backup ${manifest.id} to `
      + `${target.store.location} read back ${tap.bytes} bytes with SHA-256 `
      + `${sha256.slice(0, 12)}…, but the manifest records ${manifest.artifact.size} bytes with `
      + `${manifest.artifact.sha256.slice(0, 12)}…; the copy was removed`, {
      hint: 'run `srekit backup verify` on the source repository to check the original',
    });
  }
}
