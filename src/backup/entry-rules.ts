import { posix } from 'node:path';
import type { Headers } from 'tar-stream';

/** An archive entry that restore rejects because writing it could be unsafe. */
export class UnsafeEntryError extends Error {}

/** The maximum entry path length restore accepts, in bytes, equal to Linux's PATH_MAX. */
export const maxPathBytes = 4096;

/** The deepest entry restore accepts, counted in path components. */
export const maxDepth = 256;

/**
 * Returns the entry name as a normalized relative path, or throws
 * {@link UnsafeEntryError} for a name that is empty, absolute (one or more
 * leading slashes), contains `..` or a NUL byte, or is too long or deep.
 */
export function checkEntryName(name: string): string {
  if (name.includes('\0')) throw new UnsafeEntryError(`entry ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith('/')) throw new UnsafeEntryError(`entry ${name} is an absolute path`);
  if (/^[A-Za-z]:/.test(name) || name.includes('\\')) {
    throw new UnsafeEntryError(`entry ${name} has a drive letter or backslash`);
  }
  if (Buffer.byteLength(name) > maxPathBytes) {
    throw new UnsafeEntryError(`entry ${name.slice(0, 60)}… is longer than ${maxPathBytes} bytes`);
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new UnsafeEntryError(`entry ${name} contains ..`);
  if (parts.length === 0) throw new UnsafeEntryError(`entry ${JSON.stringify(name)} names no path`);
  if (parts.length > maxDepth) {
    throw new UnsafeEntryError(`entry ${name.slice(0, 60)}… is deeper than ${maxDepth} levels`);
  }
  return parts.join('/');
}

/** Options of {@link checkEntryHeader}. */
export interface EntryRuleOptions {
  /** Accepts files and directories with the setuid or setgid bit. */
  allowSetuid: boolean;
}

/**
 * Throws {@link UnsafeEntryError} for an entry that restore does not
 * write: devices, FIFOs, hard links, unknown types, setuid or setgid bits
 * without `allowSetuid`, and symlinks whose target leaves the tree.
 */
export function checkEntryHeader(path: string, header: Headers, options: EntryRuleOptions): void {
  const type = header.type ?? 'file';
  if (type === 'link') {
    const target = header.linkname ?? '';
    if (target.startsWith('/') || target.split('/').includes('..')) {
      throw new UnsafeEntryError(`entry ${path} is a hard link to ${target}, outside the target`);
    }
    throw new UnsafeEntryError(`entry ${path} is a hard link, which srekit archives never contain`);
  }
  if (type === 'character-device' || type === 'block-device' || type === 'fifo') {
    throw new UnsafeEntryError(`entry ${path} is a ${type}, which restore does not create`);
  }
  if (type !== 'file' && type !== 'directory' && type !== 'symlink') {
    throw new UnsafeEntryError(`entry ${path} has type ${type}, which restore does not create`);
  }
  if (((header.mode ?? 0) & 0o6000) !== 0 && !options.allowSetuid) {
    throw new UnsafeEntryError(`entry ${path} has the setuid or setgid bit (mode `
      + `${(header.mode ?? 0).toString(8)}); pass --allow-setuid to restore it`);
  }
  if (type === 'symlink') checkSymlinkTarget(path, header.linkname ?? '');
}

/**
 * Throws {@link UnsafeEntryError} when symlink `path`'s target is absolute
 * or, read as a path relative to the link's directory, leaves the tree.
 */
export function checkSymlinkTarget(path: string, target: string): void {
  if (target === '' || target.includes('\0')) {
    throw new UnsafeEntryError(`symlink ${path} has an empty or invalid target`);
  }
  if (target.startsWith('/')) {
    throw new UnsafeEntryError(`symlink ${path} points to the absolute path ${target}`);
  }
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw new UnsafeEntryError(`symlink ${path} points to ${target}, outside the target`);
  }
}
