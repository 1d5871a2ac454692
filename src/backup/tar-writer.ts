import type { Writable } from 'node:stream';
import type { Headers } from 'tar-stream';
import { encode, encodePax } from 'tar-stream/headers.js';
import { BackgroundHash, type FileSpan } from './background-hash.js';

/** The tar block size; headers are one block and contents are padded to whole blocks. */
const blockSize = 512;

/** The number of written chunks kept for reuse. */
const maxSpareChunks = 4;

/** The size of the copies handed to a consumer that does not recycle chunks. */
const copyPieceBytes = 64 * 1024;

/** An entry header with the pax records that every srekit entry carries. */
export type PaxHeaders = Headers & { pax: Record<string, string> };

/**
 * Writes a POSIX pax tar stream into large chunks and writes each full chunk
 * to `output`, waiting while `output` is full. The bytes equal what a
 * tar-stream 3.1.7 pack writes for the same entries, but a caller can read
 * file contents straight into the chunk with {@link space} and
 * {@link commit}, which saves a stream hop and a copy per file.
 *
 * A worker thread hashes the stream as a whole and each file's content
 * between {@link startFile} and {@link endFile}, so the main thread is free
 * to read files. Chunks are SharedArrayBuffer views that the hash worker
 * reads in place; a chunk is filled again only after both the hash worker
 * and the consumer that calls {@link recycle} are done with it.
 */
export class TarWriter {
  private chunk: Buffer;
  private used = 0;
  private readonly spare: Buffer[] = [];
  private readonly hash = new BackgroundHash();
  /** Chunks written out, with the number of readers (hash worker, consumer) not done yet. */
  private readonly readers = new Map<ArrayBufferLike, number>();
  private hashFailure?: Error;
  /** The spans of the current chunk that belong to files. */
  private spans: FileSpan[] = [];
  /** The files that ended since the last chunk was sent. */
  private finished: number[] = [];
  private currentFile?: { id: number; start: number };
  private nextFile = 0;
  private readonly digestReceivers = new Map<number, (sha256: string) => void>();
  private plainSha256?: string;

  /**
   * With `consumerRecycles`, the consumer of `output` hands every chunk back
   * to {@link recycle}, which lets the writer fill it again. Otherwise the
   * consumer gets copies in small pieces, and each chunk is filled again
   * once it is hashed.
   */
  constructor(
    private readonly output: Writable,
    private readonly chunkBytes = 1024 * 1024,
    private readonly consumerRecycles = false,
  ) {
    this.chunk = this.newChunk();
  }

  /** The hex SHA-256 of the whole stream, once {@link end} has resolved. */
  get sha256(): string {
    if (this.plainSha256 === undefined) throw new Error('the tar stream has not ended');
    return this.plainSha256;
  }

  /**
   * Takes back a chunk that this writer wrote and that no one uses any
   * more, to fill it again. Fresh memory costs a page fault per 4 KiB page,
   * which at a gigabyte of archive is a noticeable share of the run.
   */
  readonly recycle = (chunk: Buffer): void => {
    this.released(chunk);
  };

  /**
   * Starts the content of a file: the bytes written until {@link endFile}
   * are hashed on their own, and `onDigest` receives their hex SHA-256
   * before {@link end} resolves.
   */
  startFile(onDigest: (sha256: string) => void): void {
    if (this.currentFile !== undefined) throw new Error('a file is already open');
    const id = this.nextFile;
    this.nextFile += 1;
    this.digestReceivers.set(id, onDigest);
    this.currentFile = { id, start: this.used };
  }

  /** Ends the content of the file that {@link startFile} started. */
  endFile(): void {
    const file = this.currentFile;
    if (file === undefined) throw new Error('no file is open');
    if (this.used > file.start) this.spans.push([file.id, file.start, this.used]);
    this.finished.push(file.id);
    this.currentFile = undefined;
  }

  /**
   * Appends the headers of one entry: a pax extended header with its path,
   * link target and records, then the ustar header. Fields get tar-stream's
   * defaults: mode 0644 (0755 for a directory) in place of 0, and size 0
   * for anything but a file.
   */
  async header(header: PaxHeaders): Promise<void> {
    const type = header.type ?? 'file';
    const full: Headers = {
      ...header,
      type,
      size: type === 'file' ? (header.size ?? 0) : 0,
      mode: header.mode || (type === 'directory' ? 0o755 : 0o644),
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      mtime: header.mtime ?? new Date(),
    };
    const body = encodePax({ name: header.name, linkname: header.linkname, pax: header.pax });
    const outer: Headers = {
      ...full, name: 'PaxHeader', linkname: full.linkname ? 'PaxHeader' : full.linkname,
    };
    await this.append(encodeHeader({ ...outer, type: 'pax-header', size: body.length }));
    await this.append(body);
    await this.pad(body.length);
    await this.append(encodeHeader(outer));
  }

