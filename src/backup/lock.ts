import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { buffer } from 'node:stream/consumers';
import { SrekitError } from '../common/errors.js';
import { isProcessRunning } from '../common/process.js';
import type { Store } from './store.js';

/** The prefix of every exclusive lock's key, under `locks/` beside the locks of `create`. */
const exclusivePrefix = 'locks/exclusive-';

/** The contents of an exclusive lock, as stored in `locks/exclusive-XXXXXXXX.json`. */
export interface ExclusiveLockRecord {
  kind: 'exclusive';
  /** The command that holds the lock, such as `prune`. */
  command: string;
  host: string;
  pid: number;
  /** When the lock was taken, ISO 8601 UTC. */
  time: string;
  /** When the holder last refreshed the lock, ISO 8601 UTC. */
  refreshed: string;
}

/** Timing of an exclusive lock. */
export interface LockTiming {
  /** A lock not refreshed for this long is stale and may be broken. */
  ttlMs: number;
  /** How often the holder refreshes its lock; well under `ttlMs`. */
  refreshMs: number;
}

/** The default timing: a 30-minute TTL, refreshed every 5 minutes. */
export const defaultLockTiming: LockTiming = { ttlMs: 30 * 60_000, refreshMs: 5 * 60_000 };

/** An exclusive lock that this process holds, refreshed until released. */
export interface ExclusiveLock {
  readonly key: string;
  /** Throws once a refresh has found the lock removed or replaced by another process. */
  assertHeld(): void;
  /** Stops the refresh and deletes the lock. */
  release(): Promise<void>;
}

/** Options of {@link acquireExclusiveLock}. */
export interface AcquireOptions {
  command: string;
  timing?: LockTiming;
  /** Receives one line for each stale lock that is broken. */
  warn: (message: string) => void;
}

/**
 * Takes the repository's exclusive lock, which only one process can hold:
 * it fails with BACKUP_LOCKED (exit 11), naming the holder, while another
 * process holds a lock that is fresh. Locks older than the TTL, and locks
 * of dead processes on this host, are broken with a warning. Two processes
 * that take the lock at the same moment may both fail, but never both win.
 */
export async function acquireExclusiveLock(
  store: Store, options: AcquireOptions,
): Promise<ExclusiveLock> {
  const timing = options.timing ?? defaultLockTiming;
  await checkOtherLocks(store, undefined, timing, options.warn);

  const key = `${exclusivePrefix}${randomBytes(4).toString('hex')}.json`;
  const now = new Date().toISOString();
  const record: ExclusiveLockRecord = {
    kind: 'exclusive', command: options.command, host: hostname(), pid: process.pid,
    time: now, refreshed: now,
  };
  await writeRecord(store, key, record);
  try {
    // Another process may have written its lock between the check and the write.
    await checkOtherLocks(store, key, timing, options.warn);
  } catch (error) {
    await store.delete(key);
    throw error;
  }
  return new HeldLock(store, key, record, timing, options.warn);
}

async function checkOtherLocks(
  store: Store, ownKey: string | undefined, timing: LockTiming, warn: (message: string) => void,
): Promise<void> {
  for (const object of await store.list(exclusivePrefix)) {
    if (object.key === ownKey || !object.key.endsWith('.json')) continue;
    const record = await readRecord(store, object.key);
    // The holder released its lock after the listing.
    if (record === 'missing') continue;
    if (record === undefined) {
      // Locks are written atomically, so an invalid one is damaged, not half written.
      warn(`breaking the stale lock ${object.key}: it is not a valid lock record`);
      await store.delete(object.key);
      continue;
    }
    const staleReason = describeStale(record, timing.ttlMs);
    if (staleReason === undefined) throw lockedError(store, object.key, record);
    warn(`breaking the stale lock ${object.key} of ${describeHolder(record)}: ${staleReason}`);
    await store.delete(object.key);
  }
}

/** Returns why `record` is stale, or undefined while its holder may still run. */
export function describeStale(record: ExclusiveLockRecord, ttlMs: number): string | undefined {
  const ageMs = Date.now() - Date.parse(record.refreshed);
  if (!(ageMs <= ttlMs)) {
    return `it was last refreshed ${Math.round(ageMs / 1000)} s ago, more than the TTL of `
      + `${Math.round(ttlMs / 1000)} s`;
  }
  if (record.host === hostname() && !isProcessRunning(record.pid)) {
    return `process ${record.pid} no longer runs on this host`;
  }
  return undefined;
}

function lockedError(store: Store, key: string, record: ExclusiveLockRecord): SrekitError {
  return new SrekitError('BACKUP_LOCKED', `the backup repository ${store.location} is locked by `
    + `${describeHolder(record)} (${key})`, {
    hint: 'wait for it to finish; a lock that is not refreshed for its TTL is broken by the '
      + 'next run',
  });
}

function describeHolder(record: ExclusiveLockRecord): string {
  return `${record.command} on host ${record.host}, pid ${record.pid}, since ${record.time}`;
}

/** Reads a lock: undefined when it is not a valid lock record, `missing` when it is gone. */
async function readRecord(store: Store, key: string):
  Promise<ExclusiveLockRecord | undefined | 'missing'> {
  try {
    const parsed = JSON.parse((await buffer(await store.get(key))).toString('utf8')) as unknown;
    return isRecord(parsed) ? parsed : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function isRecord(value: unknown): value is ExclusiveLockRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.kind === 'exclusive' && typeof record.host === 'string'
    && typeof record.pid === 'number' && typeof record.time === 'string'
    && typeof record.refreshed === 'string' && typeof record.command === 'string';
}

async function writeRecord(store: Store, key: string, record: ExclusiveLockRecord): Promise<void> {
  await store.put(key, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
}

class HeldLock implements ExclusiveLock {
  private timer: NodeJS.Timeout | undefined;
  private lost: string | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    readonly key: string,
    private readonly record: ExclusiveLockRecord,
    timing: LockTiming,
    private readonly warn: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.refreshing = this.refresh();
    }, timing.refreshMs);
    // The heartbeat alone must not keep the process alive after its work ends.
    this.timer.unref();
  }

  assertHeld(): void {
    if (this.lost === undefined) return;
    throw new SrekitError('BACKUP_LOCKED', `lost the lock ${this.key}: ${this.lost}`, {
      hint: 'another process broke the lock; run the command again',
    });
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
    if (this.lost === undefined) await this.store.delete(this.key);
  }

  private async refresh(): Promise<void> {
    if (this.lost !== undefined || this.timer === undefined) return;
    try {
      const current = await readRecord(this.store, this.key);
      if (typeof current !== 'object' || current.pid !== this.record.pid
        || current.time !== this.record.time) {
        this.lost = 'it was removed by another process';
        return;
      }
      this.record.refreshed = new Date().toISOString();
      await writeRecord(this.store, this.key, this.record);
    } catch (error) {
      // One failed refresh is not fatal: the TTL leaves room for the next ones.
      this.warn(`could not refresh the lock ${this.key}: ${(error as Error).message}`);
    }
  }
}
