import { hostname } from 'node:os';
import { packDirectory, type PackedTree } from './archive-writer.js';
import { writeTarArtifact, type WrittenArtifact } from './artifact-writer.js';
import type { Compression } from './format.js';
import type { KeyMaterial } from './keys.js';
import { removeLeftovers } from './leftovers.js';
import { sealFileList, type Manifest } from './manifest.js';
import { artifactKey, newBackupId, type Repository } from './repository.js';
import { assertSourceType, prepareSource, type BackupSource } from './sources.js';

/** Options of {@link createBackup}. */
export interface CreateOptions {
  source: BackupSource;
  className: string;
  compression: Compression;
  key?: KeyMaterial;
  tags: Record<string, string>;
  /** Called with the number of source bytes read, for progress. */
  onBytes?: (count: number) => void;
  signal?: AbortSignal;
}

/** The committed backup and the leftovers of earlier runs that were removed first. */
export interface CreateResult {
  manifest: Manifest;
  removedLeftovers: string[];
}

/**
 * Backs up `options.source` into `repository`. The manifest is written last,
 * so the backup exists only once everything else is durable. On failure the
 * artifact is removed, and after a crash the next run removes it.
 */
export async function createBackup(
  repository: Repository, options: CreateOptions,
): Promise<CreateResult> {
  // A bad source is a usage error, which must leave the repository untouched.
  await assertSourceType(options.source);
  const removedLeftovers = await removeLeftovers(repository);
  const time = new Date();
  const id = newBackupId(time);
  await repository.lock(id);
  const prepared = await prepareSource(options.source).catch(async (error: unknown) => {
    await repository.unlock(id);
    throw error;
  });
  try {
    let tree: PackedTree = { files: [], skipped: [] };
    const written = await writeTarArtifact(repository.store, artifactKey(id), async (tar) => {
      tree = await packDirectory(prepared.directory, tar, options);
    }, options);
    const manifest = buildManifest({ id, time, options, tree, written });
    await repository.commit(manifest);
    return { manifest, removedLeftovers };
  } catch (error) {
    await repository.store.delete(artifactKey(id));
    // Streams fail with a generic AbortError; the signal's reason names the interruption.
    throw options.signal?.aborted ? options.signal.reason : error;
  } finally {
    await prepared.release();
    await repository.unlock(id);
  }
}

/** The facts a manifest is built from. */
export interface ManifestInput {
  id: string;
  time: Date;
  options: Pick<CreateOptions, 'source' | 'className' | 'compression' | 'key' | 'tags'>;
  tree: PackedTree;
  written: WrittenArtifact;
}

/** Builds the manifest of a backup whose artifact has been written. */
export function buildManifest(input: ManifestInput): Manifest {
  const { id, options, tree, written } = input;
  const count = (type: string) => tree.files.filter((entry) => entry.type === type).length;
  const manifest: Manifest = {
    formatVersion: 1,
    id,
    time: input.time.toISOString(),
    class: options.className,
    source: { kind: options.source.kind, path: options.source.path, host: hostname() },
    tags: options.tags,
    complete: tree.skipped.length === 0,
    skipped: tree.skipped,
    compression: options.compression,
    encryption: written.keys === undefined ? 'none' : 'aes-256-gcm',
    keySource: options.key?.source ?? 'none',
    artifact: written.artifact,
    archive: written.archive,
    totals: {
      files: count('file'),
      directories: count('directory'),
      symlinks: count('symlink'),
      fileBytes: tree.files.reduce((sum, entry) => sum + entry.size, 0),
    },
  };
  if (written.keys === undefined) manifest.files = tree.files;
  else manifest.sealedFiles = sealFileList(written.keys.fileList, id, tree.files);
  return manifest;
}
