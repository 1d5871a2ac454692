import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/common/logger.js';
import {
  createIncidentService, openIncidentDatabase, type IncidentStore,
} from '../../src/incident/index.js';
import type {
  Actor, AlertmanagerAlert, AlertmanagerMessage, Clock,
} from '../../src/incident/service-api.js';

/** A clock that keeps one time until the test advances it. */
export interface FakeClock extends Clock {
  advanceMinutes(minutes: number): void;
}

/** Creates a {@link FakeClock} at `start`. */
export function fakeClock(start = '2026-12-04T20:00:00.000Z'): FakeClock {
  let current = Date.parse(start);
  return {
    now: () => new Date(current),
    advanceMinutes: (minutes) => { current += minutes * 60_000; },
  };
}

/** A person at the command line. */
export const cliActor: Actor = { author: 'ana', source: 'cli' };

/** The Alertmanager webhook. */
export const alertmanagerActor: Actor = { author: 'alertmanager', source: 'alertmanager' };

/** An opened store with the means to remove it. */
export interface OpenedStore {
  store: IncidentStore;
  clock: FakeClock;
  /** The database URL, to open a second connection to the same database. */
  url: string;
  /** Closes the store and removes its files. */
  cleanup(): Promise<void>;
}

/** Opens a store on `url` with a fake clock, logging nowhere. */
export async function openStore(url: string, clock = fakeClock()): Promise<IncidentStore> {
  const db = await openIncidentDatabase(url, createLogger('test', quietStream()));
  return createIncidentService(db, { clock });
}

/** Opens a store on a new SQLite file in a temporary directory. */
export async function openSqliteStore(): Promise<OpenedStore> {
  const directory = mkdtempSync(join(tmpdir(), 'srekit-incident-'));
  const url = `sqlite:${join(directory, 'incidents.sqlite')}`;
  const clock = fakeClock();
  const store = await openStore(url, clock);
  return {
    store, clock, url,
    cleanup: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Creates a stream that discards what is written to it. */
export function quietStream(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Builds an alert; `fingerprint` and labels are the parts tests vary. */
export function alert(
  fingerprint: string,
  labels: Record<string, string>,
  options: Partial<AlertmanagerAlert> = {},
): AlertmanagerAlert {
  return {
    status: 'firing',
    labels: { alertname: 'OrdersDown', ...labels },
    annotations: {},
    startsAt: '2026-12-04T19:58:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint,
    ...options,
  };
}

/** Marks an alert resolved at `endsAt`. */
export function resolved(firing: AlertmanagerAlert, endsAt = '2026-12-04T20:10:00Z'): AlertmanagerAlert {
  return { ...firing, status: 'resolved', endsAt };
}

/** Builds a webhook message (version 4) of `groupKey` with the given alerts. */
export function message(
  groupKey: string,
  alerts: AlertmanagerAlert[],
  options: Partial<AlertmanagerMessage> = {},
): AlertmanagerMessage {
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: alerts.some((each) => each.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'incident',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts,
    ...options,
  };
}
