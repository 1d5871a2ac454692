import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/common/logger.js';
import { findFreePorts, waitForHttpReady } from '../src/common/process.js';
import { gamedayProfile, renderAlertmanagerFile } from '../src/slo/index.js';
import { readNotifications, startReceiver } from '../src/stack/index.js';

// A real Alertmanager with the routing rendered for the gameday profile:
// pages, warnings and tickets wait 1 s before their first notification.

const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';
const silent = new Writable({ write: (_chunk, _encoding, done) => done() });

let dir = '';
let alertmanagerUrl = '';
let alertmanager: ChildProcess | undefined;
let notificationsFile = '';
let closeReceiver: (() => Promise<void>) | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'srekit-am-inhibit-'));
  notificationsFile = join(dir, 'notifications.jsonl');
  const receiver = await startReceiver({
    host: '127.0.0.1', port: 0, file: notificationsFile, logger: createLogger('test', silent),
  });
  closeReceiver = receiver.close;
  const config = join(dir, 'alertmanager.yml');
  // The page receiver's second webhook goes to the incident server, which
  // this test does not run. Pointing it at the receiver, which rejects that
  // path with 404, keeps every request inside the test. Alertmanager sends
  // the same alerts to every webhook of a receiver, so the alerts that reach
  // `page` here are those the incident server would get.
  await writeFile(config, renderAlertmanagerFile(gamedayProfile, {
    webhookBaseUrl: receiver.url, incidentServerUrl: receiver.url,
  }));

  const [port] = await findFreePorts(1);
  alertmanagerUrl = `http://127.0.0.1:${port ?? 0}`;
  alertmanager = spawn(alertmanagerBinary, [
    `--config.file=${config}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port ?? 0}`,
    // Empty turns clustering off, so the test opens no gossip port.
    '--cluster.listen-address=',
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  alertmanager.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  const ready = await waitForHttpReady(`${alertmanagerUrl}/-/ready`, {
    timeoutMs: 20_000, isAlive: () => alertmanager?.exitCode === null,
  });
  assert.ok(ready.ready, `Alertmanager did not become ready: ${JSON.stringify(ready)}\n${log}`);
});

after(async () => {
  const child = alertmanager;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await closeReceiver?.();
  await rm(dir, { recursive: true, force: true });
});

/** Labels of one alert to send; `case` keeps the alerts of each test apart. */
type Labels = Record<string, string>;

async function postAlerts(alerts: readonly Labels[]): Promise<void> {
  const startsAt = new Date().toISOString();
  const endsAt = new Date(Date.now() + 600_000).toISOString();
  const body = alerts.map((labels) => ({ labels, annotations: {}, startsAt, endsAt }));
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.text());
}

/**
 * Returns the firing alerts of `caseName` that reached the receiver, one line
 * each: `path alertname key=value ...`. A group can also hold alerts of an
 * earlier test, so alerts are picked one by one.
 */
async function deliveriesOf(caseName: string): Promise<string[]> {
  const lines = (await readNotifications(notificationsFile)).flatMap((notification) => {
    const alerts = (notification.payload.alerts ?? []) as Array<{ status: string; labels: Labels }>;
    return alerts
      .filter((alert) => alert.status === 'firing' && alert.labels.case === caseName)
      .map((alert) => describeAlert(notification.receiver, alert.labels));
  });
  return [...new Set(lines)].sort();
}

function describeAlert(path: string, labels: Labels): string {
  const rest = Object.entries(labels)
    .filter(([key]) => key !== 'alertname' && key !== 'case')
    .sort()
    .map(([key, value]) => `${key}=${value}`);
  return [path, labels.alertname ?? '', ...rest].join(' ');
}

/**
 * Sends `sources`, then `targets`, and returns the firing alerts that reached
 * the receiver once `expected` have all arrived and 3 s more have passed.
 * The 3 s exceed the 1 s group_wait of every route, so a target that was not
 * silenced would have arrived too.
 */
async function deliver(caseName: string, sources: Labels[], targets: Labels[], expected: string[]) {
  await postAlerts(sources.map((labels) => ({ ...labels, case: caseName })));
  await postAlerts(targets.map((labels) => ({ ...labels, case: caseName })));
  const deadline = Date.now() + 20_000;
  let delivered = await deliveriesOf(caseName);
  while (!expected.every((line) => delivered.includes(line)) && Date.now() < deadline) {
    await sleep(250);
    delivered = await deliveriesOf(caseName);
  }
  await sleep(3_000);
  return deliveriesOf(caseName);
}

