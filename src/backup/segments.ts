import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { headerSize, tagSize } from './format.js';

/** A stored artifact that fails a check: a bad header, tag, length or hash. */
export class DamagedArtifactError extends Error {}

/**
 * Returns the 12-byte GCM nonce of segment `index`: an 11-byte big-endian
 * counter followed by 1 for the last segment and 0 for every other.
 */
export function segmentNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Encrypts one segment and returns the ciphertext followed by its tag. */
export function sealSegment(
  key: Buffer, header: Buffer, index: number, last: boolean, plaintext: Buffer,
): Buffer {
  return Buffer.concat(sealSegmentParts(key, header, index, last, plaintext));
}

/**
 * The bytes encrypted or decrypted per call, so that outputs stay small
 * allocations, which the allocator reuses.
 */
const cryptSlice = 64 * 1024;

/** Works like {@link sealSegment}, but returns the ciphertext and the tag apart, saving a copy. */
function sealSegmentParts(
  key: Buffer, header: Buffer, index: number, last: boolean, plaintext: Buffer,
): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', key, segmentNonce(index, last));
  cipher.setAAD(header);
  const parts: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += cryptSlice) {
    parts.push(cipher.update(plaintext.subarray(offset, offset + cryptSlice)));
  }
  cipher.final();
  return [...parts, cipher.getAuthTag()];
}

/**
 * Decrypts one segment record, throwing {@link DamagedArtifactError} when it
 * fails to authenticate.
 */
export function openSegment(
  key: Buffer, header: Buffer, index: number, last: boolean, record: Buffer,
): Buffer {
  return Buffer.concat(openSegmentParts(key, header, index, last, record));
}


/** Works like {@link openSegment}, returning the plaintext in parts. */
export function openSegmentParts(
  key: Buffer, header: Buffer, index: number, last: boolean, record: Buffer,
): Buffer[] {
  if (record.length < tagSize) {
    throw new DamagedArtifactError(`segment ${index} is ${record.length} bytes, shorter than its tag`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, segmentNonce(index, last));
  decipher.setAAD(header);
  decipher.setAuthTag(record.subarray(record.length - tagSize));
  const body: Buffer[] = [];
  const end = record.length - tagSize;
  for (let offset = 0; offset < end; offset += cryptSlice) {
    body.push(decipher.update(record.subarray(offset, Math.min(end, offset + cryptSlice))));
  }
  try {
    decipher.final();
  } catch {
    throw new DamagedArtifactError(`segment ${index} failed authentication: the artifact was `
      + 'changed, truncated or reordered');
  }
  return body;
}

/**
 * Collects a byte stream into blocks of `size` bytes and hands each block
 * to `transformBlock` with whether it is the last. A full block waits until
 * the next byte arrives, so the last block is known even when the length is
 * a multiple of `size`. The last block may be shorter, and empty for an
 * empty stream.
 */
abstract class BlockTransform extends Transform {
  private readonly block: Buffer;
  private filled = 0;
  protected index = 0;

  constructor(size: number) {
    super();
    this.block = Buffer.alloc(size);
  }

  /** Returns the output for one block, as one buffer or several to write in order. */
  protected abstract transformBlock(block: Buffer, last: boolean): Buffer | Buffer[];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let offset = 0;
      while (offset < chunk.length) {
        if (this.filled === this.block.length) this.pushBlock(false);
        const copied = chunk.copy(this.block, this.filled, offset);
        this.filled += copied;
        offset += copied;
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.pushBlock(true);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private pushBlock(last: boolean): void {
    const output = this.transformBlock(this.block.subarray(0, this.filled), last);
    for (const part of Array.isArray(output) ? output : [output]) this.push(part);
    this.filled = 0;
    this.index += 1;
  }
}

/** Writes `header`, then the input in encrypted segments of `segmentSize` plaintext bytes. */
export class EncryptStream extends BlockTransform {
  private headerWritten = false;

  constructor(private readonly key: Buffer, private readonly header: Buffer, segmentSize: number) {
    super(segmentSize);
  }

  protected transformBlock(block: Buffer, last: boolean): Buffer[] {
    const sealed = sealSegmentParts(this.key, this.header, this.index, last, block);
    if (this.headerWritten) return sealed;
    this.headerWritten = true;
    return [this.header, ...sealed];
  }
}

/**
 * Decrypts an artifact whose header is `header`: the stream must start with
 * exactly those bytes, and each segment must authenticate in its place.
 */
export class DecryptStream extends BlockTransform {
  headerBytesSeen = 0;

  constructor(private readonly key: Buffer, private readonly header: Buffer, segmentSize: number) {
    super(segmentSize + tagSize);
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, done: TransformCallback): void {
    const rest = skipHeader(this, this.header, chunk, done);
    if (rest === undefined) return;
    super._transform(rest, encoding, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.headerBytesSeen < headerSize) {
      done(new DamagedArtifactError('the artifact ends inside its header'));
      return;
    }
    super._flush(done);
  }

  protected transformBlock(record: Buffer, last: boolean): Buffer[] {
    return openSegmentParts(this.key, this.header, this.index, last, record);
  }
}

/** Removes and checks the header at the start of an unencrypted artifact. */
export class StripHeaderStream extends Transform {
  headerBytesSeen = 0;

  constructor(private readonly header: Buffer) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const rest = skipHeader(this, this.header, chunk, done);
    if (rest === undefined) return;
    // Copies in small pieces, as decryption gives, let the large read buffer
    // go at the next minor garbage collection rather than pile up until a
    // major one.
    for (let offset = 0; offset < rest.length; offset += cryptSlice) {
      this.push(Buffer.from(rest.subarray(offset, offset + cryptSlice)));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.headerBytesSeen < headerSize) {
      done(new DamagedArtifactError('the artifact ends inside its header'));
      return;
    }
    done();
  }
}

/**
 * Compares the start of `chunk` with the part of `header` not yet seen and
 * returns the bytes after the header, or undefined after calling `done`
 * (with an error on a mismatch, or empty while the header is incomplete).
 */
function skipHeader(
  stream: { headerBytesSeen: number },
  header: Buffer,
  chunk: Buffer,
  done: TransformCallback,
): Buffer | undefined {
  const seen = stream.headerBytesSeen;
  if (seen >= headerSize) return chunk;
  const take = Math.min(headerSize - seen, chunk.length);
  if (!chunk.subarray(0, take).equals(header.subarray(seen, seen + take))) {
    done(new DamagedArtifactError('the artifact header changed while it was being read'));
    return undefined;
  }
  stream.headerBytesSeen = seen + take;
  if (take === chunk.length) {
    done();
    return undefined;
  }
  return chunk.subarray(take);
}
