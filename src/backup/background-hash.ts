import { Worker } from 'node:worker_threads';
import type { Headers } from 'tar-stream';
import type { FileSpan, HashReply, HashRequest, HashWorkerSettings } from './hash-worker.js';

export type { FileSpan } from './hash-worker.js';

/**
 * SHA-256 digests computed on a worker thread, which takes that work off
 * the main thread: one over every byte given, in order, and one per file
 * over the spans that the caller assigns to files. Views of a
 * SharedArrayBuffer are read in place, so their bytes must not change
 * before their {@link update} resolves; other buffers move to the worker
 * and come back in the reply. With `walkTar`, the worker also reads the
 * bytes as a tar stream and returns its entries' headers, and with
 * `hashContents` the SHA-256 of each entry's content.
 */
export class BackgroundHash {
  private readonly worker: Worker;
  private nextSequence = 0;
  private readonly waiting = new Map<number, (reply: HashReply) => void>();
  private failure?: Error;
  private closed = false;

  constructor(settings: HashWorkerSettings = { walkTar: false }) {
    this.worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: settings });
    this.worker.on('message', (reply: HashReply) => {
      const resolve = this.waiting.get(reply.sequence);
      this.waiting.delete(reply.sequence);
      resolve?.(reply);
    });
    this.worker.on('error', (error: Error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the hash worker exited with code ${code}`));
    });
  }

  /**
   * Adds `bytes`, with the spans of it that belong to files and the files
   * that are complete. Resolves to the bytes (moved back when they were
   * moved) and the digests of the finished files.
   */
  async update(bytes: Uint8Array, spans: FileSpan[] = [], finished: number[] = []):
    Promise<{
      bytes: Uint8Array; files: [number, string][]; entries: Headers[]; contents: string[];
    }> {
    const shared = bytes.buffer instanceof SharedArrayBuffer;
    const reply = await this.request({ bytes, spans, finished },
      shared ? [] : [bytes.buffer as ArrayBuffer]);
    return {
      bytes: reply.bytes ?? bytes,
      files: reply.files ?? [],
      entries: reply.entries ?? [],
      contents: reply.contents ?? [],
    };
  }

  /** Resolves to the hex SHA-256 of every byte given. Call it once, last. */
  async digest(finished: number[] = []): Promise<{ sha256: string; files: [number, string][] }> {
    const reply = await this.request({ end: true, finished });
    return { sha256: reply.sha256 ?? '', files: reply.files ?? [] };
  }

  /** Stops the worker. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Requests still waiting fail, so that no caller waits for a reply that never comes.
    this.fail(new Error('the hash worker was stopped'));
    await this.worker.terminate();
  }

  private request(request: Omit<HashRequest, 'sequence'>, transfer: ArrayBuffer[] = []):
    Promise<HashReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const sequence = this.nextSequence;
    this.nextSequence += 1;
    return new Promise((resolve, reject) => {
      this.waiting.set(sequence, (reply) => {
        if (this.failure !== undefined) reject(this.failure);
        else if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply);
      });
      this.worker.postMessage({ ...request, sequence } satisfies HashRequest, transfer);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const resolve of this.waiting.values()) resolve({ sequence: -1 });
    this.waiting.clear();
  }
}
