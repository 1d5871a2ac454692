import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
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

// Node.js 20's `mkdir(dir, { recursive: true })` never returns when mkdir
// fails with ENOENT although the parent exists, as under /proc, and keeps a
// core busy. These functions find the missing levels first and make them
// one at a time, so such a path fails at once with ENOENT.

/**
 * Creates `dir` and its missing parents. Returns the first directory it
 * created, whose removal undoes the call, or undefined when `dir` existed.
 */
export async function makeDirectories(dir: string): Promise<string | undefined> {
  const missing = missingLevels(dir);
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (error) {
      // Another process may have made it in the meantime.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return missing[0];
}

/** Creates `dir` and its missing parents, like {@link makeDirectories}, synchronously. */
export function makeDirectoriesSync(dir: string): void {
  for (const path of missingLevels(dir)) {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Returns the directories from `dir` upwards that do not exist, outermost first. */
function missingLevels(dir: string): string[] {
  const missing: string[] = [];
  let current = resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

function existsSync(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
