import { PassThrough, type Duplex, type Transform } from 'node:stream';
import { constants, createGunzip, createGzip } from 'node:zlib';
import type { Compression } from './format.js';
import { zstdInWorker, type CodecOptions } from './zstd-codec.js';
import { zstdFrames, type FrameOptions } from './zstd-frames.js';

/**
 * The zstd level for new backups. Level 1 is the fastest regular level. On
 * the benchmark corpus it compresses twice as fast as the default level 3,
 * and the stored size differs by less than 1%.
 */
export const zstdLevel = 1;

/** The gzip level for new backups; 6 is zlib's default. */
export const gzipLevel = constants.Z_DEFAULT_COMPRESSION;

/** Returns a gzip or pass-through stream; zstd runs in worker threads instead. */
function zlibStage(direction: 'compress' | 'decompress', compression: 'gzip' | 'none'): Transform {
  if (compression === 'none') return new PassThrough();
  return direction === 'compress' ? createGzip({ level: gzipLevel }) : createGunzip();
}

/** Options of {@link compressionStage}. */
export interface StageOptions extends Omit<CodecOptions, 'onPlainDigest'> {
  /**
   * Receives the hex SHA-256 of the plain bytes at the end, and their count
   * when the stage counts them.
   */
  onPlainDigest?: (sha256: string, size?: number) => void;
  /**
   * Tar bytes per zstd frame. With a frame size, zstd runs as independent
   * frames on a pool of worker threads. With 0, it decompresses one stream
   * in one worker, which artifacts of format version 1 need.
   */
  frameSize: number;
  /** Decompressing zstd frames only: see {@link FrameOptions.onEntries}. */
  onEntries?: FrameOptions['onEntries'];
  /** Decompressing zstd frames only: see {@link FrameOptions.hashContents}. */
  hashContents?: boolean;
  /** Decompressing zstd frames only: see {@link FrameOptions.discardOutput}. */
  discardOutput?: boolean;

}

/**
 * Returns a pipeline stage that compresses or decompresses with
 * `compression`. zstd runs in worker threads, so it overlaps with the
 * reading, hashing and encryption on the main thread. gzip already runs on
 * libuv's thread pool. Only zstd uses `options`.
 */
export function compressionStage(
  direction: 'compress' | 'decompress', compression: Compression, options: StageOptions,
): Duplex {
  if (compression !== 'zstd') return zlibStage(direction, compression);
  if (direction === 'compress' || options.frameSize > 0) {
    if (options.frameSize <= 0) throw new Error('zstd compression needs a frame size');
    return zstdFrames(direction, {
      frameSize: options.frameSize, level: zstdLevel, recycle: options.recycle,
      onPlainDigest: options.onPlainDigest,
      onEntries: options.onEntries,
      hashContents: options.hashContents,
      discardOutput: options.discardOutput,
    });
  }
  // One frame of format version 1, or frames read in order by one thread. The
  // worker hashes the plain bytes but does not count them.
  const { onPlainDigest } = options;
  return zstdInWorker({
    onPlainDigest: onPlainDigest === undefined ? undefined : (sha256) => onPlainDigest(sha256),
  });
}
