import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePorts, waitForHttpReady } from '../src/common/process.js';
import type { IncidentEvent, IncidentRecord } from '../src/incident/model.js';
import type { AlertIntakeOutcome, AlertmanagerMessage } from '../src/incident/service-api.js';
import { alert, message, resolved } from './helpers/incident.js';
import {
  callApi, field, startTestIncidentServer, testToken, type ApiResponse, type TestIncidentServer,
} from './helpers/incident-server.js';

const webhookPath = '/v1/webhooks/alertmanager';

/**
 * Builds three alerts whose fingerprints start with `prefix`. Alerts are
 * known by fingerprint and start time across groups, so each test uses its
 * own prefix.
 */
function alertsOf(prefix: string) {
  return {
    pageDown: alert(`${prefix}-down`, {
      alertname: 'OrdersDown', severity: 'page', service: 'orders', instance: 'orders-1',
    }, { annotations: { runbook_url: 'https://runbooks.example/orders-down', summary: 'down' } }),
    pageErrors: alert(`${prefix}-errors`, {
      alertname: 'OrdersErrors', severity: 'page', service: 'orders',
    }),
    warnLatency: alert(`${prefix}-latency`, {
      alertname: 'OrdersLatency', severity: 'warn', service: 'orders',
    }),
  };
}

async function deliver(server: TestIncidentServer, body: unknown): Promise<ApiResponse> {
  return callApi(`${server.url}${webhookPath}`, { method: 'POST', body });
}

async function deliverOk(
  server: TestIncidentServer, body: AlertmanagerMessage,
): Promise<AlertIntakeOutcome> {
  const response = await deliver(server, body);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as AlertIntakeOutcome;
}

async function record(
  server: TestIncidentServer, reference: string | null,
): Promise<IncidentRecord> {
  assert.ok(reference !== null, 'expected an incident reference');
  const response = await callApi(`${server.url}/v1/incidents/${reference}`);
  assert.equal(response.status, 200);
  return response.body as IncidentRecord;
}

function eventTypes(events: readonly IncidentEvent[]): string[] {
  return events.map((event) => event.body.type);
}

