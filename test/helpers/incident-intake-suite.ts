import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { IncidentStore } from '../../src/incident/index.js';
import { assertSrekitError } from './errors.js';
import {
  alert, alertmanagerActor, cliActor, message, resolved, type OpenedStore,
} from './incident.js';

const group = '{}/{severity="page"}:{alertname="OrdersDown"}';

const ordersDown = alert('f-orders', { severity: 'page', service: 'orders' }, {
  annotations: {
    summary: 'Orders API is down', description: 'No target answers /healthz',
    runbook_url: 'https://runbooks.example/orders-down',
  },
});

async function eventTypes(store: IncidentStore, number = 1): Promise<string[]> {
  const { events } = await store.get(number);
  return events.map((event) => event.body.type);
}

async function eventCount(store: IncidentStore): Promise<number> {
  return (await store.eventsAfter(0, 100_000)).length;
}

/**
 * Defines the tests of the Alertmanager intake that every database must
 * pass: opening, joining, duplicates, resolution and non-page alerts.
 */
export function defineIntakeSuite(open: () => Promise<OpenedStore>): void {
  let opened: OpenedStore;
  let store: IncidentStore;
  const receive = (...args: Parameters<typeof message>) =>
    store.receiveAlerts(message(...args), alertmanagerActor);

  beforeEach(async () => {
    opened = await open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened.cleanup();
  });

  test('page alert opens an incident', async () => {
    const outcome = await receive(group, [ordersDown]);
    const { incident } = await store.get(1);

    assert.deepEqual(outcome, { incident: 'INC-1', opened: true, eventsAppended: 3 });
    assert.equal(incident.title, 'Orders API is down');
    assert.equal(incident.summary, 'No target answers /healthz');
    assert.equal(incident.severity, 'SEV2');
    assert.deepEqual(incident.services, ['orders']);
    assert.equal(incident.alertGroupKey, group);
    assert.deepEqual(incident.runbookUrls, ['https://runbooks.example/orders-down']);
    assert.equal(incident.milestones.started, '2026-12-04T19:58:00.000Z');
    assert.equal(incident.milestones.detected, '2026-12-04T20:00:00.000Z');
    assert.deepEqual(await eventTypes(store), ['declared', 'milestone_recorded', 'alert_firing']);
  });

  test('severity label and alert name shape the incident', async () => {
    await receive(group, [alert('f-1', { severity: 'page', incident_severity: 'sev1', job: 'api' })]);
    const { incident } = await store.get(1);
    assert.equal(incident.severity, 'SEV1');
    assert.equal(incident.title, 'OrdersDown f-1');
    assert.deepEqual(incident.services, ['api']);
  });

  test('same message twice appends nothing', async () => {
    await receive(group, [ordersDown]);
    const before = await store.get(1);
    const outcome = await receive(group, [ordersDown]);

    assert.deepEqual(outcome, { incident: 'INC-1', opened: false, eventsAppended: 0 });
    assert.deepEqual(await store.get(1), before);
  });

  test('two Alertmanagers with different bodies open one incident', async () => {
    await receive(group, [ordersDown], { receiver: 'incident', externalURL: 'http://am-1:9093' });
    const copy = {
      ...ordersDown, startsAt: '2026-12-04T19:58:00.000000000+00:00',
      generatorURL: 'http://prometheus-2:9090/graph',
    };
    const outcome = await receive(group, [copy], {
      receiver: 'incident-ha', externalURL: 'http://am-2:9093', truncatedAlerts: 0,
    });

    assert.equal(outcome.eventsAppended, 0);
    assert.equal((await store.list()).length, 1);
  });

  test('concurrent duplicates open one incident', async () => {
    const second = { ...ordersDown, annotations: { ...ordersDown.annotations, extra: 'x' } };
    const outcomes = await Promise.all([
      receive(group, [ordersDown], { externalURL: 'http://am-1:9093' }),
      receive(group, [second], { externalURL: 'http://am-2:9093' }),
    ]);

    assert.deepEqual(outcomes.map((outcome) => outcome.opened).sort(), [false, true]);
    assert.equal((await store.list()).length, 1);
    assert.equal(await eventCount(store), 3);
  });

  test('group that grows adds alerts and services', async () => {
    await receive(group, [ordersDown]);
    const payments = alert('f-payments', { severity: 'page', service: 'payments' }, {
      annotations: { runbook_url: 'https://runbooks.example/payments' },
    });
    const outcome = await receive(group, [ordersDown, payments]);
    const { incident } = await store.get(1);

    assert.deepEqual(outcome, { incident: 'INC-1', opened: false, eventsAppended: 2 });
    assert.deepEqual(incident.services, ['orders', 'payments']);
    assert.equal(incident.runbookUrls.length, 2);
    assert.deepEqual((await eventTypes(store)).slice(3), ['alert_firing', 'services_changed']);
  });

  test('stricter severity label raises the incident', async () => {
    await receive(group, [ordersDown]);
    await receive(group, [alert('f-2', { severity: 'page', incident_severity: 'SEV1' })]);
    await receive(group, [alert('f-3', { severity: 'page', incident_severity: 'SEV4' })]);
    const { incident } = await store.get(1);
    assert.equal(incident.severity, 'SEV1');
    assert.equal((await eventTypes(store)).filter((type) => type === 'severity_changed').length, 1);
  });

  test('mixed firing and resolved alerts stay open', async () => {
    const latency = alert('f-latency', { severity: 'page', service: 'orders' });
    await receive(group, [ordersDown, latency]);
    const outcome = await receive(group, [resolved(ordersDown), latency]);
    const { incident } = await store.get(1);

    assert.equal(outcome.eventsAppended, 1);
    assert.equal(incident.state, 'triage');
    assert.equal((await eventTypes(store)).at(-1), 'alert_resolved');
  });

  test('all alerts resolved moves to monitoring only', async () => {
    const latency = alert('f-latency', { severity: 'page', service: 'orders' });
    await receive(group, [ordersDown, latency]);
    await store.changeState(1, 'identified', null, cliActor);
    await receive(group, [resolved(ordersDown), resolved(latency)]);
    const repeated = await receive(group, [resolved(ordersDown), resolved(latency)]);
    const { incident, events } = await store.get(1);

    assert.equal(incident.state, 'monitoring');
    assert.equal(repeated.eventsAppended, 0);
    assert.equal(incident.milestones.resolved, undefined);
    const last = events.at(-1);
    assert.equal(last?.source, 'alertmanager');
    assert.deepEqual(last?.body, {
      type: 'state_changed', from: 'identified', to: 'monitoring',
      reason: 'every alert of the incident has resolved',
    });
  });

  test('alert firing again reopens investigation', async () => {
    await receive(group, [ordersDown]);
    await receive(group, [resolved(ordersDown)]);
    const again = { ...ordersDown, startsAt: '2026-12-04T20:20:00Z' };
    await receive(group, [again]);
    const { incident } = await store.get(1);

    assert.equal(incident.state, 'investigating');
    assert.deepEqual((await eventTypes(store)).slice(-2), ['alert_firing', 'state_changed']);
  });

  test('resolution leaves a resolved incident resolved', async () => {
    await receive(group, [ordersDown]);
    await store.changeState(1, 'resolved', 'fixed by rollback', cliActor);
    await receive(group, [resolved(ordersDown)]);
    const { incident } = await store.get(1);

    assert.equal(incident.state, 'resolved');
    assert.equal((await eventTypes(store)).at(-1), 'alert_resolved');
  });

  test('page after resolution opens a new incident', async () => {
    await receive(group, [ordersDown]);
    await store.changeState(1, 'resolved', null, cliActor);
    opened.clock.advanceMinutes(90);
    const again = { ...ordersDown, startsAt: '2026-12-04T21:00:00Z' };
    const outcome = await receive(group, [again]);
    assert.deepEqual(outcome, { incident: 'INC-2', opened: true, eventsAppended: 3 });
  });

  test('late resolution leaves a cancelled incident alone', async () => {
    await receive(group, [ordersDown]);
    await store.changeState(1, 'cancelled', null, cliActor);
    const before = await eventCount(store);
    const outcome = await receive(group, [resolved(ordersDown)]);
    assert.equal(outcome.eventsAppended, 0);
    assert.equal(await eventCount(store), before);
  });

  test('truncated alerts are noted', async () => {
    await receive(group, [ordersDown], { truncatedAlerts: 4 });
    const { events } = await store.get(1);
    const note = events.at(-1)?.body;
    assert.equal(note?.type, 'note_added');
    assert.match(note.type === 'note_added' ? note.text : '', /left 4 alerts of group .* out/);
  });

  test('non-page alert without incident opens nothing', async () => {
    const warning = alert('f-warn', { severity: 'warn', service: 'orders' });
    const outcome = await receive('{}:{alertname="Latency"}', [warning]);
    const resolution = await receive('{}:{alertname="Latency"}', [resolved(warning)]);

    assert.deepEqual(outcome, { incident: null, opened: false, eventsAppended: 0 });
    assert.deepEqual(resolution, { incident: null, opened: false, eventsAppended: 0 });
    assert.equal((await store.list()).length, 0);
    assert.equal(await eventCount(store), 0);
  });

  test('non-page alert joins the open incident', async () => {
    const warning = alert('f-warn', { severity: 'warn', service: 'orders' });
    await receive(group, [warning]);
    const outcome = await receive(group, [warning, ordersDown]);
    const { incident } = await store.get(1);

    assert.equal(outcome.opened, true);
    assert.deepEqual(await eventTypes(store),
      ['declared', 'milestone_recorded', 'alert_firing', 'alert_firing']);
    assert.equal(incident.title, 'Orders API is down');
  });

  test('invalid message changes nothing', async () => {
    await receive(group, [ordersDown]);
    const before = await eventCount(store);
    const noFingerprint = alert('', { severity: 'page' });
    const badStart = alert('f-2', { severity: 'page' }, { startsAt: 'yesterday' });

    await assert.rejects(receive(group, [badStart, noFingerprint]),
      assertSrekitError('INVALID_INPUT', /invalid alert startsAt "yesterday"/));
    await assert.rejects(receive('', [ordersDown]),
      assertSrekitError('INVALID_INPUT', /invalid groupKey ""/));
    await assert.rejects(receive(group, [ordersDown], { truncatedAlerts: -1 }),
      assertSrekitError('INVALID_INPUT', /invalid truncatedAlerts -1/));
    assert.equal(await eventCount(store), before);
  });
}
