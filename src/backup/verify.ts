import { randomInt } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { SrekitError } from '../common/errors.js';
import { EntryChecker, readArchive } from './archive-reader.js';
import {
  damagedError, openBackup, readPayload, readsEntriesAside, toBackupError, type OpenedBackup,
} from './artifact-reader.js';
import { headerSize, tagSize } from './format.js';
import { HashTap } from './hash-tap.js';
import type { KeyMaterial } from './keys.js';
import type { FileEntry, Manifest } from './manifest.js';
import type { Repository } from './repository.js';
import { openSegment } from './segments.js';
import { UnsafeEntryError } from './entry-rules.js';

/** The depth of a {@link verifyBackup} check. */
export type VerifyMode =
  | { kind: 'quick' }
  | { kind: 'full' }
  | { kind: 'sample'; percent: number };

/** The counts of what one verification read and checked. */
export interface VerifyResult {
  id: string;
  mode: VerifyMode['kind'];
  /** Bytes of the stored artifact read. */
  bytesRead: number;
  /** Segments decrypted, for an encrypted backup. */
  segmentsChecked: number;
}

/**
 * Checks one backup. Quick reads the stored artifact and compares its size
 * and SHA-256 with the manifest, without a key. Full decrypts and
 * decompresses everything, compares the tar stream's SHA-256 and every
 * entry header with the manifest. Sample checks the key and
 * decrypts the given share of segments, always including the last.
 */
export async function verifyBackup(
  repository: Repository, manifest: Manifest, mode: VerifyMode, key?: KeyMaterial,
  onBytes?: (count: number) => void, signal?: AbortSignal,
): Promise<VerifyResult> {
  try {
    if (mode.kind === 'quick') return await verifyQuick(repository, manifest, onBytes, signal);
    const opened = await openBackup(repository.store, manifest, key);
    if (mode.kind === 'full') return await verifyFull(repository, opened, onBytes, signal);
    return await verifySample(repository, opened, mode.percent, signal);
  } catch (error) {
    // Streams fail with a generic AbortError, and the signal's reason names the interruption.
    if (signal?.aborted) throw signal.reason;
    if (error instanceof UnsafeEntryError) throw damagedError(manifest.id, error.message);
    throw toBackupError(manifest.id, error);
  }
}