describe('alertmanager webhook', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  test('page alert opens an incident with its runbook', async () => {
    const { pageDown } = alertsOf('open');
    const outcome = await deliverOk(server, message('{}:{group="open"}', [pageDown]));
    assert.equal(outcome.opened, true);
    assert.ok(outcome.eventsAppended > 0);

    const opened = await record(server, outcome.incident);
    assert.equal(opened.incident.alertGroupKey, '{}:{group="open"}');
    assert.deepEqual(opened.incident.runbookUrls, ['https://runbooks.example/orders-down']);
    assert.equal(opened.events.at(-1)?.source, 'alertmanager');
    assert.ok(eventTypes(opened.events).includes('alert_firing'));
  });

  test('same message twice changes nothing', async () => {
    const { pageDown, pageErrors } = alertsOf('twice');
    const body = message('{}:{group="twice"}', [pageDown, pageErrors]);
    const first = await deliverOk(server, body);
    const rowsAfterFirst = await server.countRows();

    const second = await deliverOk(server, body);
    assert.equal(second.incident, first.incident);
    assert.equal(second.opened, false);
    assert.equal(second.eventsAppended, 0);
    assert.deepEqual(await server.countRows(), rowsAfterFirst);
  });

  test('mixed firing and resolved alerts in one message', async () => {
    const { pageDown, pageErrors } = alertsOf('mixed');
    const groupKey = '{}:{group="mixed"}';
    const opened = await deliverOk(server, message(groupKey, [pageDown, pageErrors]));

    const mixed = await deliverOk(server, message(groupKey, [resolved(pageDown), pageErrors]));
    assert.equal(mixed.incident, opened.incident);
    assert.equal(mixed.eventsAppended, 1);
    const stillFiring = await record(server, opened.incident);
    assert.equal(eventTypes(stillFiring.events).at(-1), 'alert_resolved');
    assert.notEqual(stillFiring.incident.state, 'monitoring');

    const allResolved = await deliverOk(server,
      message(groupKey, [resolved(pageDown), resolved(pageErrors)]));
    assert.equal(allResolved.eventsAppended, 2);
    const quiet = await record(server, opened.incident);
    assert.equal(quiet.incident.state, 'monitoring');
  });

  test('group that grows adds alerts to its incident', async () => {
    const { pageDown, warnLatency } = alertsOf('grows');
    const groupKey = '{}:{group="grows"}';
    const first = await deliverOk(server, message(groupKey, [pageDown]));
    const grown = await deliverOk(server, message(groupKey, [pageDown, warnLatency]));
    assert.equal(grown.incident, first.incident);
    assert.equal(grown.opened, false);
    assert.equal(grown.eventsAppended, 1);

    const incident = await record(server, first.incident);
    const fired = incident.events
      .flatMap((event) => (event.body.type === 'alert_firing' ? [event.body.alert.alertname] : []));
    assert.deepEqual(fired, ['OrdersDown', 'OrdersLatency']);
  });

  test('same alerts from two Alertmanagers open one incident', async () => {
    const { pageDown, pageErrors } = alertsOf('ha');
    const groupKey = '{}:{group="ha-pair"}';
    const fromFirst = message(groupKey, [pageDown, pageErrors], {
      externalURL: 'http://alertmanager-1:9093', receiver: 'incident',
    });
    const fromSecond = message(groupKey, [pageErrors, pageDown], {
      externalURL: 'http://alertmanager-2:9093', receiver: 'incident-ha',
      commonLabels: { service: 'orders' },
    });
    const before = await server.countRows();

    const outcomes = await Promise.all([
      deliverOk(server, fromFirst), deliverOk(server, fromSecond),
      deliverOk(server, fromFirst), deliverOk(server, fromSecond),
    ]);
    assert.equal(outcomes.filter((outcome) => outcome.opened).length, 1);
    assert.equal(new Set(outcomes.map((outcome) => outcome.incident)).size, 1);
    const appended = outcomes.reduce((sum, outcome) => sum + outcome.eventsAppended, 0);
    const after = await server.countRows();
    assert.equal(after.events - before.events, appended);

    const incident = await record(server, outcomes[0]?.incident ?? null);
    const fired = incident.events.filter((event) => event.body.type === 'alert_firing');
    assert.equal(fired.length, 2);
  });

  test('truncated alerts are noted on the timeline', async () => {
    const { pageDown } = alertsOf('truncated');
    const outcome = await deliverOk(server,
      message('{}:{group="truncated"}', [pageDown], { truncatedAlerts: 7 }));
    const incident = await record(server, outcome.incident);
    const notes = incident.events
      .flatMap((event) => (event.body.type === 'note_added' ? [event.body.text] : []));
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /\b7 alerts\b/);
  });

  test('warning without an open incident opens nothing', async () => {
    const { warnLatency } = alertsOf('warn');
    const before = await server.countRows();
    const outcome = await deliverOk(server, message('{}:{group="warn-only"}', [warnLatency]));
    assert.deepEqual(outcome, { incident: null, opened: false, eventsAppended: 0 });
    assert.deepEqual(await server.countRows(), before);
  });

  test('webhook needs the token', async () => {
    const { pageDown } = alertsOf('token');
    const before = await server.countRows();
    const response = await callApi(`${server.url}${webhookPath}`, {
      method: 'POST', body: message('{}:{group="no-token"}', [pageDown]), token: null,
    });
    assert.equal(response.status, 401);
    assert.deepEqual(await server.countRows(), before);
  });
});

