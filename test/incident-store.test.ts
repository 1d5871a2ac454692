import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliActor, openSqliteStore, openStore } from './helpers/incident.js';
import { defineStoreSuite } from './helpers/incident-store-suite.js';

describe('incident store on SQLite', () => {
  defineStoreSuite(openSqliteStore);
});

test('incidents survive reopening the SQLite file', async () => {
  const opened = await openSqliteStore();
  try {
    await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    const again = await openStore(opened.url);
    try {
      const { incident, events } = await again.get(1);
      assert.equal(incident.title, 'Orders API down');
      assert.equal(events.length, 1);
    } finally {
      await again.close();
    }
  } finally {
    await opened.cleanup();
  }
});