async function verifyQuick(
  repository: Repository, manifest: Manifest, onBytes?: (count: number) => void,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const tap = new HashTap(onBytes);
  try {
    await pipeline(await repository.store.get(manifest.artifact.key), tap, async (source) => {
      for await (const chunk of source) void chunk;
    }, { signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw damagedError(manifest.id, `its artifact ${manifest.artifact.key} is missing`);
    }
    throw error;
  }
  const sha256 = tap.digest();
  if (tap.bytes !== manifest.artifact.size || sha256 !== manifest.artifact.sha256) {
    throw damagedError(manifest.id, `the artifact has ${tap.bytes} bytes with SHA-256 `
      + `${sha256.slice(0, 12)}…, but the manifest records ${manifest.artifact.size} bytes with `
      + `${manifest.artifact.sha256.slice(0, 12)}…`);
  }
  return { id: manifest.id, mode: 'quick', bytesRead: tap.bytes, segmentsChecked: 0 };
}

async function verifyFull(
  repository: Repository, opened: OpenedBackup, onBytes?: (count: number) => void,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  // With encryption, the GCM tags authenticate every stored byte and the key
  // seals the file list, while the tar stream's SHA-256 covers every file's
  // content. So only an unencrypted backup gets its artifact and each file
  // hashed again. Restore checks each file's hash in every case.
  const unsealed = opened.keys === undefined;
  if (readsEntriesAside(opened.header)) {
    await verifyFrames(repository, opened, onBytes, unsealed, signal);
  } else {
    const payload = await readPayload(repository.store, opened, onBytes,
      { hashArtifact: unsealed });
    try {
      // Verification reads entries without writing them, so setuid bits are no reason to fail.
      await readArchive(payload.tar, opened.files, { allowSetuid: true, hashContents: unsealed },
        async () => {
          signal?.throwIfAborted();
        });
      await payload.done;
    } catch (error) {
      payload.tar.destroy();
      throw error;
    }
  }
  const { size } = opened.manifest.artifact;
  const segmentsChecked = opened.keys === undefined ? 0 : segmentCount(opened, size);
  return { id: opened.manifest.id, mode: 'full', bytesRead: size, segmentsChecked };
}

/**
 * Verifies an artifact in zstd frames: the hash worker reads the entry
 * headers next to hashing the tar stream, so the tar bytes never reach this
 * thread, which only checks the headers against the manifest. With
 * `unsealed`, the artifact is hashed, and the worker also hashes every file,
 * which this thread compares with the list.
 */
async function verifyFrames(
  repository: Repository, opened: OpenedBackup, onBytes: ((count: number) => void) | undefined,
  unsealed: boolean, signal?: AbortSignal,
): Promise<void> {
  const { id } = opened.manifest;
  const checker = new EntryChecker(opened.files, { allowSetuid: true });
  // Entries whose content hash has not arrived yet, in archive order.
  const waitingForContent: FileEntry[] = [];
  const payload = await readPayload(repository.store, opened, onBytes, {
    hashArtifact: unsealed,
    hashContents: unsealed,
    onEntries: (entries, contents) => {
      signal?.throwIfAborted();
      for (const header of entries) {
        const { path, expected } = checker.check(header);
        if (expected.type === 'file' && header.size !== expected.size) {
          throw damagedError(id, `file ${path} has ${header.size ?? 0} bytes, but the manifest `
            + `records ${expected.size}`);
        }
        if (unsealed && header.type !== 'directory') waitingForContent.push(expected);
      }
      for (const sha256 of contents) {
        const expected = waitingForContent.shift();
        if (expected?.type === 'file' && sha256 !== expected.sha256) {
          throw damagedError(id, `file ${expected.path} does not match the SHA-256 in the manifest`);
        }
      }
    },
  });
  const abort = () => payload.tar.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', abort);
  try {
    for await (const chunk of payload.tar) void chunk;
    await payload.done;
    checker.finish();
  } catch (error) {
    payload.tar.destroy();
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

async function verifySample(
  repository: Repository, opened: OpenedBackup, percent: number, signal?: AbortSignal,
): Promise<VerifyResult> {
  const { manifest, header, headerBytes, keys } = opened;
  const stored = await repository.store.stat(manifest.artifact.key);
  if (stored?.size !== manifest.artifact.size) {
    throw damagedError(manifest.id, `the artifact has ${stored?.size ?? 0} bytes, but the `
      + `manifest records ${manifest.artifact.size}`);
  }
  // Without encryption there are no segments to sample, so the whole artifact is hashed.
  if (keys === undefined) {
    return { ...(await verifyQuick(repository, manifest, undefined, signal)), mode: 'sample' };
  }

  const count = segmentCount(opened, stored.size);
  const chosen = chooseSegments(count, percent);
  const recordSize = header.segmentSize + tagSize;
  let bytesRead = 0;
  for (const index of chosen) {
    signal?.throwIfAborted();
    const start = headerSize + index * recordSize;
    const end = Math.min(start + recordSize, stored.size) - 1;
    const record = await buffer(await repository.store.get(manifest.artifact.key, { start, end }));
    bytesRead += record.length;
    openSegment(keys.payload, headerBytes, index, index === count - 1, record);
  }
  return { id: manifest.id, mode: 'sample', bytesRead, segmentsChecked: chosen.length };
}

function segmentCount(opened: OpenedBackup, artifactSize: number): number {
  const recordSize = opened.header.segmentSize + tagSize;
  return Math.max(1, Math.ceil((artifactSize - headerSize) / recordSize));
}

/** Picks `percent` of `count` segment indexes at random, at least one, always with the last. */
function chooseSegments(count: number, percent: number): number[] {
  const target = Math.min(count, Math.max(1, Math.ceil((count * percent) / 100)));
  const chosen = new Set<number>([count - 1]);
  while (chosen.size < target) chosen.add(randomInt(count));
  return [...chosen].sort((a, b) => a - b);
}

/** Throws a usage error unless `value` is a percentage above 0 and at most 100. */
export function parseSamplePercent(value: string): number {
  const percent = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || percent <= 0 || percent > 100) {
    throw new SrekitError('USAGE', `--sample ${value} is not a percentage above 0 and at most 100`);
  }
  return percent;
}
