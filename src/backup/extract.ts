import {
  closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, writeSync,
} from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, readlink, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Headers } from 'tar-stream';
import type { EntryHandler } from './archive-reader.js';
import { UnsafeEntryError } from './entry-rules.js';
import { entryMode, paxRecords } from './tar-records.js';

type Kind = 'file' | 'directory' | 'symlink';

/** The maximum number of symlinks followed to resolve one symlink, Linux's ELOOP limit. */
const maxSymlinkHops = 40;

/**
 * Writes checked archive entries under `root`, a fresh empty directory. It
 * never follows a symlink while writing: each entry's parents must be
 * directories that this extraction created, and files are opened with
 * O_EXCL and O_NOFOLLOW. Modes, times and (as root) owners are applied as
 * entries arrive, except directories, which {@link finish} sets last.
 */
export class Extraction {
  private readonly kinds = new Map<string, Kind>();
  private readonly directories: { path: string; header: Headers }[] = [];
  private readonly symlinks: string[] = [];

  constructor(private readonly root: string) {}

  /** The handler to pass to readArchive. */
  readonly handle: EntryHandler = async (entry, content) => {
    await this.prepareParents(entry.path);
    if (this.kinds.has(entry.path)) throw new UnsafeEntryError(`entry ${entry.path} appears twice`);
    const absolute = join(this.root, entry.path);
    const type = entry.expected.type;
    this.kinds.set(entry.path, type);
    if (type === 'directory') {
      await mkdir(absolute, { mode: 0o700 });
      this.directories.push({ path: entry.path, header: entry.header });
    } else if (type === 'symlink') {
      await symlink(entry.header.linkname ?? '', absolute);
      this.symlinks.push(entry.path);
      await applyMetadata(absolute, entry.header, true);
    } else {
      await writeFile(absolute, entry.header, content);
    }
  };

  /**
   * Sets the directories' modes and times, deepest first so that setting a
   * parent's time comes after its children changed it, then checks that no
   * symlink leads outside the root when followed through other symlinks.
   */
  async finish(): Promise<void> {
    for (const path of this.symlinks) await this.checkSymlinkStaysInside(path);
    const deepestFirst = [...this.directories].sort((a, b) => b.path.length - a.path.length);
    for (const { path, header } of deepestFirst) {
      await applyMetadata(join(this.root, path), header, false);
    }
  }

  private async prepareParents(path: string): Promise<void> {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      const parent = parts.slice(0, depth).join('/');
      const kind = this.kinds.get(parent);
      if (kind === 'directory') continue;
      if (kind !== undefined) {
        throw new UnsafeEntryError(`entry ${path} would be written through the ${kind} ${parent}`);
      }
      await mkdir(join(this.root, parent), { mode: 0o700 });
      this.kinds.set(parent, 'directory');
    }
  }

  /** Follows symlink `path` hop by hop inside the root and rejects it when it leaves. */
  private async checkSymlinkStaysInside(path: string): Promise<void> {
    let hops = 0;
    const resolved: string[] = path.split('/').slice(0, -1);
    let pending = (await readlink(join(this.root, path))).split('/');
    while (pending.length > 0) {
      const part = pending.shift() ?? '';
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0) throw new UnsafeEntryError(`symlink ${path} leads outside the target`);
        resolved.pop();
        continue;
      }
      resolved.push(part);
      const current = resolved.join('/');
      if (this.kinds.get(current) !== 'symlink') continue;
      hops += 1;
      if (hops > maxSymlinkHops) throw new UnsafeEntryError(`symlink ${path} loops`);
      const target = await readlink(join(this.root, current));
      if (posix.isAbsolute(target)) throw new UnsafeEntryError(`symlink ${path} leads outside the target`);
      resolved.pop();
      pending = [...target.split('/'), ...pending];
    }
  }
}

/**
 * Writes one file with synchronous calls. In a fresh staging directory they
 * only reach the page cache, and for many small files a promise and a
 * thread-pool round trip per call cost more than the calls themselves.
 */
async function writeFile(absolute: string, header: Headers, content: AsyncIterable<Buffer>):
  Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const descriptor = openSync(absolute, flags, 0o600);
  try {
    for await (const chunk of content) writeAll(descriptor, chunk);
    // Setting metadata through the descriptor saves a path lookup per call.
    if (isRoot() && header.uid !== undefined && header.gid !== undefined) {
      fchownSync(descriptor, header.uid, header.gid);
    }
    // chmod comes after chown, because chown clears the setuid and setgid bits.
    fchmodSync(descriptor, entryMode(header));
    const mtime = modificationTime(header);
    futimesSync(descriptor, mtime, mtime);
  } finally {
    closeSync(descriptor);
  }
}

function writeAll(descriptor: number, chunk: Buffer): void {
  for (let offset = 0; offset < chunk.length;) {
    offset += writeSync(descriptor, chunk, offset, chunk.length - offset);
  }
}

async function applyMetadata(absolute: string, header: Headers, isSymlink: boolean): Promise<void> {
  const mtime = modificationTime(header);
  if (isRoot() && header.uid !== undefined && header.gid !== undefined) {
    await lchown(absolute, header.uid, header.gid);
  }
  if (isSymlink) {
    await lutimes(absolute, mtime, mtime);
    return;
  }
  await chmod(absolute, entryMode(header));
  await utimes(absolute, mtime, mtime);
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Returns the entry's mtime, from the pax record when present because it keeps fractions. */
function modificationTime(header: Headers): number | Date {
  return paxTime(header) ?? header.mtime ?? new Date(0);
}

/** Returns the pax mtime record, which keeps fractions of a second, as seconds. */
function paxTime(header: Headers): number | undefined {
  const value = paxRecords(header).mtime;
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

/** Returns true when `path` exists without following a final symlink. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
