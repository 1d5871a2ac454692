import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { CodecReply, CodecRequest, CodecSettings } from './zstd-worker.js';

/** The number of input chunks handed to the worker before waiting for its replies. */
const maxChunksInFlight = 3;

/** Options of {@link zstdInWorker}. */
export interface CodecOptions {
  /** Receives each input chunk once the worker is done with it. */
  recycle?: (input: Buffer) => void;
  /**
   * Receives the hex SHA-256 of the uncompressed bytes at the end. The
   * worker hashes them only when this is set.
   */
  onPlainDigest?: (sha256: string) => void;
}

/**
 * Returns a stream that decompresses a zstd stream, of one frame or many, in
 * one worker thread, so the main thread keeps one core for reading and
 * decryption. Output comes out in input order. The worker starts with
 * the first chunk and is stopped when the stream ends or is destroyed.
 * Input chunks that own their whole ArrayBuffer are moved to the worker,
 * not copied, so nothing may use them afterwards. The worker hands each
 * back to `recycle`.
 */
export function zstdInWorker(options: CodecOptions = {}): Transform {
  return new ZstdWorkerStream(options);
}

class ZstdWorkerStream extends Transform {
  private worker?: WorkerChannel;
  private inFlight = 0;
  /** The number of replies whose output the readable side has not taken yet. */
  private untakenReplies = 0;
  private waitingTransform?: TransformCallback;
  private flushed?: TransformCallback;

  constructor(private readonly options: CodecOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (chunk.length === 0) {
      done();
      return;
    }
    try {
      this.channel().send({ input: detachable(chunk) });
    } catch (error) {
      done(error as Error);
      return;
    }
    this.inFlight += 1;
    if (this.inFlight < maxChunksInFlight) done();
    else this.waitingTransform = done;
  }

  override _flush(done: TransformCallback): void {
    this.flushed = done;
    try {
      this.channel().send({ end: true });
      this.inFlight += 1;
    } catch (error) {
      done(error as Error);
    }
  }

  override _read(size: number): void {
    for (; this.untakenReplies > 0; this.untakenReplies -= 1) this.worker?.consumed();
    super._read(size);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const worker = this.worker;
    if (worker === undefined) {
      done(error);
      return;
    }
    worker.close().then(() => done(error), () => done(error));
  }

  private channel(): WorkerChannel {
    if (this.worker !== undefined) return this.worker;
    const { onPlainDigest } = this.options;
    this.worker = new WorkerChannel({
      hashPlain: onPlainDigest !== undefined,
      unconsumed: new SharedArrayBuffer(4),
    }, (reply) => this.onReply(reply), (error) => this.destroy(error));
    return this.worker;
  }

  private onReply(reply: CodecReply): void {
    let accepted = true;
    for (const output of reply.outputs) accepted = this.push(toBuffer(output)) && accepted;
    // The worker waits once too many replies are unconsumed, which bounds memory.
    if (accepted) this.worker?.consumed();
    else this.untakenReplies += 1;
    const input = reply.input;
    if (input !== undefined && input.byteLength > 0) this.options.recycle?.(toBuffer(input));
    if (!reply.last) return;
    if (reply.plainSha256 !== undefined) this.options.onPlainDigest?.(reply.plainSha256);
    this.inFlight -= 1;
    if (this.flushed !== undefined && this.inFlight === 0) {
      this.finishFlush(this.flushed);
      return;
    }
    const waiting = this.waitingTransform;
    this.waitingTransform = undefined;
    waiting?.();
  }

  private finishFlush(done: TransformCallback): void {
    const worker = this.worker;
    this.worker = undefined;
    (worker?.close() ?? Promise.resolve()).then(() => done(), (error: Error) => done(error));
  }
}

/**
 * Returns `chunk` or a copy that owns its whole ArrayBuffer, because
 * transferring a view would detach memory that other buffers share.
 */
function detachable(chunk: Buffer): Buffer {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return chunk;
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  return copy;
}

function toBuffer(output: Uint8Array): Buffer {
  return Buffer.from(output.buffer, output.byteOffset, output.byteLength);
}

/** A worker running zstd-worker.js that hands each reply to `onReply` in order. */
class WorkerChannel {
  private readonly worker: Worker;
  private readonly unconsumed: Int32Array;
  private closed = false;

  constructor(
    settings: CodecSettings, onReply: (reply: CodecReply) => void, onError: (error: Error) => void,
  ) {
    this.unconsumed = new Int32Array(settings.unconsumed);
    this.worker = new Worker(new URL('./zstd-worker.js', import.meta.url), { workerData: settings });
    this.worker.on('message', (reply: CodecReply) => {
      if (this.closed) return;
      if (reply.error !== undefined) onError(new Error(`zstd decompress: ${reply.error}`));
      else onReply(reply);
    });
    this.worker.on('error', (error: Error) => onError(error));
    this.worker.on('exit', (code) => {
      if (!this.closed) onError(new Error(`the zstd worker exited with code ${code}`));
    });
  }

  send(request: CodecRequest): void {
    const transfer = request.input === undefined ? [] : [request.input.buffer as ArrayBuffer];
    this.worker.postMessage(request, transfer);
  }

  /** Tells the worker that one more reply was consumed, which may let it continue. */
  consumed(): void {
    Atomics.sub(this.unconsumed, 0, 1);
    Atomics.notify(this.unconsumed, 0);
  }

  /** Stops the worker. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }
}
