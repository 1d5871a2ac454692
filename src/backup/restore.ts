import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { SrekitError } from '../common/errors.js';
import { describeFileError, isPathError, makeDirectories } from '../common/files.js';
import { readArchive } from './archive-reader.js';
import { openBackup, readPayload, toBackupError } from './artifact-reader.js';
import { UnsafeEntryError } from './entry-rules.js';
import { Extraction } from './extract.js';
import type { KeyMaterial } from './keys.js';
import type { Manifest } from './manifest.js';
import { isPostgresUrl } from './postgres.js';
import { restoreToPostgres } from './postgres-restore.js';
import type { Repository } from './repository.js';

/** Options of {@link restoreBackup}. */
export interface RestoreOptions {
  /**
   * The directory to restore into, the database file for a SQLite backup,
   * or a `postgres://` URL of the database for a PostgreSQL backup.
   */
  target: string;
  key?: KeyMaterial;
  /** Replaces a target that exists and is not empty. */
  force: boolean;
  allowSetuid: boolean;
  /** Called with the number of artifact bytes read, for progress. */
  onBytes?: (count: number) => void;
  /** Stops the restore before the next entry; the target is left as it was. */
  signal?: AbortSignal;
}

/**
 * Restores backup `manifest` to `options.target`. Everything is extracted
 * into a new temporary directory beside the target and checked against the
 * manifest, and only then renamed into place, so a failed restore leaves
 * the target as it was.
 */
export async function restoreBackup(
  repository: Repository, manifest: Manifest, options: RestoreOptions,
): Promise<void> {
  if (isPostgresUrl(options.target)) {
    await restoreToPostgres(manifest, options.target, options.force, (directory) =>
      restoreBackup(repository, manifest, { ...options, target: directory, force: false }));
    return;
  }
  assertTargetOutsideRepository(options.target, repository.store.location);
  await assertTargetReplaceable(options.target, options.force);
  const opened = await openBackup(repository.store, manifest, options.key);
  // The first directory this creates is removed again if the restore fails.
  const { staging, createdParent } = await makeStaging(options.target);
  let restored = false;
  try {
    // Restore is bound by file creation in the kernel, not by decompression,
    // so one thread decompresses and hashes the tar stream, which saves the
    // memory of a thread pool.
    const payload = await readPayload(repository.store, opened, options.onBytes,
      { singleThread: true });
    const extraction = new Extraction(staging);
    try {
      await readArchive(payload.tar, opened.files, options, async (entry, content) => {
        options.signal?.throwIfAborted();
        await extraction.handle(entry, content);
      });
      await payload.done;
      await extraction.finish();
    } catch (error) {
      payload.tar.destroy();
      throw error;
    }
    if (manifest.source.kind === 'sqlite') {
      await placeDatabase(staging, manifest, options.target);
    } else {
      await placeDirectory(staging, options.target);
    }
    restored = true;
  } catch (error) {
    throw toRestoreError(manifest.id, error);
  } finally {
    await rm(staging, { recursive: true, force: true });
    if (!restored && createdParent !== undefined) {
      await rm(createdParent, { recursive: true, force: true });
    }
  }
}

/**
 * Creates the empty directory that a restore extracts into, beside `target`,
 * and any missing parents. A path error, such as a parent under /proc or on
 * a read-only file system, becomes INVALID_INPUT and leaves nothing behind.
 */
async function makeStaging(target: string):
  Promise<{ staging: string; createdParent: string | undefined }> {
  const parent = dirname(target);
  const staging = join(parent, `.${basename(target)}.restore-${randomBytes(4).toString('hex')}`);
  let createdParent: string | undefined;
  try {
    createdParent = await makeDirectories(parent);
    await mkdir(staging, { mode: 0o700 });
    return { staging, createdParent };
  } catch (error) {
    if (createdParent !== undefined) await rm(createdParent, { recursive: true, force: true });
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT', `could not create a directory beside restore target `
      + `${target}: ${describeFileError(error)}`,
    { hint: 'choose a --to whose parent directory exists or can be created' });
  }
}

/** Throws unless `target` and the repository directory are apart, neither inside the other. */
function assertTargetOutsideRepository(target: string, repository: string): void {
  const inside = (path: string, root: string) => path === root || path.startsWith(`${root}${sep}`);
  if (inside(target, repository) || inside(repository, target)) {
    throw new SrekitError('INVALID_INPUT', `restore target ${target} overlaps the repository `
      + `${repository}`, { hint: 'restore to a path outside the repository' });
  }
}

function toRestoreError(id: string, error: unknown): unknown {
  if (error instanceof UnsafeEntryError) {
    return new SrekitError('BACKUP_UNSAFE_ENTRY', `restore of backup ${id} rejected an entry: `
      + `${error.message}; nothing was written to the target`);
  }
  return toBackupError(id, error);
}

/**
 * Throws unless `target` is missing, an empty directory, or `force` is set.
 * For a SQLite backup the target is a file, which counts as empty at 0 bytes.
 */
async function assertTargetReplaceable(target: string, force: boolean): Promise<void> {
  let empty: boolean;
  try {
    const stats = await stat(target);
    empty = stats.isDirectory() ? (await readdir(target)).length === 0 : stats.size === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new SrekitError('INVALID_INPUT', `could not read restore target ${target}: ${describeFileError(error)}`);
  }
  if (!empty && !force) {
    throw new SrekitError('INVALID_INPUT', `restore target ${target} exists and is not empty`, {
      hint: 'choose another --to, or pass --force to replace it',
    });
  }
}

/**
 * Moves the restored tree to `target`. An existing target is first renamed
 * aside and removed after the swap. NOTE: the two renames are not one atomic
 * step, so a crash between them leaves the old tree under a hidden name.
 */
async function placeDirectory(staging: string, target: string): Promise<void> {
  const aside = `${join(dirname(target), `.${basename(target)}.old-${randomBytes(4).toString('hex')}`)}`;
  let moved = false;
  try {
    await rename(target, aside);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (moved) await rename(aside, target);
    throw error;
  }
  if (moved) await rm(aside, { recursive: true, force: true });
}

/** Moves the one restored database file onto `target` with a single rename. */
async function placeDatabase(staging: string, manifest: Manifest, target: string): Promise<void> {
  const name = basename(manifest.source.path);
  const entries = await readdir(staging);
  if (entries.length !== 1 || entries[0] !== name) {
    throw new SrekitError('BACKUP_DAMAGED', `backup ${manifest.id} of a SQLite database should `
      + `hold only ${name}, but holds ${entries.join(', ')}`);
  }
  // Stale -wal and -shm files beside the target belong to the old database,
  // and SQLite would replay them onto the restored one.
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
  await rename(join(staging, name), target);
}