describe('alertmanager webhook invalid payloads', () => {
  let server: TestIncidentServer;
  const { pageDown } = alertsOf('invalid');
  const valid = message('{}:{group="invalid"}', [pageDown]);
  const withAlert = (changes: Record<string, unknown>) => ({
    ...valid, alerts: [{ ...pageDown, ...changes }],
  });

  before(async () => {
    server = await startTestIncidentServer();
  });

  after(async () => {
    await server.stop();
  });

  const cases: { name: string; body?: unknown; rawBody?: string; message: RegExp }[] = [
    { name: 'version 3', body: { ...valid, version: '3' }, message: /version: unsupported version "3"/ },
    { name: 'missing groupKey', body: { ...valid, groupKey: undefined }, message: /groupKey: missing/ },
    { name: 'no alerts', body: { ...valid, alerts: [] }, message: /alerts: must contain at least one/ },
    { name: 'alerts not an array', body: { ...valid, alerts: {} }, message: /alerts: expected an array/ },
    {
      name: 'unparseable startsAt', body: withAlert({ startsAt: '04/12/2026 20:41' }),
      message: /alerts\[0\]\.startsAt: invalid time "04\/12\/2026 20:41"/,
    },
    {
      name: 'impossible endsAt', body: withAlert({ endsAt: '2026-13-45T25:00:00Z' }),
      message: /alerts\[0\]\.endsAt: invalid time/,
    },
    {
      name: 'numeric label', body: withAlert({ labels: { alertname: 'X', severity: 1 } }),
      message: /alerts\[0\]\.labels\.severity: expected a string value, got number 1/,
    },
    {
      name: 'unknown alert status', body: withAlert({ status: 'pending' }),
      message: /alerts\[0\]\.status: expected "firing" or "resolved", got "pending"/,
    },
    {
      name: 'missing fingerprint', body: withAlert({ fingerprint: undefined }),
      message: /alerts\[0\]\.fingerprint: missing/,
    },
    {
      name: 'negative truncatedAlerts', body: { ...valid, truncatedAlerts: -2 },
      message: /truncatedAlerts: must not be negative/,
    },
    { name: 'array body', body: [valid], message: /expected a JSON object, got an array/ },
    { name: 'empty body', rawBody: '', message: /the request body is empty$/ },
    { name: 'malformed JSON', rawBody: '{"version": "4",', message: /^request body is not valid JSON/ },
  ];
  for (const item of cases) {
    test(`${item.name} gets 400 and writes nothing`, async () => {
      const before = await server.countRows();
      const response = await callApi(`${server.url}${webhookPath}`, {
        method: 'POST', body: item.body, rawBody: item.rawBody,
      });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(field(response, 'code'), 'INVALID_INPUT');
      assert.match(String(field(response, 'error')), item.message);
      assert.deepEqual(await server.countRows(), before);
    });
  }

  test('metrics count webhook outcomes', async () => {
    await deliverOk(server, valid);
    await deliverOk(server, valid);
    const response = await callApi(`${server.url}/metrics`, { token: null });
    const text = String(response.body);
    assert.match(text, /^incident_webhook_messages_total\{outcome="opened"\} 1$/m);
    assert.match(text, /^incident_webhook_messages_total\{outcome="unchanged"\} 1$/m);
    // Malformed JSON fails before the route runs, so it is not counted as a message.
    const invalid = cases.filter((item) => item.name !== 'malformed JSON').length;
    assert.match(text,
      new RegExp(`^incident_webhook_messages_total\\{outcome="invalid"\\} ${invalid}$`, 'm'));
    assert.match(text,
      /^incident_webhook_alerts_total\{status="firing",outcome="opened"\} 1$/m);
  });
});

