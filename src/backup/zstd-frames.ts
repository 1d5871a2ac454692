import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import type { Headers } from 'tar-stream';
import { Worker } from 'node:worker_threads';
import { BackgroundHash } from './background-hash.js';
import type { FrameReply, FrameRequest, FrameWorkerSettings } from './zstd-frame-worker.js';

// The native binding is a CommonJS module whose exports ESM cannot name statically.
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as
  typeof import('zstd-napi/binding.js');

/** Options of {@link zstdFrames}. */
export interface FrameOptions {
  /** Plain bytes per frame: every frame but the last contains exactly this many. */
  frameSize: number;
  /** The zstd compression level; decompression ignores it. */
  level?: number;
  /** Receives each input chunk that the stage no longer needs, so its memory can be reused. */
  recycle?: (input: Buffer) => void;
  /**
   * Decompression only: receives the hex SHA-256 of the plain bytes before
   * the stream ends. A worker thread computes it when this is set.
   */
  onPlainDigest?: (sha256: string, size: number) => void;
  /**
   * Decompression only: receives the headers of the tar entries in the
   * plain bytes, read on the hash worker, in order. An error it throws
   * fails the stream.
   */
  onEntries?: (entries: Headers[], contents: string[]) => void;
  /**
   * Decompression with `onEntries` only: hashes each entry's content on the
   * hash worker, and hands the SHA-256 of every entry but directories to
   * `onEntries`, in entry order, once its content is complete.
   */
  hashContents?: boolean;
  /** Decompression only: the plain bytes are hashed and read, then dropped, not pushed. */
  discardOutput?: boolean;
}

/** Frames handed to each worker before the stage waits for replies. */
const framesInFlightPerWorker = 2;

/** Buffers kept for reuse, per kind, so that a gigabyte of data does not churn the allocator. */
const maxSpareBuffers = 4;

/** The size of the pieces that leave the stream. */
const pieceSize = 64 * 1024;

/**
 * Returns a stream that compresses into, or decompresses from, a sequence of
 * independent zstd frames, each containing `frameSize` plain bytes but the
 * last. Frames go to a pool of worker threads and come out in order, so
 * compression and decompression use every core. Compressed output is a
 * valid zstd stream that `zstd -d` reads as a whole. Decompression accepts
 * only frames that record their size and contain at most `frameSize` bytes,
 * which bounds its memory whatever the input. Input chunks of exactly
 * `frameSize` bytes that own their memory, and shared memory, reach the
 * workers without a copy.
 */
export function zstdFrames(mode: FrameWorkerSettings['mode'], options: FrameOptions): Transform {
  return mode === 'compress' ? new CompressFrames(options) : new DecompressFrames(options);
}

/** The part shared by both directions: dispatch to the pool and emit replies in order. */
abstract class FrameStream extends Transform {
  private pool?: WorkerPool;
  private readonly plainHash?: BackgroundHash;
  private nextSequence = 0;
  /** The next frame to leave the pool, and the next to leave the stream. */
  private nextFromPool = 0;
  private nextToPush = 0;
  private readonly finished = new Map<number, Buffer>();
  /** Output buffers free for the next frames. */
  protected readonly spareOutputs: Buffer[] = [];
  /** Decompressed bytes so far. */
  private plainBytes = 0;
  private waitingTransform?: TransformCallback;
  private flushed?: TransformCallback;

  constructor(
    private readonly mode: FrameWorkerSettings['mode'], protected readonly options: FrameOptions,
  ) {
    super();
    if (options.onPlainDigest !== undefined || options.onEntries !== undefined) {
      this.plainHash = new BackgroundHash({
        walkTar: options.onEntries !== undefined, hashContents: options.hashContents === true,
      });
    }
  }

  /** Receives each input back from the pool. */
  protected abstract onInputReturned(input: Buffer, sequence: number): void;

  /**
   * Sends the next frame to the pool, with a buffer for its output when
   * there is a spare one, and returns its sequence number. With
   * `ownsInput`, the input's whole buffer belongs to this stream and moves
   * to the worker even when the input is only part of it.
   */
  protected dispatch(input: Uint8Array, output?: Uint8Array, ownsInput = false): number {
    const sequence = this.nextSequence;
    this.nextSequence += 1;
    this.workers().send({ sequence, input, output }, ownsInput);
    return sequence;
  }

  /** Keeps an output buffer that no one uses any more for a later frame. */
  protected recycleOutput(output: Buffer): void {
    const whole = Buffer.from(output.buffer, 0, output.buffer.byteLength);
    if (whole.length >= this.options.frameSize && this.spareOutputs.length < maxSpareBuffers) {
      this.spareOutputs.push(whole);
    }
  }

  /** Calls `done` now, or once a frame leaves the stream and makes room. */
  protected continueWhenRoom(done: TransformCallback): void {
    if (this.inFlight() < this.workers().size * framesInFlightPerWorker) done();
    else this.waitingTransform = done;
  }

