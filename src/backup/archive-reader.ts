import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract, type Headers } from 'tar-stream';
import { checkEntryHeader, checkEntryName, type EntryRuleOptions } from './entry-rules.js';
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
 * Receives each checked entry with its content. The reader hashes the
 * content on the way, reads what the handler left unread, and compares the
 * hash with the manifest once the handler resolves.
 */
export type EntryHandler = (entry: CheckedEntry, content: AsyncIterable<Buffer>) => Promise<void>;

/**
 * Reads the tar stream `tar`, checks every entry against the safety rules
 * and the manifest's file list, and hands it to `handle`. Throws
 * UnsafeEntryError for an entry restore must not write and
 * {@link DamagedArtifactError} when the archive and the manifest disagree.
 */
export async function readArchive(
  tar: Readable,
  files: FileEntry[],
  options: EntryRuleOptions & { hashContents?: boolean },
  handle: EntryHandler,
): Promise<void> {
  const hashContents = options.hashContents ?? true;
  const checker = new EntryChecker(files, options);
  const extractor = extract();
  tar.on('error', (error) => extractor.destroy(error));
  tar.pipe(extractor);
  for await (const entry of extractor) {
    const checked = checker.check(entry.header);
    const { path, expected: record } = checked;

    // A plain generator per entry, not a stream, because 20,000 small files
    // each with a Transform left enough garbage to add 60 MiB to the heap.
    const hash = hashContents ? createHash('sha256') : undefined;
    const counter = { bytes: 0 };
    const content = hashedChunks(entry, hash, counter);
    await handle(checked, content);
    for await (const chunk of content) void chunk;
    if (record.type === 'file' && counter.bytes !== record.size) {
      throw damaged(`file ${path} has ${counter.bytes} bytes, but the manifest records ${record.size}`);
    }
    if (record.type === 'file' && hash !== undefined && hash.digest('hex') !== record.sha256) {
      throw damaged(`file ${path} does not match the SHA-256 in the manifest`);
    }
  }
  checker.finish();
}

/**
 * Checks archive entries, in archive order, against the safety rules and
 * the manifest's file list: each entry must be listed, appear once, and
 * agree with its record in type, link target and size.
 */
export class EntryChecker {
  private readonly expected: Map<string, FileEntry>;
  private readonly seen = new Set<string>();

  constructor(private readonly files: FileEntry[], private readonly options: EntryRuleOptions) {
    this.expected = new Map(files.map((entry) => [entry.path, entry]));
  }

  /** Checks the next entry's header and returns it with its manifest record. */
  check(header: Headers): CheckedEntry {
    const path = checkEntryName(header.name);
    checkEntryHeader(path, header, this.options);
    const record = this.expected.get(path);
    if (record === undefined) throw damaged(`entry ${path} is not in the manifest`);
    if (this.seen.has(path)) throw damaged(`entry ${path} appears twice`);
    this.seen.add(path);
    checkAgainstManifest(path, header, record);
    return { path, header, expected: record };
  }

  /** Checks, after the last entry, that every listed entry was in the archive. */
  finish(): void {
    const missing = this.files.find((entry) => !this.seen.has(entry.path));
    if (missing !== undefined) {
      throw damaged(`the archive lacks ${missing.path}, which the manifest lists`);
    }
  }
}

/** Yields the chunks of `entry`, adding each to `hash` and its length to `counter.bytes`. */
async function* hashedChunks(
  entry: AsyncIterable<Buffer>, hash: Hash | undefined, counter: { bytes: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of entry) {
    hash?.update(chunk);
    counter.bytes += chunk.length;
    yield chunk;
  }
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
