import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { buffer } from 'node:stream/consumers';
import { SrekitError } from '../common/errors.js';
import { DirectoryStore } from './directory-store.js';
import { manifestSchema, type Manifest } from './manifest.js';
import type { Store } from './store.js';

/** The object that marks a store as a srekit backup repository. */
const configKey = 'config.json';

const repositoryConfig = { format: 'srekit-backup-repository', version: 1 } as const;

/** The key of a backup's artifact. */
export const artifactKey = (id: string) => `data/${id}.srkb`;

/** The key of a backup's manifest; the backup exists once this object does. */
export const manifestKey = (id: string) => `snapshots/${id}.json`;

/** The key of the lock that a running `backup create` holds. */
export const lockKey = (id: string) => `locks/${id}.json`;

/** The owner of a lock: the process that is writing a backup. */
export interface LockOwner {
  host: string;
  pid: number;
  time: string;
}

/** A manifest that could not be read, reported by {@link Repository.listManifests}. */
export interface ManifestProblem {
  key: string;
  reason: string;
}

/** A backup repository: artifacts, manifests and locks in a {@link Store}. */
export class Repository {
  constructor(readonly store: Store) {}

  /** Lists the committed backups, oldest first, and the manifests that could not be read. */
  async listManifests(): Promise<{ manifests: Manifest[]; problems: ManifestProblem[] }> {
    const manifests: Manifest[] = [];
    const problems: ManifestProblem[] = [];
    for (const object of await this.store.list('snapshots/')) {
      if (!object.key.endsWith('.json')) continue;
      try {
        manifests.push(await this.readManifest(object.key));
      } catch (error) {
        problems.push({ key: object.key, reason: (error as Error).message });
      }
    }
    manifests.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    return { manifests, problems };
  }

  /** Reads and validates the manifest stored under `key`. */
  async readManifest(key: string): Promise<Manifest> {
    const text = (await buffer(await this.store.get(key))).toString('utf8');
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
    }
    if (key !== manifestKey(parsed.data.id)) throw new Error(`it names backup ${parsed.data.id}`);
    return parsed.data;
  }

  /** Stores `manifest`, which commits its backup. */
  async commit(manifest: Manifest): Promise<void> {
    const text = `${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`;
    await this.store.put(manifestKey(manifest.id), Buffer.from(text, 'utf8'));
  }

  /** Records that this process is writing backup `id`. */
  async lock(id: string): Promise<void> {
    const owner: LockOwner = { host: hostname(), pid: process.pid, time: new Date().toISOString() };
    await this.store.put(lockKey(id), Buffer.from(`${JSON.stringify(owner)}\n`, 'utf8'));
  }

  /** Removes the lock of backup `id`. */
  async unlock(id: string): Promise<void> {
    await this.store.delete(lockKey(id));
  }
}

/** Returns a new backup id: the UTC time to the second and 8 random hex digits. */
export function newBackupId(time: Date): string {
  const stamp = time.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * Returns the store at `location`: an `s3://bucket/prefix` URL or a directory path. The S3
 * store is imported only here, because the AWS SDK adds about 22 MiB of RSS when loaded.
 */
export async function storeFor(location: string): Promise<Store> {
  if (!location.startsWith('s3://')) return new DirectoryStore(location);
  const { S3Store } = await import('./s3-store.js');
  return new S3Store(location);
}

/**
 * Opens the repository at `path`, a directory or an `s3://` URL, failing
 * with exit code 10 when the directory, bucket or config.json is missing.
 */
export async function openRepository(path: string): Promise<Repository> {
  const store = await storeFor(path);
  if (!(await store.exists()) || (await store.stat(configKey)) === undefined) {
    throw new SrekitError('BACKUP_NO_REPOSITORY', `no backup repository at ${store.location}`, {
      hint: `create one with \`srekit backup init --repo ${path}\``,
    });
  }
  return new Repository(store);
}

/**
 * Creates a repository at `path`, a directory that may exist or an `s3://`
 * URL of an existing bucket, which must not hold a repository yet.
 */
export async function initRepository(path: string): Promise<Repository> {
  const store = await storeFor(path);
  if ((await store.exists()) && (await store.stat(configKey)) !== undefined) {
    throw new SrekitError('INVALID_INPUT', `${store.location} is already a backup repository`);
  }
  await store.create();
  const config = { ...repositoryConfig, created: new Date().toISOString() };
  await store.put(configKey, Buffer.from(`${JSON.stringify(config, null, 2)}\n`, 'utf8'));
  return new Repository(store);
}
