import { createHash } from 'node:crypto';

/**
 * The byte layout of a stored backup artifact. docs/backup-format.md
 * describes the same layout for someone writing an independent decoder.
 *
 * An artifact is a fixed-size header followed by the payload. The payload is
 * the compressed tar stream, split into AES-256-GCM segments when the backup
 * is encrypted and stored as it is otherwise.
 */

/** The first eight bytes of every artifact. */
export const artifactMagic = Buffer.from('SRKBAK01', 'ascii');

/**
 * The artifact format version that this code writes. Version 2 stores zstd
 * payloads as independent frames of {@link defaultFrameSize} plain bytes;
 * version 1, which this code still reads, stored one zstd frame.
 */
export const formatVersion = 2;

/** The artifact format versions that this code reads. */
const readableVersions = [1, 2];

/** The tar bytes in every zstd frame but the last, in new artifacts. */
export const defaultFrameSize = 1024 * 1024;

/** The smallest and largest frame size a decoder accepts, which bounds its memory. */
export const frameSizeLimits = { min: 64 * 1024, max: 64 * 1024 * 1024 };

/** The size of the artifact header in bytes. */
export const headerSize = 128;

/** The number of plaintext bytes in every encrypted segment but the last. */
export const defaultSegmentSize = 1024 * 1024;

/** The GCM authentication tag that ends every encrypted segment. */
export const tagSize = 16;

/** The compression applied to the tar stream before encryption. */
export type Compression = 'zstd' | 'gzip' | 'none';

/** The kind of secret that encrypts a backup, or none. */
export type KeySource = 'none' | 'key-file' | 'passphrase';

const compressionCodes: Record<Compression, number> = { none: 0, gzip: 1, zstd: 2 };
const keySourceCodes: Record<KeySource, number> = { none: 0, 'key-file': 1, passphrase: 2 };

/** The scrypt cost parameters stored with a passphrase-encrypted backup. */
export interface ScryptParameters {
  /** The base-2 logarithm of the CPU and memory cost N. */
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
}

/** The decoded header of an artifact. */
export interface ArtifactHeader {
  /** The format version; {@link encodeHeader} always writes {@link formatVersion}. */
  version?: number;
  compression: Compression;
  /**
   * Tar bytes per zstd frame, in version 2 with zstd; 0 when the payload is
   * one stream (version 1, gzip or none).
   */
  frameSize: number;
  keySource: KeySource;
  /** Plaintext bytes per segment; 0 when the backup is not encrypted. */
  segmentSize: number;
  /** The HKDF salt that makes each backup's key unique (32 bytes). */
  hkdfSalt: Buffer;
  /** Zero-filled for a key file or no key. */
  scrypt: ScryptParameters;
  /** The key check value, 32 bytes; zero-filled when not encrypted. */
  keyCheck: Buffer;
}

/** The reason an artifact header could not be decoded. */
export class HeaderError extends Error {}

/**
 * Encodes `header` into the fixed {@link headerSize}-byte layout, ending with
 * the first 16 bytes of the SHA-256 of the bytes before them.
 */
export function encodeHeader(header: ArtifactHeader): Buffer {
  const bytes = Buffer.alloc(headerSize);
  artifactMagic.copy(bytes, 0);
  bytes.writeUInt8(formatVersion, 8);
  bytes.writeUInt8(compressionCodes[header.compression], 9);
  bytes.writeUInt8(keySourceCodes[header.keySource], 10);
  bytes.writeUInt8(header.scrypt.logN, 11);
  bytes.writeUInt32BE(header.segmentSize, 12);
  bytes.writeUInt32BE(header.scrypt.r, 16);
  bytes.writeUInt32BE(header.scrypt.p, 20);
  header.scrypt.salt.copy(bytes, 24, 0, 16);
  header.hkdfSalt.copy(bytes, 40, 0, 32);
  header.keyCheck.copy(bytes, 72, 0, 32);
  bytes.writeUInt32BE(header.frameSize, 104);
  headerDigest(bytes).copy(bytes, 112);
  return bytes;
}

/** Decodes and checks an artifact header, throwing {@link HeaderError} when it is damaged. */
export function decodeHeader(bytes: Buffer): ArtifactHeader {
  if (bytes.length < headerSize) {
    throw new HeaderError(`the artifact is ${bytes.length} bytes, shorter than its header`);
  }
  if (!bytes.subarray(0, 8).equals(artifactMagic)) {
    throw new HeaderError('the artifact does not start with the srekit backup magic');
  }
  if (!headerDigest(bytes).equals(bytes.subarray(112, headerSize))) {
    throw new HeaderError('the artifact header checksum does not match');
  }
  const version = bytes.readUInt8(8);
  if (!readableVersions.includes(version)) {
    throw new HeaderError(`the artifact has format version ${version}; this srekit reads `
      + `${readableVersions.join(' and ')}`);
  }
  const compression = decodeEnum(compressionCodes, bytes.readUInt8(9), 'compression');
  const header: ArtifactHeader = {
    version,
    compression,
    frameSize: version === 1 ? 0 : bytes.readUInt32BE(104),
    keySource: decodeEnum(keySourceCodes, bytes.readUInt8(10), 'key source'),
    segmentSize: bytes.readUInt32BE(12),
    scrypt: {
      logN: bytes.readUInt8(11),
      r: bytes.readUInt32BE(16),
      p: bytes.readUInt32BE(20),
      salt: Buffer.from(bytes.subarray(24, 40)),
    },
    hkdfSalt: Buffer.from(bytes.subarray(40, 72)),
    keyCheck: Buffer.from(bytes.subarray(72, 104)),
  };
  if (header.keySource !== 'none' && header.segmentSize === 0) {
    throw new HeaderError('the artifact is encrypted but its segment size is 0');
  }
  checkFrameSize(header);
  return header;
}

function checkFrameSize(header: ArtifactHeader): void {
  const { frameSize, compression } = header;
  if (compression !== 'zstd' || header.version === 1) {
    if (frameSize !== 0) throw new HeaderError(`the artifact has a frame size without zstd frames`);
    return;
  }
  if (frameSize < frameSizeLimits.min || frameSize > frameSizeLimits.max) {
    throw new HeaderError(`the artifact's zstd frame size ${frameSize} is not between `
      + `${frameSizeLimits.min} and ${frameSizeLimits.max} bytes`);
  }
}

function headerDigest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes.subarray(0, 112)).digest().subarray(0, 16);
}

function decodeEnum<T extends string>(codes: Record<T, number>, code: number, field: string): T {
  const entry = Object.entries(codes).find(([, value]) => value === code);
  if (entry === undefined) throw new HeaderError(`the artifact has an unknown ${field} code ${code}`);
  return entry[0] as T;
}