describe('alertmanager webhook on a failed database', () => {
  let server: TestIncidentServer;

  before(async () => {
    server = await startTestIncidentServer();
    // Closing the database under the running server makes every write fail
    // the way a lost database would.
    await server.db.destroy();
  });

  after(async () => {
    await server.stop();
  });

  test('database failure gets 500 so Alertmanager retries', async () => {
    const { pageDown } = alertsOf('failed');
    const response = await deliver(server, message('{}:{group="failed"}', [pageDown]));
    assert.equal(response.status, 500);
    assert.equal(field(response, 'code'), 'INCIDENT_SERVER_UNAVAILABLE');
    assert.equal(field(response, 'error'), 'internal server error');
    const failures = server.logs().filter((record) => record.msg === 'request handler failed');
    assert.equal(failures.length, 1);
  });

  test('metrics still serve while the database fails', async () => {
    const response = await callApi(`${server.url}/metrics`, { token: null });
    assert.equal(response.status, 200);
    const text = String(response.body);
    assert.match(text, /^incident_webhook_messages_total\{outcome="failed"\} 1$/m);
    assert.doesNotMatch(text, /^incident_incidents\{/m);
    assert.ok(server.logs().some((record) => record.msg === 'could not count incidents'));
  });
});

describe('alertmanager delivering to the incident server', () => {
  const binary = '/usr/bin/prometheus-alertmanager';
  let server: TestIncidentServer;
  let dir = '';
  let alertmanagerUrl = '';
  let child: ChildProcess | undefined;
  let log = '';

  before(async () => {
    server = await startTestIncidentServer();
    dir = await mkdtemp(join(tmpdir(), 'srekit-incident-am-'));
    const config = join(dir, 'alertmanager.yml');
    await writeFile(config, alertmanagerConfig(`${server.url}${webhookPath}`));

    const [port] = await findFreePorts(1);
    alertmanagerUrl = `http://127.0.0.1:${port ?? 0}`;
    child = spawn(binary, [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port ?? 0}`,
      // Empty turns clustering off, so the test opens no gossip port.
      '--cluster.listen-address=',
      '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    const ready = await waitForHttpReady(`${alertmanagerUrl}/-/ready`, {
      timeoutMs: 20_000, isAlive: () => child?.exitCode === null,
    });
    assert.ok(ready.ready, `Alertmanager did not become ready: ${JSON.stringify(ready)}\n${log}`);
  });

  after(async () => {
    const running = child;
    if (running && running.exitCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function postAlerts(endsAt: Date, startsAt: string): Promise<void> {
    const labels = [
      { alertname: 'OrdersDown', severity: 'page', service: 'orders', instance: 'orders-1' },
      { alertname: 'OrdersErrors', severity: 'page', service: 'orders' },
    ];
    const body = labels.map((each) => ({
      labels: each,
      annotations: { runbook_url: `https://runbooks.example/${each.alertname}` },
      startsAt,
      endsAt: endsAt.toISOString(),
    }));
    const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.text());
  }

  async function waitForIncidents(
    check: (incidents: { reference: string; state: string }[]) => boolean,
  ): Promise<{ reference: string; state: string }[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await callApi(`${server.url}/v1/incidents`);
      const incidents = field(response, 'incidents') as { reference: string; state: string }[];
      if (check(incidents)) return incidents;
      assert.ok(Date.now() < deadline, `timed out; incidents: ${JSON.stringify(incidents)}\n${log}`);
      await sleep(200);
    }
  }

  test('repeated page alerts open one incident', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await postAlerts(new Date(Date.now() + 600_000), startsAt);
    await postAlerts(new Date(Date.now() + 600_000), startsAt);

    const [incident] = await waitForIncidents((incidents) => incidents.length > 0);
    assert.ok(incident !== undefined);
    const opened = await record(server, incident.reference);
    const fired = opened.events.filter((event) => event.body.type === 'alert_firing');
    assert.equal(fired.length, 2);
    assert.deepEqual([...opened.incident.runbookUrls].sort(), [
      'https://runbooks.example/OrdersDown', 'https://runbooks.example/OrdersErrors',
    ]);

    // Resolving both alerts moves the incident to monitoring, never to resolved.
    await postAlerts(new Date(Date.now() - 1000), startsAt);
    const settled = await waitForIncidents((incidents) => incidents[0]?.state === 'monitoring');
    assert.equal(settled.length, 1);
  });
});

/**
 * Renders an Alertmanager configuration that sends every alert, grouped by
 * service, to the incident webhook with the test token, waiting 1 s before
 * each notification.
 */
function alertmanagerConfig(webhookUrl: string): string {
  return [
    'route:',
    '  receiver: incident',
    '  group_by: [service]',
    '  group_wait: 1s',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: incident',
    '    webhook_configs:',
    `      - url: ${webhookUrl}`,
    '        send_resolved: true',
    '        http_config:',
    '          authorization:',
    '            type: Bearer',
    `            credentials: ${testToken}`,
    '',
  ].join('\n');
}
