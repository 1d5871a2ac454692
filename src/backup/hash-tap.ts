import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while counting them and computing their
 * SHA-256, unless `hashing` is false, when it only counts.
 */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash('sha256');
  /** The number of bytes that passed so far. */
  bytes = 0;

  constructor(private readonly onBytes?: (count: number) => void, private readonly hashing = true) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.hashing) this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }

  /** Returns the hex SHA-256 of every byte that passed; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
