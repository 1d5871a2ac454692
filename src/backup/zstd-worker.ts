import { createHash, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

// The native binding is a CommonJS module whose exports ESM cannot name statically.
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as
  typeof import('zstd-napi/binding.js');

/**
 * The body of the worker thread that zstdInWorker (zstd-codec.ts) starts. It
 * decompresses one zstd stream, chunk by chunk, and replies to each request
 * with the output that chunk produced, so the main thread can read and
 * decrypt on the other core meanwhile.
 */

/** A request: the next input chunk, or `end` once the input is complete. */
export interface CodecRequest {
  input?: Uint8Array;
  end?: boolean;
}

/**
 * A reply. `last` marks the final reply to a request; a request whose
 * output exceeds {@link replyBytes} gets several replies.
 */
export interface CodecReply {
  outputs: Uint8Array[];
  last: boolean;
  /** The request's input, handed back with the last reply so its memory can be reused. */
  input?: Uint8Array;
  /** The hex SHA-256 of the uncompressed bytes, in the last reply to the `end` request. */
  plainSha256?: string;
  error?: string;
}

/** The settings passed as workerData. */
export interface CodecSettings {
  /**
   * One Int32 counting the replies sent but not yet consumed. The worker
   * increments it and the main thread decrements it.
   */
  unconsumed: SharedArrayBuffer;
  /** Hashes the decompressed bytes too, which moves that work off the main thread. */
  hashPlain: boolean;
}

/** Output is sent back once this many bytes are pending, so one reply stays bounded. */
const replyBytes = 1024 * 1024;

/** The size of each output buffer. */
const outputBytes = 1024 * 1024;

/** Collects output into fixed-size buffers and sends full ones back. */
class OutputQueue {
  constructor(private readonly hash?: Hash) {}

  private buffer = Buffer.allocUnsafeSlow(outputBytes);
  private used = 0;
  private ready: Uint8Array[] = [];
  private readyBytes = 0;

  /** Returns the free part of the current output buffer, starting a new one when it is full. */
  space(): Buffer {
    if (this.used === this.buffer.length) this.rotate();
    return this.buffer.subarray(this.used);
  }

  advance(count: number): void {
    this.hash?.update(this.buffer.subarray(this.used, this.used + count));
    this.used += count;
    if (this.readyBytes + this.used >= replyBytes) this.send();
  }

  /**
   * Sends what is pending. A reply with `input` is the last one to the
   * current request.
   */
  send(input?: Uint8Array, plainSha256?: string): void {
    this.rotate();
    const outputs = this.ready;
    this.ready = [];
    this.readyBytes = 0;
    const transfer = outputs.map((output) => output.buffer as ArrayBuffer);
    if (input !== undefined && input.byteLength > 0) transfer.push(input.buffer as ArrayBuffer);
    post({ outputs, last: input !== undefined, input, plainSha256 }, transfer);
  }

  private rotate(): void {
    if (this.used === 0) return;
    if (this.used === this.buffer.length) {
      this.ready.push(this.buffer);
      this.buffer = Buffer.allocUnsafeSlow(outputBytes);
    } else {
      // A copy of the used part is sent, so the buffer can be filled again. It
      // must not come from Buffer's shared pool, because sending detaches it.
      const part = Buffer.allocUnsafeSlow(this.used);
      this.buffer.copy(part, 0, 0, this.used);
      this.ready.push(part);
    }
    this.readyBytes += this.used;
    this.used = 0;
  }
}

/**
 * The number of unconsumed replies at which the worker waits. A megabyte
 * of zeros compresses to a few bytes, so without this limit decompressing
 * one input chunk could queue gigabytes of output.
 */
const maxUnconsumedReplies = 4;

function post(reply: CodecReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
  Atomics.add(unconsumed, 0, 1);
  // The timeout lets a terminate() from the main thread take effect while waiting.
  for (let count = Atomics.load(unconsumed, 0); count > maxUnconsumedReplies;
    count = Atomics.load(unconsumed, 0)) {
    Atomics.wait(unconsumed, 0, count, 100);
  }
}

function decompressor(): (input: Buffer, end: boolean, out: OutputQueue) => void {
  const context = new zstd.DCtx();
  let frameOpen = false;
  return (input, end, out) => {
    let rest = input;
    while (rest.length > 0) {
      const space = out.space();
      const [remaining, produced, consumed] = context.decompressStream(space, rest);
      out.advance(produced);
      rest = rest.subarray(consumed);
      frameOpen = remaining !== 0;
      // A full output buffer may hide more output for the input already consumed.
      while (rest.length === 0 && produced === space.length) {
        const more = out.space();
        const [left, extra] = context.decompressStream(more, rest);
        out.advance(extra);
        frameOpen = left !== 0;
        if (extra < more.length) break;
      }
    }
    if (end && frameOpen) throw new Error('the zstd stream ends inside a frame');
  };
}

const settings = workerData as CodecSettings;
const unconsumed = new Int32Array(settings.unconsumed);
const step = decompressor();
const plainHash = settings.hashPlain ? createHash('sha256') : undefined;
const queue = new OutputQueue(plainHash);

parentPort?.on('message', (request: CodecRequest) => {
  try {
    const input = request.input === undefined ? Buffer.alloc(0)
      : Buffer.from(request.input.buffer, request.input.byteOffset, request.input.byteLength);
    step(input, request.end === true, queue);
    const digest = request.end === true ? plainHash?.digest('hex') : undefined;
    queue.send(request.input ?? new Uint8Array(0), digest);
  } catch (error) {
    post({ outputs: [], last: true, error: (error as Error).message });
  }
});
