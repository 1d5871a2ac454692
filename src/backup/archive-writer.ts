import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Headers, Pack } from 'tar-stream';
import { describeFileError } from '../common/files.js';
import { checkSymlinkTarget, UnsafeEntryError } from './entry-rules.js';
import type { FileEntry } from './manifest.js';
import { zeroModeRecord } from './tar-records.js';

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
 * Adds the tree under `root` to `pack` in a stable order, depth first with
 * names sorted, and returns the file list with each file's SHA-256. Paths
 * are relative to `root`, and `root` itself is not an entry. Sockets, FIFOs,
 * devices, paths that cannot be read and symlinks that restore would reject
 * (absolute or leaving the tree) are skipped and reported. A file
 * that shrinks while it is read is padded with zeros to its size at the
 * start, and reported too.
 */
export async function packDirectory(root: string, pack: Pack, options: PackOptions = {}):
  Promise<PackedTree> {
  const tree: PackedTree = { files: [], skipped: [] };
  await packChildren(root, '', pack, tree, options);
  return tree;
}

/** Files up to this size are read whole, ahead of their turn; larger ones are streamed. */
const smallFileBytes = 256 * 1024;

/** How many paths of a directory are inspected (and small files read) ahead of packing. */
const lookahead = 16;

/** A path's lstat result, and the content of a small regular file, or the error of either. */
interface InspectedPath {
  path: string;
  stats?: BigIntStats;
  content?: Buffer;
  error?: unknown;
}

async function packChildren(
  root: string, relative: string, pack: Pack, tree: PackedTree, options: PackOptions,
): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(join(root, relative))).sort();
  } catch (error) {
    tree.skipped.push({ path: relative || '.', reason: describeFileError(error) });
    return;
  }
  // Inspecting ahead keeps several file system calls in flight, which matters
  // for many small files, while packing stays in order.
  const paths = names.map((name) => (relative === '' ? name : `${relative}/${name}`));
  const pending: Promise<InspectedPath>[] = [];
  let next = 0;
  const fill = () => {
    while (next < paths.length && pending.length < lookahead) {
      pending.push(inspect(root, paths[next++] ?? ''));
    }
  };
  fill();
  for (let inspected = pending.shift(); inspected !== undefined; inspected = pending.shift()) {
    options.signal?.throwIfAborted();
    const item = await inspected;
    fill();
    await packPath(root, item, pack, tree, options);
  }
}

async function inspect(root: string, path: string): Promise<InspectedPath> {
  const absolute = join(root, path);
  try {
    const stats = await lstat(absolute, { bigint: true });
    if (!stats.isFile() || stats.size > BigInt(smallFileBytes)) return { path, stats };
    return { path, stats, content: await readFile(absolute) };
  } catch (error) {
    return { path, error };
  }
}

async function packPath(
  root: string, item: InspectedPath, pack: Pack, tree: PackedTree, options: PackOptions,
): Promise<void> {
  const { path, stats } = item;
  if (stats === undefined) {
    tree.skipped.push({ path, reason: describeFileError(item.error) });
    return;
  }
  const absolute = join(root, path);
  if (stats.isDirectory()) {
    await addEntry(pack, { ...baseHeader(path, stats), name: `${path}/`, type: 'directory' });
    tree.files.push({ path, type: 'directory', size: 0 });
    await packChildren(root, path, pack, tree, options);
  } else if (stats.isSymbolicLink()) {
    await packSymlink(absolute, path, stats, pack, tree);
  } else if (item.content !== undefined) {
    await packSmallFile(path, stats, item.content, pack, tree, options);
  } else if (stats.isFile()) {
    await packFile(absolute, path, stats, pack, tree, options);
  } else {
    tree.skipped.push({ path, reason: `${describeType(stats)} cannot be archived` });
  }
}

async function packSmallFile(
  path: string, stats: BigIntStats, content: Buffer, pack: Pack, tree: PackedTree,
  options: PackOptions,
): Promise<void> {
  // The size comes from the content read, which may differ from lstat's if the file changed.
  await addEntry(pack, { ...baseHeader(path, stats), type: 'file', size: content.length }, content);
  options.onBytes?.(content.length);
  const sha256 = createHash('sha256').update(content).digest('hex');
  tree.files.push({ path, type: 'file', size: content.length, sha256 });
}

async function packSymlink(
  absolute: string, path: string, stats: BigIntStats, pack: Pack, tree: PackedTree,
): Promise<void> {
  let target: string;
  try {
    target = await readlink(absolute);
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
  await addEntry(pack, { ...baseHeader(path, stats), type: 'symlink', linkname: target });
  tree.files.push({ path, type: 'symlink', size: 0, target });
}

async function packFile(
  absolute: string, path: string, stats: BigIntStats, pack: Pack, tree: PackedTree,
  options: PackOptions,
): Promise<void> {
  const size = Number(stats.size);
  let input;
  try {
    input = size === 0 ? undefined : createReadStream(absolute, { start: 0, end: size - 1 });
    if (input !== undefined) await once(input, 'open');
  } catch (error) {
    tree.skipped.push({ path, reason: describeFileError(error) });
    return;
  }
  const hash = createHash('sha256');
  let written = 0;
  const { entry, finished } = openEntry(pack, { ...baseHeader(path, stats), type: 'file', size });
  const write = async (chunk: Buffer) => {
    hash.update(chunk);
    written += chunk.length;
    options.onBytes?.(chunk.length);
    if (!entry.write(chunk)) await once(entry, 'drain');
  };
  if (input !== undefined) {
    for await (const chunk of input as AsyncIterable<Buffer>) await write(chunk);
  }
  if (written < size) {
    tree.skipped.push({ path, reason: `shrank from ${size} to ${written} bytes while being read; `
      + 'the archive holds it padded with zeros' });
    while (written < size) await write(Buffer.alloc(Math.min(size - written, 65536)));
  }
  entry.end();
  await finished;
  tree.files.push({ path, type: 'file', size, sha256: hash.digest('hex') });
}

function baseHeader(path: string, stats: BigIntStats): Headers & { pax: Record<string, string> } {
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

function addEntry(pack: Pack, header: Headers, content?: Buffer): Promise<void> {
  return openEntry(pack, header, content ?? Buffer.alloc(0)).finished;
}

/**
 * Starts a tar entry and returns its stream with a promise that settles when
 * the pack has taken it. Errors of the entry stream reject the promise, so a
 * destroyed pack does not leave an unhandled 'error' event.
 */
function openEntry(pack: Pack, header: Headers, content?: Buffer):
  { entry: ReturnType<Pack['entry']>; finished: Promise<void> } {
  let entry!: ReturnType<Pack['entry']>;
  const finished = new Promise<void>((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    entry = content === undefined ? pack.entry(header, done) : pack.entry(header, content, done);
    entry.on('error', reject);
  });
  // A caller that fails while writing never awaits `finished`.
  finished.catch(() => {});
  return { entry, finished };
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
