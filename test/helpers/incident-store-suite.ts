import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { projectEvents, type IncidentStore } from '../../src/incident/index.js';
import { assertSrekitError } from './errors.js';
import { cliActor, type OpenedStore } from './incident.js';

/** Everything a store holds, to show that a rejected command changed nothing. */
async function snapshot(store: IncidentStore): Promise<string> {
  const events = await store.eventsAfter(0, 100_000);
  const incidents = await store.list();
  return JSON.stringify({ events, incidents });
}

/**
 * Defines the tests that every database must pass: each command, the checks
 * that reject bad input and invalid changes without writing, and the
 * projection that the event log rebuilds.
 */
export function defineStoreSuite(open: () => Promise<OpenedStore>): void {
  let opened: OpenedStore;
  let store: IncidentStore;

  beforeEach(async () => {
    opened = await open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  test('declare numbers incidents and records first milestones', async () => {
    const first = await store.declare({ title: 'Orders API down', severity: 'SEV1' }, cliActor);
    opened.clock.advanceMinutes(1);
    const second = await store.declare({
      title: '  Slow checkout  ', severity: 'SEV3', services: ['orders', 'orders', 'db'],
      summary: 'p95 over 2 s', commander: 'ben',
    }, cliActor);

    assert.equal(first.reference, 'INC-1');
    assert.equal(first.state, 'triage');
    assert.deepEqual(first.milestones, {
      started: '2026-12-04T20:00:00.000Z', detected: '2026-12-04T20:00:00.000Z',
    });
    assert.equal(first.nextUpdateDue, '2026-12-04T20:15:00.000Z');
    assert.equal(second.reference, 'INC-2');
    assert.equal(second.title, 'Slow checkout');
    assert.deepEqual(second.services, ['orders', 'db']);
    assert.equal(second.roles.commander, 'ben');
    assert.equal(second.milestones.acknowledged, '2026-12-04T20:01:00.000Z');
    assert.equal(second.nextUpdateDue, null);
  });

  test('concurrent declares get distinct numbers', async () => {
    const declared = await Promise.all(Array.from({ length: 8 }, (_, index) =>
      store.declare({ title: `incident ${index}`, severity: 'SEV4' }, cliActor)));
    const numbers = declared.map((incident) => incident.number).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('list filters by state in number order', async () => {
    await store.declare({ title: 'one', severity: 'SEV2' }, cliActor);
    await store.declare({ title: 'two', severity: 'SEV2' }, cliActor);
    await store.declare({ title: 'three', severity: 'SEV2' }, cliActor);
    await store.changeState(2, 'cancelled', 'declared by mistake', cliActor);

    const all = await store.list();
    const open = await store.list({ states: ['triage'] });
    assert.deepEqual(all.map((incident) => incident.reference), ['INC-1', 'INC-2', 'INC-3']);
    assert.deepEqual(open.map((incident) => incident.reference), ['INC-1', 'INC-3']);
  });

  test('state changes record milestones and clear the update timer', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV1' }, cliActor);
    opened.clock.advanceMinutes(5);
    await store.changeState(1, 'investigating', null, cliActor);
    opened.clock.advanceMinutes(10);
    await store.changeState(1, 'monitoring', 'rolled back', cliActor);
    opened.clock.advanceMinutes(20);
    const resolvedIncident = await store.changeState(1, 'resolved', null, cliActor);

    assert.equal(resolvedIncident.state, 'resolved');
    assert.equal(resolvedIncident.milestones.acknowledged, '2026-12-04T20:05:00.000Z');
    assert.equal(resolvedIncident.milestones.mitigated, '2026-12-04T20:15:00.000Z');
    assert.equal(resolvedIncident.milestones.resolved, '2026-12-04T20:35:00.000Z');
    assert.equal(resolvedIncident.nextUpdateDue, null);
  });

  test('reopening removes the resolved milestone', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    await store.changeState(1, 'resolved', null, cliActor);
    const reopened = await store.changeState(1, 'investigating', 'errors are back', cliActor);
    assert.equal(reopened.state, 'investigating');
    assert.equal(reopened.milestones.resolved, undefined);
  });

  test('severity change brings the next update forward', async () => {
    await store.declare({ title: 'Slow checkout', severity: 'SEV3' }, cliActor);
    opened.clock.advanceMinutes(2);
    const raised = await store.changeSeverity(1, 'SEV1', cliActor);
    assert.equal(raised.severity, 'SEV1');
    assert.equal(raised.nextUpdateDue, '2026-12-04T20:17:00.000Z');
    const lowered = await store.changeSeverity(1, 'SEV4', cliActor);
    assert.equal(lowered.nextUpdateDue, null);
  });

  test('role assignments keep their history', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    opened.clock.advanceMinutes(3);
    await store.assignRole(1, 'commander', 'ana', cliActor);
    opened.clock.advanceMinutes(30);
    const handedOver = await store.assignRole(1, 'commander', 'ben', cliActor);
    const { events } = await store.get(1);

    assert.equal(handedOver.roles.commander, 'ben');
    assert.equal(handedOver.milestones.acknowledged, '2026-12-04T20:03:00.000Z');
    assert.deepEqual(handedOver.roleHistory.map((entry) => entry.person), ['ana', 'ben']);
    const last = events.at(-1)?.body;
    assert.deepEqual(last, { type: 'role_assigned', role: 'commander', person: 'ben', previous: 'ana' });
  });

  test('status update sets the next update from the cadence', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV1' }, cliActor);
    opened.clock.advanceMinutes(10);
    const updated = await store.postUpdate(1, {
      audience: 'public', text: 'Orders fail; we are rolling back', state: 'identified',
    }, cliActor);
    assert.equal(updated.state, 'identified');
    assert.equal(updated.nextUpdateDue, '2026-12-04T20:40:00.000Z');

    const final = await store.postUpdate(1, {
      audience: 'public', text: 'Fixed', state: 'resolved',
    }, cliActor);
    assert.equal(final.nextUpdateDue, null);
    const types = (await store.get(1)).events.map((event) => event.body.type);
    assert.deepEqual(types, [
      'declared', 'state_changed', 'status_update', 'state_changed', 'status_update',
    ]);
  });

  test('notes, milestones, action items and snoozes are recorded', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    await store.addNote(1, 'database CPU at 100%', cliActor);
    await store.recordMilestone(1, 'started', '2026-12-04T19:50:00+01:00', cliActor);
    await store.addActionItem(1, { title: 'Add an index', owner: 'ben', due: '2026-12-11' },
      cliActor);
    await store.addActionItem(1, { title: 'Alert on CPU', owner: 'ana', due: '2026-12-12T12:00:00Z' },
      cliActor);
    const snoozed = await store.snoozeReminders(1, '2026-12-04T21:00:00Z', cliActor);

    assert.equal(snoozed.milestones.started, '2026-12-04T18:50:00.000Z');
    assert.deepEqual(snoozed.actionItems.map((item) => [item.item, item.title, item.due]), [
      [1, 'Add an index', '2026-12-11'], [2, 'Alert on CPU', '2026-12-12T12:00:00.000Z'],
    ]);
    assert.equal(snoozed.remindersSnoozedUntil, '2026-12-04T21:00:00.000Z');
    const note = (await store.get(1)).events[1];
    assert.deepEqual(note?.body, { type: 'note_added', text: 'database CPU at 100%' });
    assert.equal(note?.author, 'ana');
    assert.equal(note?.source, 'cli');
  });

  test('projection rebuilt from the events equals the stored one', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV1', commander: 'ana' }, cliActor);
    await store.assignRole(1, 'communications', 'cleo', cliActor);
    await store.postUpdate(1, { audience: 'internal', text: 'looking', state: 'investigating' },
      cliActor);
    await store.changeSeverity(1, 'SEV2', cliActor);
    await store.addActionItem(1, { title: 'Fix', owner: 'ben', due: '2026-12-11' }, cliActor);
    await store.changeState(1, 'monitoring', null, cliActor);
    await store.snoozeReminders(1, '2026-12-04T22:00:00Z', cliActor);

    const { incident, events } = await store.get(1);
    assert.deepEqual(projectEvents(events), incident);
  });

  test('unknown incident is not found', async () => {
    await assert.rejects(store.get(41), assertSrekitError('INCIDENT_NOT_FOUND', /INC-41 does not exist/));
    await assert.rejects(store.addNote(41, 'hello', cliActor),
      assertSrekitError('INCIDENT_NOT_FOUND', /INC-41/));
  });

  test('resolving a cancelled incident changes nothing', async () => {
    await store.declare({ title: 'False alarm', severity: 'SEV3' }, cliActor);
    await store.changeState(1, 'cancelled', null, cliActor);
    const before = await snapshot(store);

    await assert.rejects(store.changeState(1, 'resolved', null, cliActor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /from cancelled to resolved/));
    assert.equal(await snapshot(store), before);
  });

  const rejected: Array<{
    name: string;
    run: (store: IncidentStore) => Promise<unknown>;
    code: string;
    pattern: RegExp;
  }> = [
    { name: 'empty title', code: 'INVALID_INPUT', pattern: /invalid title " {2}": .*empty/,
      run: (s) => s.declare({ title: '  ', severity: 'SEV2' }, cliActor) },
    { name: 'title over 200 characters', code: 'INVALID_INPUT', pattern: /201 characters/,
      run: (s) => s.declare({ title: 'x'.repeat(201), severity: 'SEV2' }, cliActor) },
    { name: 'unknown severity', code: 'INVALID_INPUT', pattern: /invalid severity "SEV5".*SEV1/,
      run: (s) => s.changeSeverity(1, 'SEV5' as never, cliActor) },
    { name: 'same severity', code: 'INCIDENT_INVALID_CHANGE', pattern: /already SEV2/,
      run: (s) => s.changeSeverity(1, 'SEV2', cliActor) },
    { name: 'unknown state', code: 'INVALID_INPUT', pattern: /invalid state "done"/,
      run: (s) => s.changeState(1, 'done' as never, null, cliActor) },
    { name: 'same state', code: 'INCIDENT_INVALID_CHANGE', pattern: /already triage/,
      run: (s) => s.changeState(1, 'triage', null, cliActor) },
    { name: 'closing an open incident', code: 'INCIDENT_INVALID_CHANGE',
      pattern: /from triage to closed/,
      run: (s) => s.changeState(1, 'closed', null, cliActor) },
    { name: 'unknown role', code: 'INVALID_INPUT', pattern: /invalid role "scribe"/,
      run: (s) => s.assignRole(1, 'scribe' as never, 'ana', cliActor) },
    { name: 'empty note', code: 'INVALID_INPUT', pattern: /invalid note/,
      run: (s) => s.addNote(1, '', cliActor) },
    { name: 'update to an invalid state', code: 'INCIDENT_INVALID_CHANGE',
      pattern: /from triage to closed/,
      run: (s) => s.postUpdate(1, { audience: 'public', text: 'done', state: 'closed' }, cliActor) },
    { name: 'unknown audience', code: 'INVALID_INPUT', pattern: /invalid audience "press"/,
      run: (s) => s.postUpdate(1, { audience: 'press' as never, text: 'x' }, cliActor) },
    { name: 'milestone time without zone', code: 'INVALID_INPUT', pattern: /ISO 8601/,
      run: (s) => s.recordMilestone(1, 'detected', '2026-12-04 20:00', cliActor) },
    { name: 'action item due date invalid', code: 'INVALID_INPUT', pattern: /due date "soon"/,
      run: (s) => s.addActionItem(1, { title: 'Fix', owner: 'ben', due: 'soon' }, cliActor) },
    { name: 'snooze in the past', code: 'INCIDENT_INVALID_CHANGE', pattern: /not in the future/,
      run: (s) => s.snoozeReminders(1, '2026-12-04T19:00:00Z', cliActor) },
    { name: 'empty author', code: 'INVALID_INPUT', pattern: /invalid author/,
      run: (s) => s.addNote(1, 'x', { author: ' ', source: 'cli' }) },
    { name: 'incident number zero', code: 'INVALID_INPUT', pattern: /positive integer/,
      run: (s) => s.addNote(0, 'x', cliActor) },
  ];
  for (const { name, run, code, pattern } of rejected) {
    test(`rejected ${name} changes nothing`, async () => {
      await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
      const before = await snapshot(store);
      await assert.rejects(run(store), assertSrekitError(code, pattern));
      assert.equal(await snapshot(store), before);
    });
  }

  test('closed incident rejects every change', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    await store.changeState(1, 'resolved', null, cliActor);
    await store.changeState(1, 'closed', null, cliActor);
    const before = await snapshot(store);

    await assert.rejects(store.addNote(1, 'late note', cliActor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /INC-1: it is closed/));
    await assert.rejects(store.changeState(1, 'investigating', null, cliActor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /from closed to investigating/));
    assert.equal(await snapshot(store), before);
  });

  test('action item done once', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV2' }, cliActor);
    await store.addActionItem(1, { title: 'Fix', owner: 'ben', due: '2026-12-11' }, cliActor);
    const done = await store.completeActionItem(1, 1, cliActor);
    const before = await snapshot(store);

    assert.equal(done.actionItems[0]?.done, true);
    await assert.rejects(store.completeActionItem(1, 1, cliActor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /action item 1 is already done/));
    await assert.rejects(store.completeActionItem(1, 2, cliActor),
      assertSrekitError('INCIDENT_INVALID_CHANGE', /no action item 2/));
    assert.equal(await snapshot(store), before);
  });

  test('notifier cursors and reminders persist', async () => {
    await store.declare({ title: 'Orders API down', severity: 'SEV1' }, cliActor);
    await store.addNote(1, 'first', cliActor);
    const reminded = await store.recordReminder(1, 'communications', null,
      '2026-12-04T20:15:00Z', { author: 'srekit', source: 'reminder' });

    assert.equal(await store.readCursor('slack'), 0);
    await store.writeCursor('slack', 2);
    await store.writeCursor('slack', 3);
    assert.equal(await store.readCursor('slack'), 3);
    const after = await store.eventsAfter(1, 10);
    assert.deepEqual(after.map((event) => [event.id, event.body.type]),
      [[2, 'note_added'], [3, 'reminder_sent']]);
    assert.equal(reminded.updatedAt, '2026-12-04T20:00:00.000Z');
    assert.equal((await store.eventsAfter(0, 1)).length, 1);
  });
}
