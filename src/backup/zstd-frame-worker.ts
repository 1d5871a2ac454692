import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

// The native binding is a CommonJS module whose exports ESM cannot name statically.
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as
  typeof import('zstd-napi/binding.js');

/**
 * The body of a worker thread of the frame pool (zstd-frames.ts). Each
 * request contains the data of one whole zstd frame: plain bytes to
 * compress into one frame, or one frame to decompress. Frames are
 * independent, so several workers handle a stream's frames at once.
 */

/** A request: one frame's input, and an output buffer to fill when the caller has one. */
export interface FrameRequest {
  sequence: number;
  input: Uint8Array;
  output?: Uint8Array;
}

/** A reply with the used part of `output`, and the request's input handed back for reuse. */
export interface FrameReply {
  sequence: number;
  output: Uint8Array;
  length: number;
  input: Uint8Array;
  error?: string;
}

/** The settings passed as workerData. */
export interface FrameWorkerSettings {
  mode: 'compress' | 'decompress';
  level: number;
  /** The plain bytes in every frame but the last, which no decompressed frame may exceed. */
  frameSize: number;
}

const settings = workerData as FrameWorkerSettings;

/** Turns one frame's input into its output, in `output` when it is large enough. */
type FrameHandler = (input: Uint8Array, output: Uint8Array | undefined) => [Uint8Array, number];

function compressFrame(): FrameHandler {
  const context = new zstd.CCtx();
  context.setParameter(zstd.CParameter.compressionLevel, settings.level);
  context.setParameter(zstd.CParameter.checksumFlag, 1);
  return (input, output) => {
    const bound = zstd.compressBound(input.byteLength);
    const target = output !== undefined && output.byteLength >= bound
      ? output : new Uint8Array(bound);
    // One call compresses a whole frame and records its size in the frame header.
    return [target, context.compress2(target, input)];
  };
}

function decompressFrame(): FrameHandler {
  const context = new zstd.DCtx();
  return (input, output) => {
    const size = zstd.getFrameContentSize(input);
    if (size === null || size > settings.frameSize) {
      throw new Error(size === null ? 'a zstd frame does not record its size'
        : `a zstd frame contains ${size} bytes, more than the frame size ${settings.frameSize}`);
    }
    const target = output !== undefined && output.byteLength >= size
      ? output : new Uint8Array(size);
    const length = context.decompress(target.subarray(0, size), input);
    if (length !== size) {
      throw new Error(`a zstd frame gave ${length} bytes, not the ${size} it records`);
    }
    return [target, length];
  };
}

/** Returns the buffers of `views` that move back to the main thread; shared memory stays shared. */
function movable(...views: Uint8Array[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    if (!(view.buffer instanceof SharedArrayBuffer)) buffers.add(view.buffer as ArrayBuffer);
  }
  return [...buffers];
}

const handle = settings.mode === 'compress' ? compressFrame() : decompressFrame();

parentPort?.on('message', (request: FrameRequest) => {
  const { sequence, input } = request;
  try {
    const [output, length] = handle(input, request.output);
    const reply: FrameReply = { sequence, output, length, input };
    parentPort?.postMessage(reply, movable(input, output));
  } catch (error) {
    const reply: FrameReply = {
      sequence, output: new Uint8Array(0), length: 0, input, error: (error as Error).message,
    };
    parentPort?.postMessage(reply, movable(input));
  }
});
