import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  alert, alertmanagerActor, cliActor, fakeClock, message, openStore, type OpenedStore,
} from './helpers/incident.js';
import { defineIntakeSuite } from './helpers/incident-intake-suite.js';
import { defineStoreSuite } from './helpers/incident-store-suite.js';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';
import type { IncidentStore } from '../src/incident/index.js';

describe('incident store on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let databases = 0;

  /** Opens a store on a new, empty database of the cluster. */
  const openPostgresStore = async (): Promise<OpenedStore> => {
    databases += 1;
    const url = await cluster.createDatabase(`incidents_${databases}`);
    const clock = fakeClock();
    const store = await openStore(url, clock);
    return { store, clock, url, cleanup: () => store.close() };
  };

  /** Opens two stores, each with its own connection pool, on one new database. */
  const openTwoConnections = async (): Promise<[OpenedStore, IncidentStore]> => {
    const first = await openPostgresStore();
    return [first, await openStore(first.url)];
  };

  before(async () => {
    cluster = await startPostgres();
  });
  after(async () => {
    await cluster?.stop();
  });

  describe('commands', () => {
    defineStoreSuite(openPostgresStore);
  });

  describe('Alertmanager intake', () => {
    defineIntakeSuite(openPostgresStore);
  });

  test('concurrent intake from two connections opens one incident', async () => {
    const [first, second] = await openTwoConnections();
    try {
      const group = '{}:{alertname="OrdersDown"}';
      const page = alert('f-orders', { severity: 'page', service: 'orders' });
      const other = alert('f-latency', { severity: 'page', service: 'orders' });
      const deliveries = Array.from({ length: 6 }, (_, index) => {
        const store = index % 2 === 0 ? first.store : second;
        return store.receiveAlerts(message(group, index < 3 ? [page] : [page, other]),
          alertmanagerActor);
      });
      const outcomes = await Promise.all(deliveries);

      assert.equal(outcomes.filter((outcome) => outcome.opened).length, 1);
      const incidents = await second.list();
      assert.deepEqual(incidents.map((incident) => incident.reference), ['INC-1']);
      const firings = (await first.store.get(1)).events
        .filter((event) => event.body.type === 'alert_firing');
      assert.equal(firings.length, 2);
    } finally {
      await second.close();
      await first.cleanup();
    }
  });

  test('concurrent commands from two connections serialise', async () => {
    const [first, second] = await openTwoConnections();
    try {
      await first.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const results = await Promise.allSettled([
        first.store.changeState(1, 'investigating', null, cliActor),
        second.changeState(1, 'investigating', null, cliActor),
        first.store.declare({ title: 'Second', severity: 'SEV3' }, cliActor),
        second.declare({ title: 'Third', severity: 'SEV3' }, cliActor),
      ]);

      const moves = results.slice(0, 2).map((result) => result.status).sort();
      assert.deepEqual(moves, ['fulfilled', 'rejected']);
      const numbers = (await second.list()).map((incident) => incident.number);
      assert.deepEqual(numbers, [1, 2, 3]);
      const stateChanges = (await second.get(1)).events
        .filter((event) => event.body.type === 'state_changed');
      assert.equal(stateChanges.length, 1);
    } finally {
      await second.close();
      await first.cleanup();
    }
  });
});
