import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import {
  createBackup, findBackupClass, initRepository, restoreBackup, selectBackup,
  type KeyMaterial,
} from '../backup/index.js';
import type { MeasuredCheck } from './checks.js';
import { inspectDatabase, readOrders, type StoredOrder } from './orders-database.js';
import { pollUntilFound } from './poll.js';
import type { GamedayStack, Scenario } from './scenarios.js';

/** The recovery time objective of the application: 30 minutes from loss to service. */
export const applicationRtoSeconds = 30 * 60;

/** The backup class of the orders database, whose RPO the data loss window is held to. */
const databaseClass = 'db';

/** Orders read back through the service after the restore: the newest and some at random. */
const sampleSize = 10;

/** How long the restarted service may take to return an order from before the backup. */
const firstReadTimeoutMs = 30_000;

/** The measurements of the restore scenario, the input of {@link restoreChecks}. */
export interface RestoreMeasurement {
  /** Orders in the live database just before the backup started. */
  ordersBefore: number;
  /** Orders in the live database just after the backup finished. */
  ordersAfter: number;
  /** The time recorded in the backup's manifest, taken before the snapshot. */
  backupTime: Date;
  destroyedAt: Date;
  /** When the restarted service first returned an order from before the backup. */
  answeredAt: Date;
  /** The first row of `PRAGMA integrity_check` on the restored file. */
  integrity: string;
  restoredOrders: number;
  /** Orders from before the backup that were read through the service. */
  sampled: number;
  /** Sampled orders that the service returned with the stored customer. */
  readBack: number;
}

/** The recovery objectives the restore is checked against, in seconds. */
export interface RecoveryObjectives {
  rtoSeconds: number;
  rpoSeconds: number;
}

/**
 * Builds scenario h. While traffic writes orders, it backs up the service's
 * SQLite database and stops the service. Then it deletes the database with
 * its -wal and -shm files, restores the latest backup into place and starts
 * the service again. Its checks compare the restore time with the
 * application RTO and the backup's age at the loss with the RPO of the `db`
 * class, and check the restored data.
 */
export function restoreScenario(): Scenario {
  const rpoSeconds = findBackupClass(databaseClass)?.rpoSeconds;
  if (rpoSeconds === undefined) {
    throw new Error(`backup class ${databaseClass} is missing, so the restore has no RPO`);
  }
  return {
    id: 'h',
    title: 'the orders database is deleted and restored from its latest backup',
    act: async (stack, progress) => restoreChecks(await restoreOrdersDatabase(stack, progress),
      { rtoSeconds: applicationRtoSeconds, rpoSeconds }),
    checks: () => [],
  };
}

/**
 * Backs up, destroys and restores the service's database, and measures
 * each step. Throws when a step fails, which ends the game day with the
 * service stopped.
 */
export async function restoreOrdersDatabase(
  stack: GamedayStack,
  progress: (message: string) => void = () => undefined,
): Promise<RestoreMeasurement> {
  const database = stack.serviceDatabase;
  const repository = await initRepository(stack.backupRepository);
  // A key that lives only for this run: the scenario exercises encryption
  // without leaving a secret on disk.
  const key: KeyMaterial = { source: 'key-file', key: randomBytes(32), origin: 'game day key' };

  const before = readOrders(database, sampleSize);
  if (before.count === 0) {
    throw new Error(`the orders database ${database} contains no orders, so the restore `
      + 'cannot be checked; read the service log for failed writes');
  }
  const { manifest } = await createBackup(repository, {
    source: { kind: 'sqlite', path: database },
    className: databaseClass,
    compression: 'zstd',
    key,
    tags: { origin: 'gameday' },
  });
  const ordersAfter = readOrders(database, 0).count;
  progress(`backed up ${database} as ${manifest.id} (${before.count} to ${ordersAfter} orders)`);

  await stack.stopComponent('service');
  const destroyedAt = new Date();
  await destroyDatabase(database);
  progress(`deleted ${database} with its -wal and -shm files`);

  const { manifests } = await repository.listManifests();
  const latest = selectBackup(manifests, { kind: 'latest', className: databaseClass });
  await restoreBackup(repository, latest, {
    target: database, key, force: false, allowSetuid: false,
  });
  const inspection = inspectDatabase(database);
  progress(`restored backup ${latest.id}: integrity_check ${inspection.integrity}, `
    + `${inspection.orderCount} orders`);

  await stack.startComponent('service');
  const answeredAt = await waitForFirstRead(stack.endpoints.service, before.sample);
  const readBack = await countReadBack(stack.endpoints.service, before.sample);
  return {
    ordersBefore: before.count,
    ordersAfter,
    backupTime: new Date(manifest.time),
    destroyedAt,
    answeredAt,
    integrity: inspection.integrity,
    restoredOrders: inspection.orderCount,
    sampled: before.sample.length,
    readBack,
  };
}

