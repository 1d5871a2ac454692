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
}
