import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openBackup } from './artifact-reader.js';
import type { KeyMaterial } from './keys.js';
import type { FileEntry, Manifest } from './manifest.js';
import { loadIntoScratchDatabase } from './drill-postgres.js';
import { dumpFileName, runPostgresTool } from './postgres.js';
import type { Repository } from './repository.js';
import { restoreBackup } from './restore.js';

/** Options of {@link drillBackup}. */
export interface DrillOptions {
  /** The recovery time objective in seconds, which restore and checks together must meet. */
  rtoSeconds: number;
  key?: KeyMaterial;
  /** A PostgreSQL server URL where a PostgreSQL dump is loaded into a scratch database. */
  scratchServer?: string;
  signal?: AbortSignal;
}

/** The outcome of one restore drill. */
export interface DrillResult {
  id: string;
  class: string;
  source: Manifest['source']['kind'];
  /** Seconds spent restoring, then checking the restored files. */
  restoreSeconds: number;
  checkSeconds: number;
  totalSeconds: number;
  rtoSeconds: number;
  filesChecked: number;
  bytesChecked: number;
  /** True when a PostgreSQL dump was loaded into a scratch database and dropped again. */
  databaseLoaded: boolean;
  /** True when nothing failed and the total time is within the RTO. */
  ok: boolean;
  /** The error that failed the drill, if any. */
  error?: string;
}

/**
 * Restores `manifest` into a new scratch directory, checks every restored
 * file against the manifest's file list (content SHA-256, symlink targets,
 * directories), and times both steps against the RTO. A PostgreSQL backup
 * is restored as its dump file, which `pg_restore --list` must read, and
 * with `scratchServer` it is also loaded into a scratch database there.
 * A failure is returned in the result, but an aborted `signal` throws its
 * reason. The scratch directory is removed in every case.
 */
export async function drillBackup(
  repository: Repository, manifest: Manifest, options: DrillOptions,
): Promise<DrillResult> {
  const result: DrillResult = {
    id: manifest.id, class: manifest.class, source: manifest.source.kind,
    restoreSeconds: 0, checkSeconds: 0, totalSeconds: 0, rtoSeconds: options.rtoSeconds,
    filesChecked: 0, bytesChecked: 0, databaseLoaded: false, ok: false,
  };
  const started = performance.now();
  const seconds = (since: number) => Math.round(performance.now() - since) / 1000;
  // mkdtemp creates the directory with mode 0700, so no other user reaches the restored files.
  const scratch = await mkdtemp(join(tmpdir(), 'srekit-drill-'));
  try {
    const target = manifest.source.kind === 'sqlite'
      ? join(scratch, basename(manifest.source.path))
      : join(scratch, 'restored');
    await restoreBackup(repository, manifest, {
      target, key: options.key, force: false, allowSetuid: true, signal: options.signal,
    });
    result.restoreSeconds = seconds(started);
    const checking = performance.now();
    const { files } = await openBackup(repository.store, manifest, options.key);
    const root = manifest.source.kind === 'sqlite' ? scratch : target;
    for (const entry of files) {
      options.signal?.throwIfAborted();
      result.bytesChecked += await checkEntry(root, entry);
      result.filesChecked += 1;
    }
    if (manifest.source.kind === 'postgres') {
      await runPostgresTool('pg_restore', ['--list', join(target, dumpFileName)],
        `pg_restore could not read the dump of backup ${manifest.id}`);
      if (options.scratchServer !== undefined) {
        await loadIntoScratchDatabase(join(target, dumpFileName), options.scratchServer);
        result.databaseLoaded = true;
      }
    }
    result.checkSeconds = seconds(checking);
  } catch (error) {
    // An interrupted drill tells nothing about the backup, so it is not reported as failed.
    if (options.signal?.aborted) throw options.signal.reason;
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  result.totalSeconds = seconds(started);
  result.ok = result.error === undefined && result.totalSeconds <= options.rtoSeconds;
  return result;
}

/** Throws unless the restored `entry` under `root` matches the manifest; returns its bytes. */
async function checkEntry(root: string, entry: FileEntry): Promise<number> {
  const path = join(root, entry.path);
  const stats = await lstat(path).catch(() => undefined);
  const found = stats === undefined ? 'missing'
    : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'file';
  if (found !== entry.type) {
    throw new Error(`restored ${entry.path} is ${found === 'missing' ? 'missing' : `a ${found}`}, `
      + `but the manifest lists a ${entry.type}`);
  }
  if (entry.type === 'symlink' && (await readlink(path)) !== entry.target) {
    throw new Error(`restored symlink ${entry.path} does not point to ${entry.target ?? ''}`);
  }
  if (entry.type !== 'file') return 0;
  // A file restored with mode 000 must still be read, and the scratch copy is removed anyway.
  if (stats !== undefined && (stats.mode & 0o400) === 0) await chmod(path, stats.mode | 0o400);
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const sha256 = hash.digest('hex');
  if (sha256 !== entry.sha256) {
    throw new Error(`restored file ${entry.path} has SHA-256 ${sha256.slice(0, 12)}…, but the `
      + `manifest records ${entry.sha256?.slice(0, 12) ?? 'none'}…`);
  }
  return entry.size;
}
