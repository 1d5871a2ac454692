import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IncidentStore } from '../src/incident/store.js';
import { assertSrekitError } from './helpers/errors.js';
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

describe('incident store control characters', () => {
  const declare = (title: string) => (s: IncidentStore) =>
    s.declare({ title, severity: 'SEV2' }, cliActor);
  const rejected: Array<{ name: string; run: (store: IncidentStore) => Promise<unknown> }> = [
    { name: 'ESC in a title', run: declare('a\u001b[31mred') },
    { name: 'NUL in a title', run: declare('a\u0000b') },
    { name: 'line feed in a title', run: declare('a\nb') },
    { name: 'CR in a note', run: (s) => s.addNote(1, 'done\rnot done', cliActor) },
    {
      name: 'ESC in a person',
      run: (s) => s.assignRole(1, 'owner', 'bo\u001b]0;x\u0007', cliActor),
    },
    {
      name: 'DEL in an author',
      run: (s) => s.addNote(1, 'x', { author: 'a\u007f', source: 'cli' }),
    },
    {
      name: 'C1 control in an update',
      run: (s) => s.postUpdate(1, { audience: 'public', text: 'a\u009bb' }, cliActor),
    },
  ];
  for (const { name, run } of rejected) {
    test(`${name} is rejected and changes nothing`, async () => {
      const opened = await openSqliteStore();
      try {
        await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
        const before = JSON.stringify(await opened.store.get(1));

        await assert.rejects(run(opened.store),
          assertSrekitError('INVALID_INPUT', /contains the control character U\+00[0-9A-F]{2}/));
        assert.equal(JSON.stringify(await opened.store.get(1)), before);
        assert.equal((await opened.store.list()).length, 1);
      } finally {
        await opened.cleanup();
      }
    });
  }

  test('lone surrogate is rejected and changes nothing', async () => {
    const opened = await openSqliteStore();
    try {
      await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const before = JSON.stringify(await opened.store.get(1));

      await assert.rejects(opened.store.addNote(1, 'half \ud800 a pair', cliActor),
        assertSrekitError('INVALID_INPUT', /invalid note .*lone UTF-16 surrogate/));
      assert.equal(JSON.stringify(await opened.store.get(1)), before);
    } finally {
      await opened.cleanup();
    }
  });

  test('paired surrogates are kept', async () => {
    const opened = await openSqliteStore();
    try {
      const incident = await declare('Checkout \ud83d\udd25 on fire')(opened.store);
      assert.equal(incident.title, 'Checkout 🔥 on fire');
      assert.equal((await opened.store.get(1)).incident.title, 'Checkout 🔥 on fire');
    } finally {
      await opened.cleanup();
    }
  });

  test('error message escapes the control character', async () => {
    const opened = await openSqliteStore();
    try {
      const error = await declare('a\u001b[2Jb')(opened.store)
        .then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof Error);
      assert.ok(!error.message.includes('\u001b'), error.message);
      assert.match(error.message, /"a\\u001b\[2Jb"/);
    } finally {
      await opened.cleanup();
    }
  });

  test('notes keep line feeds and tabs', async () => {
    const opened = await openSqliteStore();
    try {
      await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const text = 'first line\n\tsecond line';
      await opened.store.addNote(1, text, cliActor);
      const { events } = await opened.store.get(1);
      assert.deepEqual(events.at(-1)?.body, { type: 'note_added', text });
    } finally {
      await opened.cleanup();
    }
  });
});

describe('incident store follow-ups after closing', () => {
  test('closed incident accepts action item changes', async () => {
    const opened = await openSqliteStore();
    try {
      const { store } = opened;
      await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      await store.addActionItem(1,
        { title: 'Add an index', owner: 'ben', due: '2026-12-11' }, cliActor);
      await store.changeState(1, 'resolved', null, cliActor);
      await store.changeState(1, 'closed', null, cliActor);

      const done = await store.completeActionItem(1, 1, cliActor);
      const added = await store.addActionItem(1,
        { title: 'Alert on pool use', owner: 'cleo', due: '2026-12-18' }, cliActor);

      assert.equal(done.state, 'closed');
      assert.equal(done.actionItems[0]?.done, true);
      assert.equal(added.state, 'closed');
      const items = added.actionItems.map((item) => [item.item, item.done]);
      assert.deepEqual(items, [[1, true], [2, false]]);
      await assert.rejects(store.addNote(1, 'late note', cliActor),
        assertSrekitError('INCIDENT_INVALID_CHANGE', /INC-1: it is closed/));
    } finally {
      await opened.cleanup();
    }
  });

  test('cancelled incident rejects action items', async () => {
    const opened = await openSqliteStore();
    try {
      const { store } = opened;
      await store.declare({ title: 'False alarm', severity: 'SEV3' }, cliActor);
      await store.changeState(1, 'cancelled', null, cliActor);
      const before = JSON.stringify(await store.get(1));

      await assert.rejects(
        store.addActionItem(1, { title: 'Fix', owner: 'ben', due: '2026-12-11' }, cliActor),
        assertSrekitError('INCIDENT_INVALID_CHANGE', /INC-1: it is cancelled/));
      assert.equal(JSON.stringify(await store.get(1)), before);
    } finally {
      await opened.cleanup();
    }
  });
});

describe('incident store milestone times', () => {
  test('milestone up to five minutes ahead is kept', async () => {
    const opened = await openSqliteStore();
    try {
      await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const ahead = new Date(opened.clock.now().getTime() + 4 * 60_000).toISOString();
      const incident = await opened.store.recordMilestone(1, 'mitigated', ahead, cliActor);
      assert.equal(incident.milestones.mitigated, ahead);
    } finally {
      await opened.cleanup();
    }
  });

  test('milestone further ahead is rejected', async () => {
    const opened = await openSqliteStore();
    try {
      await opened.store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const before = JSON.stringify(await opened.store.get(1));
      const ahead = new Date(opened.clock.now().getTime() + 6 * 60_000).toISOString();

      await assert.rejects(opened.store.recordMilestone(1, 'started', ahead, cliActor),
        assertSrekitError('INVALID_INPUT', /milestone time .*: it is later than now/));
      assert.equal(JSON.stringify(await opened.store.get(1)), before);
    } finally {
      await opened.cleanup();
    }
  });
});
