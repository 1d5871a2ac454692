import { createCipheriv, createDecipheriv } from 'node:crypto';
import { z } from 'zod';
import { DamagedArtifactError } from './segments.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** One entry of a backup's file list, in archive order. */
export const fileEntrySchema = z.object({
  /** The path inside the archive, relative, with `/` separators. */
  path: z.string().min(1),
  type: z.enum(['file', 'directory', 'symlink']),
  /** Content bytes for a file, 0 for the other types. */
  size: z.number().int().nonnegative(),
  /** The SHA-256 of a file's content. */
  sha256: sha256Hex.optional(),
  /** The target of a symlink, as stored. */
  target: z.string().optional(),
}).strict();

/** One entry of a backup's file list. */
export type FileEntry = z.infer<typeof fileEntrySchema>;

/** The manifest of one backup: written last, it is what makes the backup exist. */
export const manifestSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/),
  time: z.iso.datetime(),
  class: z.string(),
  source: z.object({
    kind: z.enum(['directory', 'sqlite', 'postgres']),
    path: z.string(),
    host: z.string(),
  }).strict(),
  tags: z.record(z.string(), z.string()),
  complete: z.boolean(),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() }).strict()),
  compression: z.enum(['zstd', 'gzip', 'none']),
  encryption: z.enum(['aes-256-gcm', 'none']),
  keySource: z.enum(['none', 'key-file', 'passphrase']),
  artifact: z.object({
    key: z.string(),
    size: z.number().int().nonnegative(),
    sha256: sha256Hex,
  }).strict(),
  archive: z.object({
    size: z.number().int().nonnegative(),
    sha256: sha256Hex,
  }).strict(),
  totals: z.object({
    files: z.number().int().nonnegative(),
    directories: z.number().int().nonnegative(),
    symlinks: z.number().int().nonnegative(),
    fileBytes: z.number().int().nonnegative(),
  }).strict(),
  /** The file list of an unencrypted backup. */
  files: z.array(fileEntrySchema).optional(),
  /** The file list of an encrypted backup, sealed with the file-list key (base64). */
  sealedFiles: z.string().optional(),
}).strict();

/** The manifest of one backup. */
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * Seals the file list of an encrypted backup with AES-256-GCM under its own
 * key. The nonce is 12 zero bytes, which is safe because each backup has a
 * fresh key that seals exactly one message, and the backup id is the AAD.
 */
export function sealFileList(key: Buffer, id: string, files: FileEntry[]): string {
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12));
  cipher.setAAD(Buffer.from(id, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(files), 'utf8'), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64');
}

/** Opens a file list sealed by {@link sealFileList}, failing when it was changed. */
export function openFileList(key: Buffer, id: string, sealed: string): FileEntry[] {
  const bytes = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.alloc(12));
  decipher.setAAD(Buffer.from(id, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  let text: string;
  try {
    text = Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new DamagedArtifactError(`the sealed file list of backup ${id} failed authentication`);
  }
  return z.array(fileEntrySchema).parse(JSON.parse(text));
}
