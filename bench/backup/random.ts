import { createCipheriv, createHash, type Cipher } from 'node:crypto';

const blockBytes = 64 * 1024;

/**
 * A deterministic random source: the AES-256-CTR keystream of a key derived
 * from a seed and a label. The same seed and label always give the same
 * sequence, and different labels give independent ones. It is fast enough
 * to fill gigabytes, and it is not meant for secrets.
 */
export class SeededRandom {
  private readonly cipher: Cipher;
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(seed: number, label: string) {
    const key = createHash('sha256').update(`srekit-bench-backup:${seed}:${label}`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** Returns the next `length` bytes of the keystream. */
  bytes(length: number): Buffer {
    return this.cipher.update(Buffer.alloc(length));
  }

  /** Returns a whole number from 0 up to but not including `limit`. */
  below(limit: number): number {
    if (this.offset + 4 > this.block.length) {
      this.block = this.bytes(blockBytes);
      this.offset = 0;
    }
    const value = this.block.readUInt32LE(this.offset);
    this.offset += 4;
    return value % limit;
  }

  /** Returns a whole number from `min` to `max`, both included. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** Returns one of `items`, which must not be empty. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}
