import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { extract, type Headers } from 'tar-stream';
import { checkEntryHeader, checkEntryName, type EntryRuleOptions } from './entry-rules.js';
import { HashTap } from './hash-tap.js';
import type { FileEntry } from './manifest.js';
import { DamagedArtifactError } from './segments.js';

/** An archive entry that passed the safety rules, as handed to an {@link EntryHandler}. */
export interface CheckedEntry {
  /** The normalized relative path. */
  path: string;
  header: Headers;
  /** The manifest's record of this entry. */
  expected: FileEntry;
}

/**
 * Receives each checked entry with its content. The handler must consume
 * `content` fully; the reader hashes it on the way and compares the hash
 * with the manifest once the handler resolves.
 */
export type EntryHandler = (entry: CheckedEntry, content: Readable) => Promise<void>;

/**
 * Reads the tar stream `tar`, checks every entry against the safety rules
 * and the manifest's file list, and hands it to `handle`. Throws
 * UnsafeEntryError for an entry restore must not write and
 * {@link DamagedArtifactError} when the archive and the manifest disagree.
 */
export async function readArchive(
  tar: Readable,
  files: FileEntry[],
  options: EntryRuleOptions,
  handle: EntryHandler,
): Promise<void> {
  const expected = new Map(files.map((entry) => [entry.path, entry]));
  const seen = new Set<string>();
  const extractor = extract();
  tar.on('error', (error) => extractor.destroy(error));
  tar.pipe(extractor);
  for await (const entry of extractor) {
    const path = checkEntryName(entry.header.name);
    checkEntryHeader(path, entry.header, options);
    const record = expected.get(path);
    if (record === undefined) throw damaged(`entry ${path} is not in the manifest`);
    if (seen.has(path)) throw damaged(`entry ${path} appears twice`);
    seen.add(path);
    checkAgainstManifest(path, entry.header, record);

    const content = new HashTap();
    entry.on('error', (error: Error) => content.destroy(error));
    entry.pipe(content);
    await handle({ path, header: entry.header, expected: record }, content);
    if (!content.readableEnded) content.resume();
    await finished(content);
    if (record.type === 'file'
      && (content.bytes !== record.size || content.digest() !== record.sha256)) {
      throw damaged(`file ${path} does not match the SHA-256 in the manifest`);
    }
  }
  const missing = files.find((entry) => !seen.has(entry.path));
  if (missing !== undefined) throw damaged(`the archive lacks ${missing.path}, which the manifest lists`);
}

function checkAgainstManifest(path: string, header: Headers, record: FileEntry): void {
  const type = header.type ?? 'file';
  if (type !== record.type) {
    throw damaged(`entry ${path} is a ${type} in the archive but a ${record.type} in the manifest`);
  }
  if (type === 'symlink' && header.linkname !== record.target) {
    throw damaged(`symlink ${path} points to ${header.linkname ?? ''} in the archive but to `
      + `${record.target ?? ''} in the manifest`);
  }
}

function damaged(message: string): DamagedArtifactError {
  return new DamagedArtifactError(message);
}
