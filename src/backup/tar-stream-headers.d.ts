/**
 * Types for the header codec inside tar-stream 3.1.7, which its pack stream
 * uses and which @types/tar-stream does not describe. Using the same codec
 * keeps the bytes that {@link TarWriter} writes equal to those of a pack.
 */
declare module 'tar-stream/headers.js' {
  import type { Headers } from 'tar-stream';

  /** Encodes a 512-byte ustar header, or returns null when a field does not fit. */
  export function encode(header: Headers): Buffer | null;

  /** Encodes the body of a pax extended header with `path`, `linkpath` and the records. */
  export function encodePax(
    header: { name?: string; linkname?: string | null; pax?: Record<string, string> },
  ): Buffer;

  /** Decodes a 512-byte header block; returns null for a block of zeros, throws when invalid. */
  export function decode(
    buf: Buffer, filenameEncoding: string, allowUnknownFormat: boolean,
  ): Headers | null;

  /** Decodes the body of a pax extended header into its records. */
  export function decodePax(buf: Buffer): Record<string, string>;

  /** Decodes the body of a GNU long name or long link header. */
  export function decodeLongPath(buf: Buffer, encoding: string): string;
}