  protected finishWhenDone(done: TransformCallback): void {
    if (this.inFlight() === 0) {
      this.close(done);
      return;
    }
    this.flushed = done;
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.stopThreads().then(() => done(error), () => done(error));
  }

  /** Stops the worker threads. Calling it again does nothing. */
  private async stopThreads(): Promise<void> {
    await Promise.all([this.pool?.close(), this.plainHash?.close()]);
  }

  private inFlight(): number {
    return this.nextSequence - this.nextToPush;
  }

  private workers(): WorkerPool {
    if (this.pool !== undefined) return this.pool;
    const { frameSize, level = 3 } = this.options;
    // One worker per core, at most four.
    const count = Math.min(4, availableParallelism());
    this.pool = new WorkerPool(Math.max(1, count), { mode: this.mode, level, frameSize },
      (reply) => this.onReply(reply), (error) => this.destroy(error));
    return this.pool;
  }

  private onReply(reply: FrameReply): void {
    if (reply.input.byteLength > 0) this.onInputReturned(toBuffer(reply.input), reply.sequence);
    if (reply.error !== undefined) {
      this.destroy(new Error(`zstd ${this.mode}: ${reply.error}`));
      return;
    }
    this.finished.set(reply.sequence, toBuffer(reply.output).subarray(0, reply.length));
    for (let output = this.finished.get(this.nextFromPool); output !== undefined;
      output = this.finished.get(this.nextFromPool)) {
      this.finished.delete(this.nextFromPool);
      this.nextFromPool += 1;
      this.leave(output);
    }
  }

  /**
   * Pushes the next frame's output, after the hash worker has read it when
   * the plain bytes are hashed. The worker replies in order, so frames
   * leave in order.
   */
  private leave(output: Buffer): void {
    const hash = this.mode === 'decompress' ? this.plainHash : undefined;
    if (this.mode === 'decompress') this.plainBytes += output.length;
    if (hash === undefined || output.length === 0) {
      this.pushed(output);
      return;
    }
    hash.update(output).then(({ bytes, entries, contents }) => {
      if (entries.length > 0 || contents.length > 0) this.options.onEntries?.(entries, contents);
      if (this.options.discardOutput !== true) {
        this.pushed(toBuffer(bytes));
        return;
      }
      this.recycleOutput(toBuffer(bytes));
      this.pushed(Buffer.alloc(0));
    }).catch((error: unknown) => this.destroy(error as Error));
  }

  private pushed(output: Buffer): void {
    this.nextToPush += 1;
    // Small copies leave the stream, and the frame-sized buffer serves the
    // next frame. The allocator reuses small blocks readily, while large ones
    // freed at the garbage collector's pace pile up in memory.
    for (let offset = 0; offset < output.length; offset += pieceSize) {
      this.push(Buffer.from(output.subarray(offset, Math.min(output.length, offset + pieceSize))));
    }
    if (output.length > 0) this.recycleOutput(output);
    if (this.flushed !== undefined) {
      if (this.inFlight() === 0) this.close(this.flushed);
      return;
    }
    const waiting = this.waitingTransform;
    this.waitingTransform = undefined;
    waiting?.();
  }

  /** Hands over the plain digest, then stops the threads, and ends the stream. */
  private close(done: TransformCallback): void {
    const hash = this.plainHash;
    const digest = hash === undefined ? Promise.resolve()
      : hash.digest().then(({ sha256 }) => this.options.onPlainDigest?.(sha256, this.plainBytes));
    // The threads stop whether or not the digest arrives.
    digest
      .finally(() => this.stopThreads())
      .then(() => done(), (error: Error) => done(error));
  }
}

/** Gathers plain input into frames of `frameSize` bytes and compresses each in the pool. */
class CompressFrames extends FrameStream {
  private frame?: Buffer;
  private used = 0;
  /** Frame buffers of this stream's own, free for the next frame. */
  private readonly spare: Buffer[] = [];
  /**
   * The frames that are the caller's chunks, passed on whole, by sequence,
   * to hand back to `recycle`. A SharedArrayBuffer comes back from a worker
   * as another object, so the caller gets its own object back.
   */
  private readonly callerChunks = new Map<number, Buffer>();

  constructor(options: FrameOptions) {
    super('compress', options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      // A whole frame that owns its memory goes to a worker without a copy.
      if (this.used === 0 && chunk.length === this.options.frameSize && ownsBuffer(chunk)) {
        this.callerChunks.set(this.dispatch(chunk, this.spareOutputs.pop()), chunk);
      } else {
        this.gather(chunk);
        this.options.recycle?.(chunk);
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    this.continueWhenRoom(done);
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.frame !== undefined && this.used > 0) {
        this.dispatch(this.frame.subarray(0, this.used), this.spareOutputs.pop());
      }
      this.frame = undefined;
    } catch (error) {
      done(error as Error);
      return;
    }
    this.finishWhenDone(done);
  }

