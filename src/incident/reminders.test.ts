import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateCadenceMinutes, type Incident, type Severity } from './model.js';
import { dueReminders, isOverdue, type SentReminder } from './reminders.js';

const start = Date.parse('2026-12-04T20:00:00.000Z');

function minutes(count: number): Date {
  return new Date(start + count * 60_000);
}

function at(count: number): string {
  return minutes(count).toISOString();
}

/** Returns an incident declared at `start`, its next update due on the severity's cadence. */
function incident(severity: Severity, overrides: Partial<Incident> = {}): Incident {
  const cadence = updateCadenceMinutes[severity];
  return {
    number: 1,
    reference: 'INC-1',
    title: 'Checkout returns 500',
    severity,
    state: 'investigating',
    services: ['orders-api'],
    summary: null,
    roles: { commander: 'alice', communications: 'bob', owner: null },
    roleHistory: [],
    milestones: {},
    createdAt: at(0),
    updatedAt: at(0),
    nextUpdateDue: cadence === null ? null : at(cadence),
    remindersSnoozedUntil: null,
    alertGroupKey: null,
    runbookUrls: [],
    actionItems: [],
    ...overrides,
  };
}

function sent(...reminders: SentReminder[]): Map<number, SentReminder[]> {
  return new Map([[1, reminders]]);
}

const none = new Map<number, SentReminder[]>();

test('SEV1 update is due after 30 minutes', () => {
  const sev1 = incident('SEV1');

  assert.deepEqual(dueReminders([sev1], none, minutes(29)), []);
  assert.deepEqual(dueReminders([sev1], none, minutes(30)), [
    { incident: 1, role: 'communications', person: 'bob', due: at(30) },
  ]);
});

test('SEV2 update is due after an hour', () => {
  const sev2 = incident('SEV2');

  assert.deepEqual(dueReminders([sev2], none, minutes(59)), []);
  assert.equal(dueReminders([sev2], none, minutes(60)).length, 1);
});

test('comms lead is reminded once', () => {
  const reminded = sent({ role: 'communications', due: at(30), at: at(30) });

  assert.deepEqual(dueReminders([incident('SEV1')], reminded, minutes(31)), []);
  assert.deepEqual(dueReminders([incident('SEV1')], reminded, minutes(39)), []);
});

test('IC is reminded after the grace period', () => {
  const reminded = sent({ role: 'communications', due: at(30), at: at(30) });

  assert.deepEqual(dueReminders([incident('SEV1')], reminded, minutes(40)), [
    { incident: 1, role: 'commander', person: 'alice', due: at(30) },
  ]);
});

test('grace period counts from the comms reminder', () => {
  const late = sent({ role: 'communications', due: at(30), at: at(35) });

  assert.deepEqual(dueReminders([incident('SEV1')], late, minutes(44)), []);
  assert.equal(dueReminders([incident('SEV1')], late, minutes(45))[0]?.role, 'commander');
});

test('grace period is configurable', () => {
  const reminded = sent({ role: 'communications', due: at(30), at: at(30) });

  assert.deepEqual(dueReminders([incident('SEV1')], reminded, minutes(32), 3), []);
  assert.equal(dueReminders([incident('SEV1')], reminded, minutes(33), 3)[0]?.role, 'commander');
});

test('nothing follows the IC reminder', () => {
  const both = sent(
    { role: 'communications', due: at(30), at: at(30) },
    { role: 'commander', due: at(30), at: at(40) },
  );

  assert.deepEqual(dueReminders([incident('SEV1')], both, minutes(90)), []);
});

test('snooze silences until its end', () => {
  const snoozed = incident('SEV1', { remindersSnoozedUntil: at(50) });

  assert.equal(isOverdue(snoozed, minutes(45)), false);
  assert.deepEqual(dueReminders([snoozed], none, minutes(45)), []);
  assert.equal(dueReminders([snoozed], none, minutes(50))[0]?.role, 'communications');
});

test('status update resets the cycle', () => {
  // An update posted at minute 45 sets the next one due at minute 75.
  const updated = incident('SEV1', { nextUpdateDue: at(75) });
  const oldCycle = sent(
    { role: 'communications', due: at(30), at: at(30) },
    { role: 'commander', due: at(30), at: at(40) },
  );

  assert.deepEqual(dueReminders([updated], oldCycle, minutes(74)), []);
  assert.deepEqual(dueReminders([updated], oldCycle, minutes(75)), [
    { incident: 1, role: 'communications', person: 'bob', due: at(75) },
  ]);
});

test('SEV3 and SEV4 have no timer', () => {
  for (const severity of ['SEV3', 'SEV4'] as const) {
    const quiet = incident(severity);
    assert.equal(quiet.nextUpdateDue, null);
    assert.deepEqual(dueReminders([quiet], none, minutes(24 * 60)), [], severity);
  }
});

test('missing comms lead sends the IC reminder first', () => {
  const roles = { commander: 'alice', communications: null, owner: null };
  const noComms = incident('SEV1', { roles });

  assert.deepEqual(dueReminders([noComms], none, minutes(30)), [
    { incident: 1, role: 'commander', person: 'alice', due: at(30) },
  ]);
});

test('unassigned IC is still reminded, without a person', () => {
  const roles = { commander: null, communications: null, owner: null };
  const nobody = incident('SEV1', { roles });

  assert.deepEqual(dueReminders([nobody], none, minutes(30)), [
    { incident: 1, role: 'commander', person: null, due: at(30) },
  ]);
});

test('closed incidents get no reminders', () => {
  for (const state of ['resolved', 'closed', 'cancelled'] as const) {
    assert.deepEqual(dueReminders([incident('SEV1', { state })], none, minutes(60)), [], state);
  }
});

test('reminders of other incidents do not count', () => {
  const other = new Map([[2, [{ role: 'communications' as const, due: at(30), at: at(30) }]]]);

  assert.equal(dueReminders([incident('SEV1')], other, minutes(31))[0]?.role, 'communications');
});
