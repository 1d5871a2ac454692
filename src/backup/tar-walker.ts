import { createHash, type Hash } from 'node:crypto';
import type { Headers } from 'tar-stream';
import { decode, decodeLongPath, decodePax } from 'tar-stream/headers.js';

const blockSize = 512;

/**
 * Reads the entry headers of a tar stream fed in pieces, skipping the
 * contents, the same way as tar-stream 3.1.7's extract, which restore
 * uses: pax and GNU long-name headers apply to the next entry, a pax
 * `size` record overrides the header's, blocks of zeros are skipped and
 * directories have no content. It lets a check of the headers run where
 * the bytes are, without streaming every content byte through an extract.
 * With `hashContents`, it also hashes the content of every entry but
 * directories, in entry order.
 */
export class TarWalker {
  /** Bytes of a header or long-header body that straddles two pieces. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Content bytes of the current entry still to read, then padding bytes to skip. */
  private content = 0;
  private skip = 0;
  private contentHash?: Hash;
  private digests: string[] = [];
  /** The header whose long body is being gathered, if any. */
  private longHeader?: Headers;
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private gnuLongPath: string | null = null;
  private gnuLongLinkPath: string | null = null;

  constructor(private readonly hashContents = false) {}

  /** Returns the hex SHA-256 of the contents completed since the last call, in entry order. */
  takeDigests(): string[] {
    const digests = this.digests;
    this.digests = [];
    return digests;
  }

  /** Reads `bytes` and returns the headers of the entries that start in them. */
  push(bytes: Uint8Array): Headers[] {
    const entries: Headers[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.content > 0) {
        const read = Math.min(this.content, bytes.length - offset);
        this.contentHash?.update(bytes.subarray(offset, offset + read));
        this.content -= read;
        offset += read;
        if (this.content === 0) this.endContent();
        continue;
      }
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, bytes.length - offset);
        this.skip -= skipped;
        offset += skipped;
        continue;
      }
      const expected = this.longHeader === undefined ? blockSize : (this.longHeader.size ?? 0);
      const copied = Math.min(expected - this.partialBytes, bytes.length - offset);
      this.partial.push(Buffer.from(bytes.buffer, bytes.byteOffset + offset, copied));
      this.partialBytes += copied;
      offset += copied;
      if (this.partialBytes < expected) break;
      const block = Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
      const entry = this.longHeader === undefined
        ? this.readHeader(block) : this.readLongBody(block);
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  /** Throws unless the stream ended between entries. */
  end(): void {
    if (this.content > 0 || this.skip > 0 || this.partialBytes > 0
      || this.longHeader !== undefined) {
      throw new Error('the tar stream ends inside an entry');
    }
  }

  private readHeader(block: Buffer): Headers | undefined {
    const header = decode(block, 'utf-8', false);
    if (header === null) return undefined;
    const size = header.size ?? 0;
    switch (header.type) {
      case 'gnu-long-path':
      case 'gnu-long-link-path':
      case 'pax-global-header':
      case 'pax-header':
        if (size === 0) this.readLongBody(Buffer.alloc(0), header);
        else this.longHeader = header;
        return undefined;
      default:
    }
    this.applyLongHeaders(header);
    if (header.type === 'directory') return header;
    const contentSize = header.size ?? 0;
    if (this.hashContents) this.contentHash = createHash('sha256');
    this.content = contentSize;
    this.skip = padded(contentSize) - contentSize;
    if (contentSize === 0) this.endContent();
    return header;
  }

  private readLongBody(body: Buffer, header = this.longHeader): undefined {
    this.longHeader = undefined;
    if (header === undefined) return undefined;
    switch (header.type) {
      case 'gnu-long-path':
        this.gnuLongPath = decodeLongPath(body, 'utf-8');
        break;
      case 'gnu-long-link-path':
        this.gnuLongLinkPath = decodeLongPath(body, 'utf-8');
        break;
      case 'pax-global-header':
        this.paxGlobal = decodePax(body);
        break;
      default:
        this.pax = this.paxGlobal === null
          ? decodePax(body) : { ...this.paxGlobal, ...decodePax(body) };
    }
    this.skip = padded(body.length) - body.length;
    return undefined;
  }

  private endContent(): void {
    if (this.contentHash !== undefined) this.digests.push(this.contentHash.digest('hex'));
    this.contentHash = undefined;
  }

  private applyLongHeaders(header: Headers): void {
    if (this.gnuLongPath !== null) header.name = this.gnuLongPath;
    if (this.gnuLongLinkPath !== null) header.linkname = this.gnuLongLinkPath;
    this.gnuLongPath = null;
    this.gnuLongLinkPath = null;
    if (this.pax === null) return;
    if (this.pax.path) header.name = this.pax.path;
    if (this.pax.linkpath) header.linkname = this.pax.linkpath;
    if (this.pax.size) header.size = parseInt(this.pax.size, 10);
    (header as Headers & { pax?: Record<string, string> }).pax = this.pax;
    this.pax = null;
  }
}

function padded(size: number): number {
  return Math.ceil(size / blockSize) * blockSize;
}