  protected onInputReturned(input: Buffer, sequence: number): void {
    const callerChunk = this.callerChunks.get(sequence);
    if (callerChunk !== undefined) {
      this.callerChunks.delete(sequence);
      this.options.recycle?.(callerChunk);
    } else if (input.length === this.options.frameSize
      && this.spare.length < framesInFlightPerWorker) {
      this.spare.push(input);
    }
  }

  private gather(chunk: Buffer): void {
    const { frameSize } = this.options;
    for (let offset = 0; offset < chunk.length;) {
      this.frame ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(frameSize);
      const copied = chunk.copy(this.frame, this.used, offset);
      this.used += copied;
      offset += copied;
      if (this.used === frameSize) {
        this.dispatch(this.frame, this.spareOutputs.pop());
        this.frame = undefined;
        this.used = 0;
      }
    }
  }
}

/** Splits a zstd stream into frames and decompresses each in the pool. */
class DecompressFrames extends FrameStream {
  private readonly maxFrameBytes: number;
  private readonly spareFrames: Buffer[] = [];
  private pending: Buffer;
  private used = 0;

  constructor(options: FrameOptions) {
    super('decompress', options);
    // A frame of incompressible data is stored raw, a little larger than its content.
    this.maxFrameBytes = zstd.compressBound(options.frameSize) + 1024;
    this.pending = Buffer.allocUnsafeSlow(this.maxFrameBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      for (let offset = 0; offset < chunk.length;) {
        const copied = chunk.copy(this.pending, this.used, offset);
        this.used += copied;
        offset += copied;
        this.takeFrames();
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    this.continueWhenRoom(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.used > 0) {
      done(new Error(`the zstd stream ends inside a frame, ${this.used} bytes after its start`));
      return;
    }
    this.finishWhenDone(done);
  }

  protected onInputReturned(input: Buffer): void {
    const whole = Buffer.from(input.buffer, 0, input.buffer.byteLength);
    if (whole.length === this.maxFrameBytes && this.spareFrames.length < maxSpareBuffers) {
      this.spareFrames.push(whole);
    }
  }

  /**
   * Sends every complete frame at the start of the pending bytes. A frame
   * that is still incomplete although the buffer is full is damage.
   */
  private takeFrames(): void {
    for (;;) {
      const size = completeFrameSize(this.pending.subarray(0, this.used));
      if (size === undefined) {
        if (this.used < this.pending.length) return;
        throw new Error(`a zstd frame is larger than ${this.maxFrameBytes} bytes, the most that `
          + `${this.options.frameSize} bytes compress to`);
      }
      const frame = (this.spareFrames.pop() ?? Buffer.allocUnsafeSlow(this.maxFrameBytes))
        .subarray(0, size);
      this.pending.copy(frame, 0, 0, size);
      this.pending.copy(this.pending, 0, size, this.used);
      this.used -= size;
      this.dispatch(frame, this.spareOutputs.pop(), true);
    }
  }

}

/** Returns the size of the complete frame at the start of `bytes`, or undefined. */
function completeFrameSize(bytes: Buffer): number | undefined {
  if (bytes.length < 12) return undefined;
  try {
    return zstd.findFrameCompressedSize(bytes);
  } catch {
    // zstd cannot tell an incomplete frame from a damaged one, so the caller bounds the wait.
    return undefined;
  }
}

function ownsBuffer(chunk: Uint8Array): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
}

function toBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Worker threads running zstd-frame-worker.js, taking frames in turn. */
class WorkerPool {
  private readonly workers: Worker[];
  private closed = false;

  constructor(
    readonly size: number, settings: FrameWorkerSettings,
    onReply: (reply: FrameReply) => void, onError: (error: Error) => void,
  ) {
    const url = new URL('./zstd-frame-worker.js', import.meta.url);
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: settings });
      worker.on('message', (reply: FrameReply) => {
        if (!this.closed) onReply(reply);
      });
      worker.on('error', (error: Error) => onError(error));
      worker.on('exit', (code) => {
        if (!this.closed) onError(new Error(`a zstd worker exited with code ${code}`));
      });
      return worker;
    });
  }

  /**
   * Sends frame `sequence` to its worker. Shared memory is shared; other
   * input moves there, copied first unless it owns its whole buffer.
   */
  send(request: FrameRequest, ownsInput = false): void {
    const worker = this.workers[request.sequence % this.size];
    const { input, output } = request;
    const sendable = input.buffer instanceof SharedArrayBuffer || ownsInput || ownsBuffer(input)
      ? input : copyOf(input);
    const transfer = [sendable, output].flatMap((view) => (
      view === undefined || view.buffer instanceof SharedArrayBuffer
        ? [] : [view.buffer as ArrayBuffer]));
    worker?.postMessage({ ...request, input: sendable }, transfer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

function copyOf(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}
