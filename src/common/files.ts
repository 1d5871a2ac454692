import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Error codes of file system calls that come from the path the user chose,
 * such as a missing or read-only directory, rather than from the machine,
 * such as a full disk.
 */
const pathErrorCodes = new Set([
  'EACCES', 'EEXIST', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'ENOENT', 'ENOTDIR', 'EPERM', 'EROFS',
]);

/** Returns true when `error` is a file system error caused by the path itself. */
export function isPathError(error: unknown): error is NodeJS.ErrnoException {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && pathErrorCodes.has(code);
}

/**
 * Returns the reason of a file system error without the path, which the
 * caller names itself: "no such file or directory (ENOENT)".
 */
export function describeFileError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  // Node's messages read "ENOENT: no such file or directory, open '/x'".
  const reason = /^[A-Z]+: ([^,]+)/.exec(error.message)?.[1];
  if (code === undefined || reason === undefined) return error.message;
  return `${reason} (${code})`;
}

/**
 * Writes `text` to `path` through a new temporary file in the same directory
 * and a rename, so readers never see half a file. On failure the temporary
 * file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  // The name is cut to 200 characters so that, with the suffix, it stays
  // under the 255 bytes most file systems allow when `path`'s name fits.
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const temporary = join(dirname(path), `.${basename(path).slice(0, 200)}.${suffix}`);
  try {
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(text);
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Returns the nearest existing path among `path` and its parents, with
 * whether it is a directory. Throws the errors of `stat` other than ENOENT
 * and ENOTDIR, such as EACCES for a parent that cannot be searched.
 */
export async function nearestExisting(
  path: string,
): Promise<{ path: string; isDirectory: boolean }> {
  let current = resolve(path);
  for (;;) {
    try {
      const stats = await stat(current);
      return { path: current, isDirectory: stats.isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR means a parent is a file, which the next round finds.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    const parent = dirname(current);
    // The root always exists, so this ends there at the latest.
    if (parent === current) return { path: current, isDirectory: true };
    current = parent;
  }
}
