import { randomBytes } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as createPack, type Pack } from 'tar-stream';
import { compressionStage } from './compression.js';
import {
  defaultFrameSize, defaultSegmentSize, encodeHeader, type ArtifactHeader, type Compression,
} from './format.js';
import { HashTap } from './hash-tap.js';
import { deriveKeys, newScryptParameters, type BackupKeys, type KeyMaterial } from './keys.js';
import { EncryptStream } from './segments.js';
import type { Store } from './store.js';
import { TarWriter } from './tar-writer.js';

/** Options of {@link writeArtifact}. */
export interface ArtifactOptions {
  compression: Compression;
  /** The secret to encrypt with; the artifact is stored in plain when undefined. */
  key?: KeyMaterial;
  segmentSize?: number;
  /** Tar bytes per zstd frame; {@link defaultFrameSize} unless a test needs small frames. */
  frameSize?: number;
  signal?: AbortSignal;
}

/** The sizes and hashes of a stored artifact and of the tar stream inside it. */
export interface WrittenArtifact {
  artifact: { key: string; size: number; sha256: string };
  archive: { size: number; sha256: string };
  /** The derived keys, for sealing the manifest's file list; undefined without encryption. */
  keys?: BackupKeys;
}

/**
 * Streams the tar archive that `produce` adds to a pack through compression
 * and encryption into `store` under `key`. Memory stays bounded by stream
 * buffers and one segment, whatever the archive's size.
 */
export async function writeArtifact(
  store: Store,
  key: string,
  produce: (pack: Pack) => Promise<void>,
  options: ArtifactOptions,
): Promise<WrittenArtifact> {
  const pack = createPack();
  // Tar-stream emits 512-byte headers one by one, and both zstd and the
  // store pay a cost per chunk.
  return storeTar(store, key, pack, async () => {
    await produce(pack);
    pack.finalize();
  }, { ...options, gather: true });
}

/**
 * Works like {@link writeArtifact}, but `produce` writes the archive with a
 * {@link TarWriter}, which is faster for whole directory trees. The writer
 * is ended after `produce` resolves.
 */
export async function writeTarArtifact(
  store: Store,
  key: string,
  produce: (tar: TarWriter) => Promise<void>,
  options: ArtifactOptions,
): Promise<WrittenArtifact> {
  // With zstd each chunk is one whole frame, which moves to a worker without a copy.
  const chunkBytes = options.compression === 'zstd'
    ? (options.frameSize ?? defaultFrameSize) : 1024 * 1024;
  // Two chunks may wait here while the compressor works on others.
  const tarBytes = new PassThrough({ highWaterMark: 2 * chunkBytes });
  // The zstd stage hands chunks back; gzip and none keep no count of theirs.
  const writer = new TarWriter(tarBytes, chunkBytes, options.compression === 'zstd');
  const written = await storeTar(store, key, tarBytes, async () => {
    try {
      await produce(writer);
      await writer.end();
    } catch (error) {
      await writer.abandon();
      throw error;
    }
  }, { ...options, recycle: writer.recycle, hashed: true });
  return { ...written, archive: { ...written.archive, sha256: writer.sha256 } };
}

async function storeTar(
  store: Store,
  key: string,
  tar: Readable,
  produce: () => Promise<void>,
  options: ArtifactOptions & {
    recycle?: (chunk: Buffer) => void;
    gather?: boolean;
    /** The producer hashes the tar stream itself, so this function only counts it. */
    hashed?: boolean;
  },
): Promise<WrittenArtifact> {
  const { header, keys } = await newHeader(options);
  const headerBytes = encodeHeader(header);
  const tarTap = new HashTap(undefined, options.hashed !== true);
  const artifactTap = new HashTap();
  const output = new PassThrough();

  let packError: unknown;
  const packing = produce().catch((error: unknown) => {
    packError = error ?? new Error('packing failed');
    tar.destroy(error as Error);
  });
  const framing = keys === undefined
    ? [coalesce(64 * 1024, headerBytes)]
    : [new EncryptStream(keys.payload, headerBytes, header.segmentSize)];
  const gathering = options.gather === true ? [coalesce(128 * 1024)] : [];
  const streaming = pipeline(tar, tarTap, ...gathering,
    compressionStage('compress', options.compression, {
      recycle: options.recycle, frameSize: header.frameSize,
    }), ...framing,
    artifactTap, output, { signal: options.signal });
  const storing = store.put(key, output, options.signal);
  const [streamed, stored] = await Promise.allSettled([streaming, storing]);
  const failures = [packError, rejection(stored), rejection(streamed)]
    .filter((error) => error !== undefined);
  // NOTE: after a pipeline failure a tar-stream producer may wait forever on
  // a destroyed pack. Its promise is dropped, and it keeps at most one source
  // file open. A TarWriter producer fails instead, once its output closes.
  if (failures.length > 0) throw rootCause(failures);
  await packing;

  return {
    artifact: { key, size: artifactTap.bytes, sha256: artifactTap.digest() },
    // A producer that hashes the stream itself replaces this digest.
    archive: { size: tarTap.bytes, sha256: options.hashed === true ? '' : tarTap.digest() },
    keys,
  };
}

function rejection(result: PromiseSettledResult<unknown>): unknown {
  return result.status === 'rejected' ? result.reason : undefined;
}

/**
 * Returns the error that caused the others. A stage stopped by another
 * stage's failure reports only an abort or a premature close, as the
 * producer does when the store fails with ENOSPC. So the first error of
 * another kind in `failures` wins, and the caller lists the producer's
 * error first, then the store's, then the pipeline's.
 */
function rootCause(failures: unknown[]): unknown {
  const consequences = new Set([
    'ABORT_ERR', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED',
  ]);
  const isConsequence = (error: unknown) =>
    consequences.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
  return failures.find((error) => !isConsequence(error)) ?? failures[0];
}

async function newHeader(options: ArtifactOptions):
  Promise<{ header: ArtifactHeader; keys?: BackupKeys }> {
  const source = options.key?.source ?? 'none';
  const header: ArtifactHeader = {
    compression: options.compression,
    frameSize: options.compression === 'zstd' ? (options.frameSize ?? defaultFrameSize) : 0,
    keySource: source,
    segmentSize: options.key === undefined ? 0 : (options.segmentSize ?? defaultSegmentSize),
    hkdfSalt: options.key === undefined ? Buffer.alloc(32) : randomBytes(32),
    scrypt: newScryptParameters(source),
    keyCheck: Buffer.alloc(32),
  };
  if (options.key === undefined) return { header };
  const keys = await deriveKeys(options.key, header);
  header.keyCheck = keys.check;
  return { header, keys };
}

/**
 * Returns a stream that writes `first` and then the data that passes
 * through it, gathered into chunks of at least `limit` bytes (except the
 * last).
 */
function coalesce(limit: number, first: Buffer = Buffer.alloc(0)): Transform {
  let pending: Buffer[] = [first];
  let pendingBytes = first.length;
  const flushPending = (stream: Transform) => {
    if (pendingBytes > 0) stream.push(Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= limit) flushPending(this);
      done();
    },
    flush(done) {
      flushPending(this);
      done();
    },
  });
}
