import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { packDirectory } from '../src/backup/archive-writer.js';
import { writeTarArtifact } from '../src/backup/artifact-writer.js';
import { DirectoryStore } from '../src/backup/directory-store.js';
import type { Compression } from '../src/backup/format.js';
import { tempDir, writeRandomSource } from './fixtures/backup/helpers.js';

/**
 * A directory store whose disk is full: `put` copies its source to
 * /dev/full, which fails every write with the kernel's ENOSPC.
 */
class FullDiskStore extends DirectoryStore {
  override async put(_key: string, source: Readable | Buffer): Promise<number> {
    const device = await open('/dev/full', 'w');
    try {
      const input = Buffer.isBuffer(source) ? [source] : (source as AsyncIterable<Buffer>);
      for await (const chunk of input) await device.write(chunk);
      return 0;
    } finally {
      await device.close();
    }
  }
}

const compressions: Compression[] = ['zstd', 'gzip', 'none'];

for (const compression of compressions) {
  test(`full store fails ${compression} artifact with ENOSPC`, async (t) => {
    const dir = await tempDir(t);
    const source = await writeRandomSource(dir, 3, 2 * 1024 * 1024);
    const store = new FullDiskStore(dir);

    const writing = writeTarArtifact(store, 'data/full.srkb', async (tar) => {
      await packDirectory(source, tar);
    }, { compression });

    // The store's error names the cause; the streams it stopped only report an abort.
    await assert.rejects(writing, (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ENOSPC', `got ${error.name}: ${error.message}`);
      return true;
    });
  });
}