/** Returns the names of alerts of `caseName` that Alertmanager reports as inhibited. */
async function inhibitedAlerts(caseName: string): Promise<string[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=case%3D%22${caseName}%22`);
  const alerts = (await response.json()) as Array<{
    labels: Labels; status: { state: string; inhibitedBy: string[] };
  }>;
  return alerts.filter((alert) => alert.status.inhibitedBy.length > 0)
    .map((alert) => `${alert.labels.alertname ?? ''} ${alert.status.state}`).sort();
}

test('each severity reaches its webhook', async () => {
  const expected = [
    'deadmansswitch Watchdog severity=none',
    'page InstanceDown instance=host-1 job=node severity=page',
    'ticket SloMetricsAbsent service=svc-r severity=ticket slo=availability',
    'warn HighCpuUsage instance=host-2 job=node severity=warn',
    'warn NoSeverity job=node',
  ];
  const delivered = await deliver('routing', [], [
    { alertname: 'Watchdog', severity: 'none' },
    { alertname: 'InstanceDown', job: 'node', instance: 'host-1', severity: 'page' },
    { alertname: 'SloMetricsAbsent', service: 'svc-r', slo: 'availability', severity: 'ticket' },
    { alertname: 'HighCpuUsage', job: 'node', instance: 'host-2', severity: 'warn' },
    { alertname: 'NoSeverity', job: 'node' },
  ], expected);
  assert.deepEqual(delivered, expected);
});

test('InstanceDown silences its instance only', async () => {
  const expected = [
    'page InstanceDown instance=host-a job=node severity=page',
    'warn HighCpuUsage instance=host-b job=node severity=warn',
  ];
  const delivered = await deliver('instance', [
    { alertname: 'InstanceDown', job: 'node', instance: 'host-a', severity: 'page' },
  ], [
    { alertname: 'HighCpuUsage', job: 'node', instance: 'host-a', severity: 'warn' },
    { alertname: 'HighCpuUsage', job: 'node', instance: 'host-b', severity: 'warn' },
    {
      alertname: 'DiskWillFillIn4Hours', job: 'node', instance: 'host-a', device: '/dev/sda1',
      fstype: 'ext4', mountpoint: '/', severity: 'page',
    },
  ], expected);
  assert.deepEqual(delivered, expected);
  assert.deepEqual(await inhibitedAlerts('instance'),
    ['DiskWillFillIn4Hours suppressed', 'HighCpuUsage suppressed']);
});

test('service page silences its warning only', async () => {
  const expected = [
    'page HighErrorRatio job=svc-b service=svc-b severity=page',
    'warn HighLatencyP95 job=svc-b2 service=svc-b2 severity=warn',
  ];
  const delivered = await deliver('warning', [
    { alertname: 'HighErrorRatio', job: 'svc-b', service: 'svc-b', severity: 'page' },
  ], [
    { alertname: 'HighLatencyP95', job: 'svc-b', service: 'svc-b', severity: 'warn' },
    { alertname: 'HighLatencyP95', job: 'svc-b2', service: 'svc-b2', severity: 'warn' },
  ], expected);
  assert.deepEqual(delivered, expected);
  assert.deepEqual(await inhibitedAlerts('warning'), ['HighLatencyP95 suppressed']);
});

test('fast burn silences slow burn of its SLO only', async () => {
  const burn = { alertname: 'SloErrorBudgetBurn', service: 'svc-c' };
  const expected = [
    'page SloErrorBudgetBurn service=svc-c severity=page slo=availability tier=fast',
    'ticket SloErrorBudgetBurn service=svc-c severity=ticket slo=latency tier=slow',
  ];
  const delivered = await deliver('burn', [
    { ...burn, slo: 'availability', tier: 'fast', severity: 'page' },
  ], [
    { ...burn, slo: 'availability', tier: 'slow', severity: 'ticket' },
    { ...burn, slo: 'latency', tier: 'slow', severity: 'ticket' },
  ], expected);
  assert.deepEqual(delivered, expected);
  assert.deepEqual(await inhibitedAlerts('burn'), ['SloErrorBudgetBurn suppressed']);
});

test('SLO page silences HighErrorRatio of its service only', async () => {
  const expected = [
    'page HighErrorRatio job=svc-d2 service=svc-d2 severity=page',
    'page SloErrorBudgetBurn service=svc-d severity=page slo=availability tier=fast',
  ];
  const delivered = await deliver('ratio', [
    {
      alertname: 'SloErrorBudgetBurn', service: 'svc-d', slo: 'availability', tier: 'fast',
      severity: 'page',
    },
  ], [
    { alertname: 'HighErrorRatio', job: 'svc-d', service: 'svc-d', severity: 'page' },
    { alertname: 'HighErrorRatio', job: 'svc-d2', service: 'svc-d2', severity: 'page' },
  ], expected);
  assert.deepEqual(delivered, expected);
  assert.deepEqual(await inhibitedAlerts('ratio'), ['HighErrorRatio suppressed']);
});
