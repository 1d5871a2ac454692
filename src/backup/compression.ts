import { PassThrough, type Duplex, type Transform } from 'node:stream';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { CompressStream, DecompressStream } from 'zstd-napi';
import type { Compression } from './format.js';
import { zstdInWorker, type CodecOptions } from './zstd-codec.js';

/** The zstd level for new backups; level 3 is zstd's own default. */
export const zstdLevel = 3;

/** The gzip level for new backups; 6 is zlib's default. */
export const gzipLevel = constants.Z_DEFAULT_COMPRESSION;

/** Returns a stream that compresses with `compression`. */
export function compressor(compression: Compression): Transform {
  if (compression === 'zstd') return new CompressStream({ compressionLevel: zstdLevel });
  if (compression === 'gzip') return createGzip({ level: gzipLevel });
  return new PassThrough();
}

/** Returns a stream that undoes {@link compressor}. */
export function decompressor(compression: Compression): Transform {
  if (compression === 'zstd') return new DecompressStream();
  if (compression === 'gzip') return createGunzip();
  return new PassThrough();
}

/**
 * Returns a pipeline stage that compresses or decompresses with
 * `compression`. zstd runs in a worker thread, so it overlaps with the
 * reading, hashing and encryption on the main thread. gzip already runs on
 * libuv's thread pool. Only zstd uses `options`.
 */
export function compressionStage(
  direction: 'compress' | 'decompress', compression: Compression, options: CodecOptions = {},
): Duplex {
  if (compression === 'zstd') {
    return zstdInWorker(direction, { ...options, level: zstdLevel });
  }
  return direction === 'compress' ? compressor(compression) : decompressor(compression);
}