  /** Appends `data` as it is. */
  async append(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const space = await this.space();
      const copied = data.copy(space, 0, offset);
      this.commit(copied);
      offset += copied;
    }
  }

  /** Appends zeros up to the next block boundary after content of `size` bytes. */
  async pad(size: number): Promise<void> {
    const rest = size % blockSize;
    if (rest > 0) await this.zeros(blockSize - rest);
  }

  /** Appends `count` zero bytes. */
  async zeros(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const space = await this.space();
      const filled = Math.min(space.length, left);
      space.fill(0, 0, filled);
      this.commit(filled);
      left -= filled;
    }
  }

  /**
   * Returns the free end of the current chunk, at least one byte, after
   * writing the chunk out if it is full. Fill a prefix of it, then call
   * {@link commit} with the number of bytes filled.
   */
  async space(): Promise<Buffer> {
    if (this.used === this.chunk.length) await this.flush();
    return this.chunk.subarray(this.used);
  }

  /** Marks `count` bytes of the last {@link space} as filled. */
  commit(count: number): void {
    this.used += count;
  }

  /** Appends the two zero blocks that end a tar stream, writes the rest and ends `output`. */
  async end(): Promise<void> {
    try {
      await this.zeros(2 * blockSize);
      await this.flush();
      const { sha256, files } = await this.hash.digest(this.takeFinished());
      this.deliver(files);
      this.plainSha256 = sha256;
    } finally {
      await this.hash.close();
    }
    this.output.end();
  }

  /** Stops the hash worker of a writer that will not be ended. */
  async abandon(): Promise<void> {
    await this.hash.close();
  }

  private newChunk(): Buffer {
    return Buffer.from(new SharedArrayBuffer(this.chunkBytes));
  }

  private async flush(): Promise<void> {
    if (this.hashFailure !== undefined) throw this.hashFailure;
    if (this.used === 0) return;
    const full = this.used === this.chunk.length ? this.chunk : this.chunk.subarray(0, this.used);
    const file = this.currentFile;
    if (file !== undefined && this.used > file.start) {
      this.spans.push([file.id, file.start, this.used]);
    }
    if (file !== undefined) file.start = 0;
    this.readers.set(full.buffer, this.consumerRecycles ? 2 : 1);
    this.hash.update(full, this.spans, this.takeFinished()).then(({ files }) => {
      this.deliver(files);
      this.released(full);
    }, (error: Error) => {
      this.hashFailure ??= error;
    });
    this.spans = [];
    this.chunk = this.spare.pop() ?? this.newChunk();
    this.used = 0;
    let accepted = true;
    if (this.consumerRecycles) {
      accepted = this.output.write(full);
    } else {
      // Small copies free the chunk for reuse, and the allocator reuses small
      // blocks readily, while large ones freed at the garbage collector's
      // pace pile up in memory.
      for (let offset = 0; offset < full.length; offset += copyPieceBytes) {
        accepted = this.output.write(Buffer.from(full.subarray(offset, offset + copyPieceBytes)));
      }
    }
    if (accepted) return;
    await waitForDrain(this.output);
  }

  private takeFinished(): number[] {
    const finished = this.finished;
    this.finished = [];
    return finished;
  }

  private deliver(files: [number, string][]): void {
    for (const [id, sha256] of files) {
      this.digestReceivers.get(id)?.(sha256);
      this.digestReceivers.delete(id);
    }
  }

  /** Counts one reader of `chunk` as done, and keeps the chunk for reuse after the last. */
  private released(chunk: Buffer): void {
    const left = (this.readers.get(chunk.buffer) ?? 1) - 1;
    if (left > 0) {
      this.readers.set(chunk.buffer, left);
      return;
    }
    this.readers.delete(chunk.buffer);
    const whole = Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
    if (whole.length === this.chunkBytes && this.spare.length < maxSpareChunks) {
      this.spare.push(whole);
    }
  }
}

function encodeHeader(header: Headers): Buffer {
  const encoded = encode(header);
  // Long and non-ASCII names are carried by the pax record, as in a tar-stream pack.
  if (encoded === null) throw new Error(`tar header of ${header.name} does not fit`);
  return encoded;
}

/** Waits for 'drain', and fails if `output` closes first, which a failed pipeline does. */
function waitForDrain(output: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    // A stream destroyed before this call emits no further 'close'.
    if (output.destroyed) {
      reject(output.errored ?? new Error('the archive stream closed before it was complete'));
      return;
    }
    const onDrain = () => {
      output.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      output.off('drain', onDrain);
      reject(output.errored ?? new Error('the archive stream closed before it was complete'));
    };
    output.once('drain', onDrain);
    output.once('close', onClose);
  });
}
