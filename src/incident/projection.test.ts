import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Incident, IncidentEvent, IncidentEventBody } from './model.js';
import { applyEvent, nextUpdateAfter, projectEvents } from './projection.js';

let nextId = 1;

function event(
  body: IncidentEventBody, at: string, source: IncidentEvent['source'] = 'cli',
): IncidentEvent {
  return { id: nextId++, incident: 3, at, author: 'ana', source, body };
}

const declared = event({
  type: 'declared', title: 'Orders API down', severity: 'SEV1', services: ['orders'],
  summary: null, alertGroupKey: null,
}, '2026-12-04T20:00:00.000Z');

function project(...events: IncidentEvent[]): Incident {
  const incident = projectEvents([declared, ...events]);
  assert.ok(incident !== undefined);
  return incident;
}

test('declared event starts an incident in triage', () => {
  const incident = project();
  assert.equal(incident.reference, 'INC-3');
  assert.equal(incident.state, 'triage');
  assert.deepEqual(incident.roles, { commander: null, communications: null, owner: null });
  assert.equal(incident.nextUpdateDue, '2026-12-04T20:15:00.000Z');
});

test('leaving triage acknowledges once', () => {
  const incident = project(
    event({ type: 'state_changed', from: 'triage', to: 'investigating', reason: null },
      '2026-12-04T20:04:00.000Z'),
    event({ type: 'state_changed', from: 'investigating', to: 'triage', reason: null },
      '2026-12-04T20:05:00.000Z'),
    event({ type: 'state_changed', from: 'triage', to: 'identified', reason: null },
      '2026-12-04T20:06:00.000Z'),
  );
  assert.equal(incident.milestones.acknowledged, '2026-12-04T20:04:00.000Z');
});

test('alert moving out of triage acknowledges nothing', () => {
  const incident = project(event(
    { type: 'state_changed', from: 'triage', to: 'monitoring', reason: null },
    '2026-12-04T20:04:00.000Z', 'alertmanager',
  ));
  assert.equal(incident.milestones.acknowledged, undefined);
  assert.equal(incident.milestones.mitigated, '2026-12-04T20:04:00.000Z');
});

test('first commander acknowledges', () => {
  const incident = project(
    event({ type: 'role_assigned', role: 'owner', person: 'ben', previous: null },
      '2026-12-04T20:02:00.000Z'),
    event({ type: 'role_assigned', role: 'commander', person: 'ana', previous: null },
      '2026-12-04T20:03:00.000Z'),
  );
  assert.equal(incident.milestones.acknowledged, '2026-12-04T20:03:00.000Z');
  assert.equal(incident.roles.owner, 'ben');
});

test('status update stores its next due time', () => {
  const incident = project(event({
    type: 'status_update', audience: 'public', text: 'looking',
    nextUpdateDue: '2026-12-04T20:40:00.000Z',
  }, '2026-12-04T20:10:00.000Z'));
  assert.equal(incident.nextUpdateDue, '2026-12-04T20:40:00.000Z');
});

test('runbook links are kept once each', () => {
  const alert = {
    fingerprint: 'f1', alertname: 'OrdersDown', startsAt: '2026-12-04T19:58:00.000Z',
    labels: {}, annotations: { runbook_url: 'https://runbooks/orders-down' }, groupKey: 'g',
  };
  const incident = project(
    event({ type: 'alert_firing', alert }, '2026-12-04T20:01:00.000Z'),
    event({ type: 'alert_firing', alert: { ...alert, fingerprint: 'f2' } },
      '2026-12-04T20:02:00.000Z'),
  );
  assert.deepEqual(incident.runbookUrls, ['https://runbooks/orders-down']);
});

test('action item done marks only that item', () => {
  const incident = project(
    event({ type: 'action_item_added', item: 1, title: 'a', owner: 'ben', due: '2026-12-11' },
      '2026-12-04T20:01:00.000Z'),
    event({ type: 'action_item_added', item: 2, title: 'b', owner: 'ben', due: '2026-12-11' },
      '2026-12-04T20:01:00.000Z'),
    event({ type: 'action_item_done', item: 2 }, '2026-12-04T20:02:00.000Z'),
  );
  assert.deepEqual(incident.actionItems.map((item) => item.done), [false, true]);
});

test('applyEvent leaves its input unchanged', () => {
  const before = project();
  const copy = structuredClone(before);
  applyEvent(before, event({ type: 'role_assigned', role: 'commander', person: 'ana',
    previous: null }, '2026-12-04T20:03:00.000Z'));
  assert.deepEqual(before, copy);
});

test('corrupt logs raise errors', () => {
  assert.throws(() => applyEvent(undefined, event({ type: 'note_added', text: 'x' }, declared.at)),
    /event \d+ is a note_added event before declared/);
  assert.throws(() => applyEvent(project(), declared), /a second declared event/);
});

test('next update follows the severity cadence', () => {
  const at = '2026-12-04T20:00:00.000Z';
  assert.equal(nextUpdateAfter(at, 'SEV1', 'investigating'), '2026-12-04T20:30:00.000Z');
  assert.equal(nextUpdateAfter(at, 'SEV2', 'monitoring'), '2026-12-04T21:00:00.000Z');
  assert.equal(nextUpdateAfter(at, 'SEV3', 'investigating'), null);
  assert.equal(nextUpdateAfter(at, 'SEV1', 'resolved'), null);
});
