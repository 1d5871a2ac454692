import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { ByteRange, PartialUpload, Store, StoredObject } from './store.js';

/** The name ending of a file that {@link DirectoryStore.put} has not committed yet. */
const partialSuffix = '.partial';


/**
 * A {@link Store} in a local or NFS directory. A `put` writes a hidden
 * temporary file beside the target, fsyncs it, renames it into place and
 * fsyncs the directory, so a crash leaves either the old state or the whole
 * object, plus at most a temporary file that {@link listPartial} reports.
 */
export class DirectoryStore implements Store {
  readonly location: string;

  constructor(root: string) {
    this.location = resolve(root);
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.location)).isDirectory();
    } catch {
      return false;
    }
  }

  async create(): Promise<void> {
    await mkdir(this.location, { recursive: true });
  }

  async put(key: string, source: Readable | Buffer, signal?: AbortSignal): Promise<number> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path),
      `.${basename(path)}.${randomBytes(4).toString('hex')}${partialSuffix}`);
    try {
      const file = await open(temporary, 'wx', 0o600);
      let size = 0;
      try {
        const input = Buffer.isBuffer(source) ? [source] : (source as AsyncIterable<Buffer>);
        // Awaiting each write is the back-pressure: the source is read no faster than the disk.
        for await (const chunk of input) {
          signal?.throwIfAborted();
          await file.write(chunk);
          size += chunk.length;
        }
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
      await syncDirectory(dirname(path));
      return size;
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    // Opening first makes a missing object fail here, not on the first read.
    const file = await open(path, 'r');
    // Large reads mean fewer chunks for the decryption and decompression stages.
    return createReadStream('', {
      fd: file, start: range?.start, end: range?.end, highWaterMark: 1024 * 1024,
    });
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? { key, size: stats.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for (const key of await this.listDirectoryOf(prefix)) {
      if (basename(key).startsWith('.') || !key.startsWith(prefix)) continue;
      const found = await this.stat(key);
      if (found !== undefined) objects.push(found);
    }
    return objects;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async listPartial(prefix: string): Promise<PartialUpload[]> {
    const uploads: PartialUpload[] = [];
    for (const handle of await this.listDirectoryOf(prefix)) {
      const match = /^\.(.+)\.[0-9a-f]{8}\.partial$/.exec(basename(handle));
      if (match?.[1] === undefined) continue;
      const key = dirname(handle) === '.' ? match[1] : `${dirname(handle)}/${match[1]}`;
      if (key.startsWith(prefix)) uploads.push({ key, handle });
    }
    return uploads;
  }

  async removePartial(upload: PartialUpload): Promise<void> {
    await rm(this.pathOf(upload.handle), { force: true });
  }

  /** Lists the keys of the files in the directory that `prefix` names, hidden ones too. */
  private async listDirectoryOf(prefix: string): Promise<string[]> {
    const directory = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    let entries;
    try {
      entries = await readdir(this.pathOf(directory), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => (directory === '' ? entry.name : `${directory}/${entry.name}`))
      .sort();
  }

  private pathOf(key: string): string {
    const path = resolve(this.location, key);
    if (path !== this.location && !path.startsWith(this.location + sep)) {
      throw new Error(`store key ${key} points outside ${this.location}`);
    }
    return path;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