/** Turns the measurement into the scenario's checks, one per outcome. */
export function restoreChecks(
  measurement: RestoreMeasurement,
  objectives: RecoveryObjectives,
): MeasuredCheck[] {
  const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;
  const restoreSeconds = seconds(measurement.destroyedAt, measurement.answeredAt);
  const lossSeconds = seconds(measurement.backupTime, measurement.destroyedAt);
  const { ordersBefore, ordersAfter, restoredOrders, sampled, readBack } = measurement;
  return [
    {
      name: 'service reads orders again within the RTO',
      expectedMaxSeconds: objectives.rtoSeconds,
      observedSeconds: restoreSeconds,
      passed: restoreSeconds <= objectives.rtoSeconds,
    },
    {
      name: `data loss window within the RPO of class ${databaseClass}`,
      expectedMaxSeconds: objectives.rpoSeconds,
      observedSeconds: lossSeconds,
      passed: lossSeconds <= objectives.rpoSeconds,
    },
    valueCheck('restored database passes integrity_check', 'ok', measurement.integrity),
    {
      ...valueCheck('restored database contains the backed-up orders',
        `${ordersBefore} to ${ordersAfter} orders`, `${restoredOrders} orders`),
      passed: ordersBefore <= restoredOrders && restoredOrders <= ordersAfter,
    },
    {
      ...valueCheck('orders from before the backup read back',
        `${sampled} of ${sampled}`, `${readBack} of ${sampled}`),
      passed: sampled > 0 && readBack === sampled,
    },
  ];
}

function valueCheck(name: string, expected: string, observed: string): MeasuredCheck {
  return {
    name,
    expectedMaxSeconds: undefined,
    observedSeconds: undefined,
    expectedValue: expected,
    observedValue: observed,
    passed: expected === observed,
  };
}

/** Deletes the database file and its WAL companions, and checks that they are gone. */
async function destroyDatabase(path: string): Promise<void> {
  const files = [path, `${path}-wal`, `${path}-shm`];
  for (const file of files) await rm(file, { force: true });
  const left = files.filter((file) => existsSync(file));
  if (left.length > 0) throw new Error(`could not delete ${left.join(', ')}`);
}

async function readOrder(serviceUrl: string, order: StoredOrder): Promise<boolean> {
  try {
    const response = await fetch(new URL(`/orders/${order.id}`, serviceUrl), {
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status !== 200) return false;
    const body = await response.json() as { id?: unknown; customer?: unknown };
    return body.id === order.id && body.customer === order.customer;
  } catch {
    return false;
  }
}

// The newest order from before the backup is the one a stale or partial
// restore would lose first, so the restore counts as done once it is served.
async function waitForFirstRead(serviceUrl: string, sample: StoredOrder[]): Promise<Date> {
  const newest = sample[0];
  if (newest === undefined) throw new Error('no order was sampled before the backup');
  const deadline = new Date(Date.now() + firstReadTimeoutMs);
  const answeredAt = await pollUntilFound(
    async () => ((await readOrder(serviceUrl, newest)) ? new Date() : undefined),
    deadline, undefined, 100);
  if (answeredAt === undefined) {
    throw new Error(`the restored service at ${serviceUrl} did not return order ${newest.id} `
      + `within ${firstReadTimeoutMs / 1000} s`);
  }
  return answeredAt;
}

async function countReadBack(serviceUrl: string, sample: StoredOrder[]): Promise<number> {
  const results = await Promise.all(sample.map((order) => readOrder(serviceUrl, order)));
  return results.filter(Boolean).length;
}
