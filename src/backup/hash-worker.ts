import { createHash, type Hash } from 'node:crypto';
import type { Headers } from 'tar-stream';
import { parentPort, workerData } from 'node:worker_threads';
import { TarWalker } from './tar-walker.js';

/**
 * The body of the worker thread that {@link BackgroundHash}
 * (background-hash.ts) starts. It computes one SHA-256 over all the bytes
 * it receives, in the order they arrive, and optionally one SHA-256 per
 * file over the spans of those bytes that belong to each file. With
 * {@link HashWorkerSettings.walkTar} it also reads the bytes as a tar
 * stream and returns the headers of its entries.
 */

/** The settings passed as workerData. */
export interface HashWorkerSettings {
  walkTar: boolean;
  /** With walkTar: hashes each entry's content too. */
  hashContents?: boolean;
}

/** The part `[start, end)` of a request's bytes that belongs to file `file`. */
export type FileSpan = [file: number, start: number, end: number];

/** A request: the next bytes to hash, or `end` to get the digest. */
export interface HashRequest {
  sequence: number;
  bytes?: Uint8Array;
  /** The spans of `bytes` that belong to files. */
  spans?: FileSpan[];
  /** Files whose last bytes came in this request or earlier, to digest now. */
  finished?: number[];
  end?: boolean;
}

/** The reply to a request, with the request's bytes when they were moved here. */
export interface HashReply {
  sequence: number;
  bytes?: Uint8Array;
  /** The digests of the request's finished files, as `[file, hex SHA-256]`. */
  files?: [number, string][];
  /** The hex digest of all bytes, after `end`. */
  sha256?: string;
  /** The headers of the tar entries that start in the request's bytes. */
  entries?: Headers[];
  /** The SHA-256 of the contents that end in the request's bytes, for entries but directories. */
  contents?: string[];
  error?: string;
}

const settings = (workerData ?? { walkTar: false }) as HashWorkerSettings;
const walker = settings.walkTar ? new TarWalker(settings.hashContents === true) : undefined;
const whole = createHash('sha256');
const files = new Map<number, Hash>();

function fileHash(file: number): Hash {
  let hash = files.get(file);
  if (hash === undefined) {
    hash = createHash('sha256');
    files.set(file, hash);
  }
  return hash;
}

parentPort?.on('message', (request: HashRequest) => {
  const { bytes } = request;
  const reply: HashReply = { sequence: request.sequence };
  if (bytes !== undefined) whole.update(bytes);
  try {
    if (bytes !== undefined && walker !== undefined) {
      reply.entries = walker.push(bytes);
      reply.contents = walker.takeDigests();
    }
    if (request.end === true) walker?.end();
  } catch (error) {
    reply.error = (error as Error).message;
  }
  for (const [file, start, end] of request.spans ?? []) {
    if (bytes !== undefined) fileHash(file).update(bytes.subarray(start, end));
  }
  if (request.finished !== undefined && request.finished.length > 0) {
    reply.files = request.finished.map((file) => {
      const digest = fileHash(file).digest('hex');
      files.delete(file);
      return [file, digest];
    });
  }
  if (request.end === true) reply.sha256 = whole.digest('hex');
  const moved = bytes !== undefined && !(bytes.buffer instanceof SharedArrayBuffer);
  if (moved) reply.bytes = bytes;
  parentPort?.postMessage(reply, moved ? [bytes.buffer as ArrayBuffer] : []);
});
