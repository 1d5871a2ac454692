import {
  closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats,
} from 'node:fs';
import { join } from 'node:path';
import { describeFileError } from '../common/files.js';
import { checkSymlinkTarget, UnsafeEntryError } from './entry-rules.js';
import type { FileEntry } from './manifest.js';
import { zeroModeRecord } from './tar-records.js';
import type { PaxHeaders, TarWriter } from './tar-writer.js';

/** A source path that the archive leaves out, and why. */
export interface SkippedPath {
  path: string;
  reason: string;
}

/** The result of {@link packDirectory}: the file list in archive order and the skipped paths. */
export interface PackedTree {
  files: FileEntry[];
  skipped: SkippedPath[];
}

/** Options of {@link packDirectory}. */
export interface PackOptions {
  /** Called with the number of file bytes read, for progress. */
  onBytes?: (count: number) => void;
  signal?: AbortSignal;
}

/**
 * Adds the tree under `root` to `tar` in a stable order, depth first with
 * names sorted, and returns the file list with each file's SHA-256. Paths
 * are relative to `root`, and `root` itself is not an entry. Sockets, FIFOs,
 * devices, paths that cannot be read and symlinks that restore would reject
 * (absolute or leaving the tree) are skipped and reported. A file
 * that shrinks while it is read is padded with zeros to its size at the
 * start, and reported too.
 */
export async function packDirectory(root: string, tar: TarWriter, options: PackOptions = {}):
  Promise<PackedTree> {
  const tree: PackedTree = { files: [], skipped: [] };
  await packChildren(root, '', tar, tree, options);
  return tree;
}

// The walk uses synchronous calls: with many small files, one promise and
// one thread-pool round trip per call cost more than the calls themselves.
// The event loop still runs whenever a full chunk waits for the pipeline.
async function packChildren(
  root: string, relative: string, tar: TarWriter, tree: PackedTree, options: PackOptions,
): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(join(root, relative)).sort();
  } catch (error) {
    tree.skipped.push({ path: relative || '.', reason: describeFileError(error) });
    return;
  }
  for (const name of names) {
    options.signal?.throwIfAborted();
    const path = relative === '' ? name : `${relative}/${name}`;
    await packPath(root, path, tar, tree, options);
  }
}

async function packPath(
  root: string, path: string, tar: TarWriter, tree: PackedTree, options: PackOptions,
): Promise<void> {
  const absolute = join(root, path);
  let stats: BigIntStats;
  try {
    stats = lstatSync(absolute, { bigint: true });
  } catch (error) {
    tree.skipped.push({ path, reason: describeFileError(error) });
    return;
  }
  if (stats.isDirectory()) {
    await tar.header({ ...baseHeader(path, stats), name: `${path}/`, type: 'directory' });
    tree.files.push({ path, type: 'directory', size: 0 });
    await packChildren(root, path, tar, tree, options);
  } else if (stats.isSymbolicLink()) {
    await packSymlink(absolute, path, stats, tar, tree);
  } else if (stats.isFile()) {
    await packFile(absolute, path, stats, tar, tree, options);
  } else {
    tree.skipped.push({ path, reason: `${describeType(stats)} cannot be archived` });
  }
}

async function packSymlink(
  absolute: string, path: string, stats: BigIntStats, tar: TarWriter, tree: PackedTree,
): Promise<void> {
  let target: string;
  try {
    target = readlinkSync(absolute);
  } catch (error) {
    tree.skipped.push({ path, reason: describeFileError(error) });
    return;
  }
  // Restore rejects such a link, which would make the whole backup unrestorable.
  // NOTE: a chain of in-tree links that leads out only when followed on disk
  // (d -> ., x -> d/d/../..) passes this check, and restore still rejects it.
  try {
    checkSymlinkTarget(path, target);
  } catch (error) {
    if (!(error instanceof UnsafeEntryError)) throw error;
    tree.skipped.push({ path, reason: `symlink to ${target}, which ${describeEscape(target)}. `
      + 'Restore rejects such links, so back up the target separately if it is needed' });
    return;
  }
  await tar.header({ ...baseHeader(path, stats), type: 'symlink', linkname: target });
  tree.files.push({ path, type: 'symlink', size: 0, target });
}

async function packFile(
  absolute: string, path: string, stats: BigIntStats, tar: TarWriter, tree: PackedTree,
  options: PackOptions,
): Promise<void> {
  const size = Number(stats.size);
  let descriptor: number;
  try {
    descriptor = openSync(absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    tree.skipped.push({ path, reason: describeFileError(error) });
    return;
  }
  // The writer hashes the content on its worker thread and fills in the digest.
  const entry: FileEntry = { path, type: 'file', size, sha256: '' };
  let written = 0;
  try {
    await tar.header({ ...baseHeader(path, stats), type: 'file', size });
    tar.startFile((sha256) => { entry.sha256 = sha256; });
    // Reading stops at the size lstat gave, which the header already holds.
    for (let read = -1; written < size && read !== 0;) {
      const space = await tar.space();
      read = readSync(descriptor, space, 0, Math.min(space.length, size - written), written);
      tar.commit(read);
      written += read;
      options.onBytes?.(read);
    }
  } finally {
    closeSync(descriptor);
  }
  if (written < size) {
    tree.skipped.push({ path, reason: `shrank from ${size} to ${written} bytes while being read; `
      + 'the archive holds it padded with zeros' });
    await tar.zeros(size - written);
  }
  tar.endFile();
  await tar.pad(size);
  tree.files.push(entry);
}

function baseHeader(path: string, stats: BigIntStats): PaxHeaders {
  const nanoseconds = stats.mtimeNs % 1_000_000_000n;
  const seconds = stats.mtimeNs / 1_000_000_000n;
  const mode = Number(stats.mode & 0o7777n);
  // The ustar mtime field has whole seconds, so the pax record keeps the nanoseconds.
  const pax: Record<string, string> = { mtime: `${seconds}.${nanoseconds.toString().padStart(9, '0')}` };
  // tar-stream 3.1.7 writes its default mode (0644 or 0755) in place of 0, so
  // a vendor pax record keeps mode 000, which /etc/shadow has on Fedora and RHEL.
  if (mode === 0) pax[zeroModeRecord] = '0';
  return {
    name: path,
    mode,
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    mtime: new Date(Number(stats.mtimeMs)),
    pax,
  };
}

function describeEscape(target: string): string {
  if (target.startsWith('/')) return 'is an absolute path';
  if (target === '') return 'is empty';
  return 'leads outside the source';
}

function describeType(stats: BigIntStats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a file of unknown type';
}
