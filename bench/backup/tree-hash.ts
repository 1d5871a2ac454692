import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The content summary of a directory tree. */
export interface TreeDigest {
  files: number;
  directories: number;
  /** Sum of the regular files' sizes. */
  fileBytes: number;
  /** SHA-256 (hex) over every entry's relative path, type, size and content hash. */
  sha256: string;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

async function walk(root: string, relative: string, digest: TreeDigest, tree: Hash):
  Promise<void> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  // Code unit order, so the digest does not depend on the locale or the file system.
  entries.sort((a, b) => compareCodeUnits(a.name, b.name));
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const full = join(root, path);
    if (entry.isDirectory()) {
      digest.directories += 1;
      tree.update(`d ${path}\n`);
      await walk(root, path, digest, tree);
    } else if (entry.isFile()) {
      const size = (await stat(full)).size;
      digest.files += 1;
      digest.fileBytes += size;
      tree.update(`f ${path} ${size} ${await hashFile(full)}\n`);
    } else if (entry.isSymbolicLink()) {
      tree.update(`l ${path} ${await readlink(full)}\n`);
    } else {
      tree.update(`o ${path}\n`);
    }
  }
}

/**
 * Reads every file under `root` and returns its digest. Two trees with the
 * same digest have the same names, types, sizes and contents. Modes and
 * times are left out, because the tools restore them differently.
 */
export async function digestTree(root: string): Promise<TreeDigest> {
  const digest: TreeDigest = { files: 0, directories: 0, fileBytes: 0, sha256: '' };
  const tree = createHash('sha256');
  await walk(root, '', digest, tree);
  digest.sha256 = tree.digest('hex');
  return digest;
}
