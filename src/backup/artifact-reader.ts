import type { Readable } from 'node:stream';
import type { Headers } from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import { SrekitError } from '../common/errors.js';
import { compressionStage } from './compression.js';
import { decodeHeader, headerSize, HeaderError, type ArtifactHeader } from './format.js';
import { HashTap } from './hash-tap.js';
import { deriveKeys, keyMatches, type BackupKeys, type KeyMaterial } from './keys.js';
import { openFileList, type FileEntry, type Manifest } from './manifest.js';
import { DamagedArtifactError, DecryptStream, StripHeaderStream } from './segments.js';
import type { Store } from './store.js';

/** A backup's artifact header, checked and unlocked with the user's key. */
export interface OpenedBackup {
  manifest: Manifest;
  header: ArtifactHeader;
  headerBytes: Buffer;
  keys?: BackupKeys;
  files: FileEntry[];
}

/**
 * Reads the header of `manifest`'s artifact and checks `material` against
 * its key check value, so a wrong key fails here with exit code 12 before
 * any data is read, and never looks like damage.
 */
export async function openBackup(
  store: Store, manifest: Manifest, material: KeyMaterial | undefined,
): Promise<OpenedBackup> {
  const { id } = manifest;
  const headerBytes = await readHeaderBytes(store, manifest);
  let header: ArtifactHeader;
  try {
    header = decodeHeader(headerBytes);
  } catch (error) {
    if (error instanceof HeaderError) throw damagedError(id, error.message);
    throw error;
  }
  if (header.keySource === 'none') {
    return { manifest, header, headerBytes, files: manifest.files ?? [] };
  }
  const keys = await unlock(id, header, material);
  if (manifest.sealedFiles === undefined) throw damagedError(id, 'the manifest has no file list');
  try {
    const files = openFileList(keys.fileList, id, manifest.sealedFiles);
    return { manifest, header, headerBytes, keys, files };
  } catch (error) {
    throw damagedError(id, (error as Error).message);
  }
}

async function unlock(
  id: string, header: ArtifactHeader, material: KeyMaterial | undefined,
): Promise<BackupKeys> {
  const option = header.keySource === 'passphrase' ? '--passphrase-env' : '--key-file';
  if (material === undefined) {
    throw new SrekitError('BACKUP_WRONG_KEY', `backup ${id} is encrypted and no key was given`, {
      hint: `give its ${header.keySource} with ${option}`,
    });
  }
  if (material.source !== header.keySource) {
    throw new SrekitError('BACKUP_WRONG_KEY', `backup ${id} was encrypted with a `
      + `${header.keySource}, not a ${material.source}`, { hint: `give it with ${option}` });
  }
  const keys = await deriveKeys(material, header);
  if (!keyMatches(keys, header.keyCheck)) {
    throw new SrekitError('BACKUP_WRONG_KEY', `the ${material.source} ${material.origin} is not `
      + `the key of backup ${id}`, { hint: `give the ${header.keySource} the backup was made with` });
  }
  return keys;
}

/** The tar stream of an opened backup, and the checks to run once it has been read. */
export interface PayloadReader {
  tar: Readable;
  /** Resolves when the artifact was read completely and its size and SHA-256 match. */
  done: Promise<void>;
}

/** Options of {@link readPayload}. */
export interface PayloadOptions {
  /** Hashes the stored artifact; without, only its size is checked. */
  hashArtifact?: boolean;
  /**
   * Receives the tar entries' headers, read on a worker thread, in place of
   * the tar stream, which then stays empty. Only artifacts in zstd frames
   * (see {@link readsEntriesAside}) support it.
   */
  onEntries?: (entries: Headers[], contents: string[]) => void;
  /** With `onEntries`: hashes each entry's content too, as {@link FrameOptions.hashContents}. */
  hashContents?: boolean;
  /**
   * Decompresses zstd in one worker thread, which also hashes the tar
   * stream, in place of a pool of threads and a hash thread.
   */
  singleThread?: boolean;
}

/** Returns true when {@link readPayload} can read `header`'s entries on a worker thread. */
export function readsEntriesAside(header: ArtifactHeader): boolean {
  return header.compression === 'zstd' && header.frameSize > 0;
}

