import { PassThrough, type Transform } from 'node:stream';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { CompressStream, DecompressStream } from 'zstd-napi';
import type { Compression } from './format.js';

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
