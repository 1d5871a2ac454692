import { removeLeftovers } from './leftovers.js';
import { acquireExclusiveLock, type LockTiming } from './lock.js';
import type { Manifest } from './manifest.js';
import { applyRetention, type RetentionDecision, type RetentionPolicy } from './prune-policy.js';
import { newestVerified, verifyRecordKey } from './prune-verified.js';
import { manifestKey, type Repository } from './repository.js';

/** Options of {@link pruneBackups}. */
export interface PruneOptions {
  policy: RetentionPolicy;
  /** Prunes only this class; every class otherwise, each on its own. */
  className?: string;
  /** Decides without taking the lock or removing anything. */
  dryRun: boolean;
  timing?: LockTiming;
  /** Receives warnings: broken locks, unreadable manifests, classes never verified. */
  warn: (message: string) => void;
  /** Called with each leftover of an interrupted backup or copy that was removed. */
  onLeftoverRemoved?: (key: string) => void;
  /** Called after each backup is removed. */
  onRemoved?: (decision: RetentionDecision) => void;
  /** Stops the removals between two backups, so no backup is left half removed. */
  signal?: AbortSignal;
}

/**
 * Applies a retention policy to each class of the repository under its
 * exclusive lock, and removes the backups that no rule keeps. The newest
 * backup of a class with a verify record is always kept. A backup is
 * removed manifest first, so an interrupted prune never leaves a listed
 * backup without its artifact. Unless it is a dry run, leftovers of
 * interrupted backups and copies are removed first, as `create` does. Returns
 * every decision, grouped by class, newest first within a class.
 */
export async function pruneBackups(repository: Repository, options: PruneOptions):
  Promise<RetentionDecision[]> {
  const lock = options.dryRun
    ? undefined
    : await acquireExclusiveLock(repository.store, { command: 'prune', ...options });
  try {
    if (lock !== undefined) {
      for (const key of await removeLeftovers(repository)) options.onLeftoverRemoved?.(key);
    }
    const decisions = await decide(repository, options);
    if (lock === undefined) return decisions;
    for (const decision of decisions) {
      if (decision.reasons.length > 0) continue;
      options.signal?.throwIfAborted();
      lock.assertHeld();
      await removeBackup(repository, decision.manifest);
      options.onRemoved?.(decision);
    }
    return decisions;
  } finally {
    await lock?.release();
  }
}

async function decide(repository: Repository, options: PruneOptions):
  Promise<RetentionDecision[]> {
  const { manifests, problems } = await repository.listManifests();
  for (const problem of problems) {
    options.warn(`could not read manifest ${problem.key}, so prune leaves it: ${problem.reason}`);
  }
  const byClass = new Map<string, Manifest[]>();
  for (const manifest of manifests) {
    if (options.className !== undefined && manifest.class !== options.className) continue;
    byClass.set(manifest.class, [...(byClass.get(manifest.class) ?? []), manifest]);
  }
  const decisions: RetentionDecision[] = [];
  for (const [className, group] of [...byClass].sort(([a], [b]) => a.localeCompare(b))) {
    const verified = await newestVerified(repository, group);
    if (verified === undefined) {
      options.warn(`class ${className} has no verified backup, so no backup is protected as `
        + 'the newest verified one; run `srekit backup verify`');
    }
    decisions.push(...applyRetention(group, options.policy, verified?.id));
  }
  return decisions;
}

async function removeBackup(repository: Repository, manifest: Manifest): Promise<void> {
  await repository.store.delete(manifestKey(manifest.id));
  await repository.store.delete(manifest.artifact.key);
  await repository.store.delete(verifyRecordKey(manifest.id));
}