/**
 * Streams an opened backup's artifact through decryption and decompression
 * into a tar stream, hashing the artifact and the tar on the way.
 */
export async function readPayload(
  store: Store, opened: OpenedBackup, onBytes?: (count: number) => void,
  options: PayloadOptions = {},
): Promise<PayloadReader> {
  const { manifest, header, headerBytes, keys } = opened;
  const hashArtifact = options.hashArtifact ?? true;
  const artifactTap = new HashTap(onBytes, hashArtifact);
  // The zstd stages hash the tar stream on a worker thread, off this one.
  let tarDigest: { sha256: string; size?: number } | undefined;
  const tarTap = new HashTap(undefined, header.compression !== 'zstd');
  const decompress = compressionStage('decompress', header.compression, {
    // A stream decoder reads a sequence of frames as well as one frame.
    frameSize: options.singleThread === true ? 0 : header.frameSize,
    onPlainDigest: (sha256, size) => { tarDigest = { sha256, size }; },
    onEntries: options.onEntries,
    hashContents: options.hashContents,
    discardOutput: options.onEntries !== undefined,
  });
  const unframe = keys === undefined
    ? new StripHeaderStream(headerBytes)
    : new DecryptStream(keys.payload, headerBytes, header.segmentSize);
  const input = await store.get(manifest.artifact.key);
  const streaming = pipeline(input, artifactTap, unframe, decompress, tarTap)
    .catch((error: unknown) => {
      throw toBackupError(manifest.id, error);
    });
  const done = streaming.then(() => {
    if (hashArtifact) checkDigest(manifest.id, 'artifact', artifactTap, manifest.artifact);
    else checkSize(manifest.id, artifactTap.bytes, manifest.artifact.size);
    checkDigest(manifest.id, 'tar stream', tarTap, manifest.archive, tarDigest);
  });
  // A caller that fails first never awaits `done`, so its rejection is handled here.
  done.catch(() => {});
  return { tar: tarTap, done };
}

/**
 * Converts an error from reading a backup into the error to report.
 * Decryption, decompression and tar parsing report bad data with errors that
 * have no system error code, so such an error counts as damage. Errors with
 * a system error code (from the store or the file system), srekit's own
 * errors, TypeError and ReferenceError pass through unchanged.
 */
export function toBackupError(id: string, error: unknown): unknown {
  if (error instanceof DamagedArtifactError) return damagedError(id, error.message);
  if (!(error instanceof Error) || error instanceof SrekitError) return error;
  if (error instanceof TypeError || error instanceof ReferenceError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  // zlib reports bad input with codes such as Z_DATA_ERROR and Z_BUF_ERROR.
  if (code !== undefined && !code.startsWith('Z_')) return error;
  return damagedError(id, `the payload could not be decoded: ${error.message}`);
}

function checkDigest(
  id: string, stream: string, tap: HashTap, expected: { size: number; sha256: string },
  computed?: { sha256: string; size?: number },
): void {
  const actual = computed?.sha256 ?? tap.digest();
  const bytes = computed?.size ?? tap.bytes;
  if (bytes !== expected.size || actual !== expected.sha256) {
    throw damagedError(id, `the ${stream} has ${bytes} bytes with SHA-256 ${actual.slice(0, 12)}…, `
      + `but the manifest records ${expected.size} bytes with ${expected.sha256.slice(0, 12)}…`);
  }
}

function checkSize(id: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw damagedError(id, `the artifact has ${actual} bytes, but the manifest records ${expected}`);
  }
}

async function readHeaderBytes(store: Store, manifest: Manifest): Promise<Buffer> {
  try {
    return await buffer(await store.get(manifest.artifact.key, { start: 0, end: headerSize - 1 }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw damagedError(manifest.id, `its artifact ${manifest.artifact.key} is missing`);
    }
    throw error;
  }
}

/**
 * Returns the BACKUP_DAMAGED error for backup `id`. The hint names the next
 * step for any command that finds the damage, `verify --full` included.
 */
export function damagedError(id: string, reason: string): SrekitError {
  return new SrekitError('BACKUP_DAMAGED', `backup ${id} is damaged: ${reason}`, {
    hint: 'restore an older backup, and find the intact ones with '
      + '`srekit backup verify --all --full`',
  });
}
