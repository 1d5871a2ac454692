import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMap, isSeq, parse, parseDocument, stringify, type Document } from 'yaml';
import {
  findFreePorts, isProcessRunning, spawnDetached, stopProcessGroup, waitForHttpReady,
  type DetachedProcess,
} from '../src/common/process.js';
import { formatDuration, gamedayProfile } from '../src/slo/index.js';
import { portsFromBase, renderStackConfigs, stackLayout } from '../src/stack/index.js';
import { findSamples, parseSamples } from './helpers/metrics.js';

const committedPrometheusConfig =
  fileURLToPath(new URL('../../monitoring/prometheus/prometheus.yml', import.meta.url));

const host = '127.0.0.1';
const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';

/**
 * Alertmanager cluster timings, shortened so the test runs in seconds. In
 * Alertmanager 0.25, the peer at position N waits N peer timeouts before it
 * sends, and sends only when the notification log gossiped by the earlier
 * peers has no entry for the group.
 */
const clusterFlags = [
  '--cluster.peer-timeout=2s',
  '--cluster.gossip-interval=50ms',
  '--cluster.pushpull-interval=1s',
  '--cluster.settle-timeout=5s',
  '--cluster.probe-interval=200ms',
  '--cluster.reconnect-interval=1s',
];
const peerTimeoutMs = 2_000;

/**
 * How long to wait after a notification for a duplicate: a second peer
 * sends after one peer timeout, and a changed group goes out again at the
 * next group_interval tick, so two ticks and a margin cover both.
 */
const duplicateWindowMs =
  peerTimeoutMs + 2 * gamedayProfile.notifications.page.groupInterval * 1_000 + 2_000;

/**
 * Test alerts: the first fires in both replicas from the start, the second
 * once the test's scrape target sets srekit_ha_test_trigger to 1.
 */
const alwaysFiring = 'HaTestAlwaysFiring';
const afterFailover = 'HaTestAfterFailover';
const rules = {
  groups: [{
    name: 'ha-test',
    rules: [
      { alert: alwaysFiring, expr: 'vector(1)', labels: { severity: 'page' } },
      { alert: afterFailover, expr: 'srekit_ha_test_trigger == 1', labels: { severity: 'page' } },
    ],
  }],
};

interface Webhook {
  /** Path of the webhook URL, which distinguishes the webhooks of one receiver. */
  path: string;
  receiver: string;
  status: string;
  externalURL: string;
  commonLabels: Record<string, string>;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

/** Webhooks received and the scrape target that fires the second alert. */
interface TestServer {
  url: string;
  webhooks: Webhook[];
  setTrigger(value: number): void;
}

/** A temporary directory whose processes are stopped, and then removed, when the test ends. */
interface Workspace {
  dir: string;
  start(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Server>;
}

interface Server {
  process: DetachedProcess;
  url: string;
}

async function createWorkspace(t: TestContext): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-ha-'));
  const started: DetachedProcess[] = [];
  // Processes stop in the reverse order of their start, so a Prometheus that
  // sends over remote_write stops before its receiver and does not wait on
  // shutdown to flush its queue to a server that is gone.
  t.after(async () => {
    for (const child of started.reverse()) {
      await stopProcessGroup(child.pid, 5_000, child.startTime);
    }
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (
    name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env,
  ): Promise<Server> => {
    const listen = args.find((arg) => arg.startsWith('--web.listen-address='));
    const url = `http://${listen?.split('=')[1] ?? ''}`;
    const logFile = join(dir, `${name}.log`);
    const child = await spawnDetached({ command, args, logFile, env });
    started.push(child);
    const ready = await waitForHttpReady(`${url}/-/ready`, {
      timeoutMs: 20_000,
      isAlive: () => isProcessRunning(child.pid, child.startTime),
    });
    if (!ready.ready) {
      const log = await readFile(logFile, 'utf8');
      throw new Error(`${name} did not become ready (${ready.reason}: ${ready.lastError}); `
        + `the end of its log:\n${log.slice(-2_000)}`);
    }
    return { process: child, url };
  };
  return { dir, start };
}

async function startTestServer(t: TestContext): Promise<TestServer> {
  const webhooks: Webhook[] = [];
  let trigger = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'GET' && request.url === '/metrics') {
        response.end(`# TYPE srekit_ha_test_trigger gauge\nsrekit_ha_test_trigger ${trigger}\n`);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Webhook, 'path'>;
      webhooks.push({ ...body, path: request.url ?? '' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}`, webhooks, setTrigger: (value) => { trigger = value; } };
}

async function eventually<T>(
  description: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await sleep(200);
  }
}

function notificationsOf(server: TestServer, alertname: string): Webhook[] {
  return server.webhooks.filter((webhook) =>
    webhook.alerts.some((alert) => alert.labels.alertname === alertname));
}

/**
 * Asserts that every webhook the routing chose got `alertname` in exactly
 * one notification, firing, as one alert without a `replica` label.
 */
function assertNotifiedOnce(server: TestServer, alertname: string): Webhook {
  const received = notificationsOf(server, alertname);
  const paths = received.map((webhook) => webhook.path);
  assert.ok(received.length > 0, `no notification for ${alertname}`);
  assert.deepEqual(paths, [...new Set(paths)],
    `${alertname} reached a webhook more than once: ${JSON.stringify(received)}`);
  for (const webhook of received) {
    assert.equal(webhook.status, 'firing');
    assert.equal(webhook.alerts.length, 1, `one alert in ${JSON.stringify(webhook)}`);
    assert.equal(webhook.alerts[0]?.labels.replica, undefined, 'replica label in the alert');
    assert.equal(webhook.commonLabels.replica, undefined, 'replica label in commonLabels');
  }
  const first = received[0];
  assert.ok(first);
  return first;
}

/**
 * Renders prometheus.yml and alertmanager.yml the way `srekit stack up`
 * does for the gameday profile, then points Prometheus at the test's rule,
 * scrape target and both Alertmanagers. Returns the two file paths.
 */
async function renderHaConfigs(
  dir: string,
  server: TestServer,
  alertmanagers: string[],
): Promise<{ prometheus: string; alertmanager: string }> {
  const layout = stackLayout(join(dir, 'render'));
  const receiverPort = Number(new URL(server.url).port);
  await renderStackConfigs({
    layout,
    profile: gamedayProfile,
    // The incident webhook goes to the test server too, so nothing leaves the test.
    ports: { ...portsFromBase(), receiver: receiverPort, incident: receiverPort },
  });

  const rulesFile = join(dir, 'ha-rules.yml');
  await writeFile(rulesFile, stringify(rules));
  const prometheus = parseDocument(await readFile(layout.prometheusConfig, 'utf8'));
  prometheus.set('rule_files', [rulesFile]);
  prometheus.setIn(['alerting', 'alertmanagers'], [{ static_configs: [{ targets: alertmanagers }] }]);
  prometheus.set('scrape_configs', [
    { job_name: 'ha-test', static_configs: [{ targets: [new URL(server.url).host] }] },
  ]);
  await writeFile(layout.prometheusConfig, prometheus.toString());

  const alertmanager = parseDocument(await readFile(layout.alertmanagerConfig, 'utf8'));
  keepOnlyWebhooks(alertmanager);
  await writeFile(layout.alertmanagerConfig, alertmanager.toString());
  return { prometheus: layout.prometheusConfig, alertmanager: layout.alertmanagerConfig };
}

/**
 * Removes every receiver configuration but webhook_configs, which the
 * stack's rendering points at the test server, so the test sends nothing
 * beyond loopback whatever the committed file contains.
 */
function keepOnlyWebhooks(config: Document): void {
  const receivers = config.get('receivers');
  assert.ok(isSeq(receivers), 'receivers in alertmanager.yml is a list');
  for (const receiver of receivers.items) {
    if (!isMap(receiver)) continue;
    for (const pair of [...receiver.items]) {
      const key = String(pair.key);
      if (key.endsWith('_configs') && key !== 'webhook_configs') receiver.delete(key);
    }
  }
}

interface ClusterStatus {
  cluster: { status: string; peers: Array<{ name: string }> };
}

async function startAlertmanagers(
  workspace: Workspace,
  config: string,
  ports: { web: number[]; cluster: number[] },
): Promise<Server[]> {
  const names = ['alertmanager-a', 'alertmanager-b'];
  const servers = await Promise.all(names.map((name, index) => {
    const web = `${host}:${ports.web[index]}`;
    const peers = ports.cluster.filter((_, other) => other !== index);
    return workspace.start(name, alertmanagerBinary, [
      `--config.file=${config}`,
      `--storage.path=${join(workspace.dir, name)}`,
      `--web.listen-address=${web}`,
      `--web.external-url=http://${web}/`,
      `--cluster.listen-address=${host}:${ports.cluster[index]}`,
      ...peers.map((port) => `--cluster.peer=${host}:${port}`),
      ...clusterFlags,
    ]);
  }));
  for (const server of servers) {
    await eventually(`${server.url} to settle in a cluster of 2`, async () => {
      const status = (await (await fetch(`${server.url}/api/v2/status`)).json()) as ClusterStatus;
      return status.cluster.status === 'ready' && status.cluster.peers.length === 2
        ? true : undefined;
    });
  }
  return servers;
}

async function startReplicas(
  workspace: Workspace,
  config: string,
  ports: number[],
): Promise<Server[]> {
  const names = ['prometheus-a', 'prometheus-b'];
  return Promise.all(names.map((name, index) => workspace.start(name, 'prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(workspace.dir, name)}`,
    `--web.listen-address=${host}:${ports[index]}`,
    '--enable-feature=expand-external-labels',
    `--rules.alert.resend-delay=${formatDuration(gamedayProfile.alertResendDelay)}`,
  ], { ...process.env, PROMETHEUS_REPLICA: name })));
}

/** Fetches the alerts named `alertname` from the Alertmanager at `url`. */
async function alertmanagerAlerts(
  url: string,
  alertname: string,
): Promise<Array<{ labels: Record<string, string> }>> {
  const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as
    Array<{ labels: Record<string, string> }>;
  return alerts.filter((alert) => alert.labels.alertname === alertname);
}

/** Fetches the configuration that the Prometheus at `url` runs, with its defaults filled in. */
async function loadedConfig<T>(url: string): Promise<T> {
  const body = (await (await fetch(`${url}/api/v1/status/config`)).json()) as {
    data: { yaml: string };
  };
  return parse(body.data.yaml) as T;
}

/**
 * Asserts that a replica runs with its own `replica` label and has sent
 * alerts to both Alertmanagers.
 */
async function assertReplicaSends(replica: Server, name: string): Promise<void> {
  const loaded = await loadedConfig<{ global: { external_labels?: Record<string, string> } }>(
    replica.url);
  assert.equal(loaded.global.external_labels?.replica, name);

  const samples = parseSamples(await (await fetch(`${replica.url}/metrics`)).text());
  const sent = findSamples(samples, 'prometheus_notifications_sent_total');
  assert.equal(sent.length, 2, `${name} knows both Alertmanagers`);
  for (const sample of sent) {
    assert.ok(sample.value > 0, `${name} sent no alert to ${sample.labels.alertmanager}`);
  }
}

test('HA pair notifies once, also after failover', async (t) => {
  const workspace = await createWorkspace(t);
  const server = await startTestServer(t);
  const [promA, promB, webA, webB, clusterA, clusterB] = await findFreePorts(6);
  const web = [webA ?? 0, webB ?? 0];
  const configs = await renderHaConfigs(workspace.dir, server, web.map((port) => `${host}:${port}`));
  const alertmanagers = await startAlertmanagers(workspace, configs.alertmanager,
    { web, cluster: [clusterA ?? 0, clusterB ?? 0] });
  const replicas = await startReplicas(workspace, configs.prometheus, [promA ?? 0, promB ?? 0]);

  await eventually(`a notification for ${alwaysFiring}`,
    () => notificationsOf(server, alwaysFiring)[0]);
  await sleep(duplicateWindowMs);
  const first = assertNotifiedOnce(server, alwaysFiring);
  const firstCount = notificationsOf(server, alwaysFiring).length;
  await assertReplicaSends(replicas[0] as Server, 'prometheus-a');
  await assertReplicaSends(replicas[1] as Server, 'prometheus-b');
  for (const alertmanager of alertmanagers) {
    const stored = await alertmanagerAlerts(alertmanager.url, alwaysFiring);
    assert.equal(stored.length, 1, `${alertmanager.url} merged the replicas' copies`);
    assert.equal(stored[0]?.labels.replica, undefined, `replica label in ${alertmanager.url}`);
  }

  // Kill the Alertmanager that sent, as a crash would, so the survivor must
  // send the next notification itself.
  const sender = alertmanagers.find((alertmanager) => alertmanager.url === first.externalURL);
  assert.ok(sender, `the sender ${first.externalURL} is one of the cluster`);
  const survivor = alertmanagers.find((alertmanager) => alertmanager !== sender);
  process.kill(sender.process.pid, 'SIGKILL');
  await eventually('the sender to exit', () =>
    (isProcessRunning(sender.process.pid, sender.process.startTime) ? undefined : true));

  server.setTrigger(1);
  await eventually(`a notification for ${afterFailover}`,
    () => notificationsOf(server, afterFailover)[0]);
  await sleep(duplicateWindowMs);
  const second = assertNotifiedOnce(server, afterFailover);
  assert.equal(second.externalURL, survivor?.url, 'the survivor sent');
  assert.equal(notificationsOf(server, alwaysFiring).length, firstCount,
    'no repeat of the first alert');
});

interface RemoteWriteConfig {
  url: string;
  queue_config: Record<string, unknown>;
}

/** Uncomments and parses the remote_write example at the end of prometheus.yml. */
function remoteWriteExample(text: string): RemoteWriteConfig[] {
  const lines = text.split('\n');
  const start = lines.indexOf('# remote_write:');
  assert.notEqual(start, -1, 'prometheus.yml has a commented-out remote_write example');
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('#')) break;
    block.push(line.replace(/^# ?/, ''));
  }
  return (parse(block.join('\n')) as { remote_write: RemoteWriteConfig[] }).remote_write;
}

/**
 * Renders the committed prometheus.yml with its remote_write example sent
 * to `receiverUrl`, scraping only itself at `address`, with no rules and no
 * Alertmanager.
 */
async function renderRemoteWriteSender(
  dir: string,
  address: string,
  receiverUrl: string,
): Promise<{ path: string; example: RemoteWriteConfig }> {
  const text = await readFile(committedPrometheusConfig, 'utf8');
  const [example, ...others] = remoteWriteExample(text);
  assert.ok(example, 'the remote_write example has an entry');
  assert.equal(others.length, 0);
  const config = parseDocument(text);
  for (const key of ['scrape_interval', 'scrape_timeout', 'evaluation_interval']) {
    config.setIn(['global', key], '1s');
  }
  config.set('rule_files', []);
  config.setIn(['alerting', 'alertmanagers'], []);
  config.set('scrape_configs', [{ job_name: 'prometheus', static_configs: [{ targets: [address] }] }]);
  config.set('remote_write', [{ ...example, url: `${receiverUrl}/api/v1/write` }]);
  const path = join(dir, 'sender.yml');
  await writeFile(path, config.toString());
  return { path, example };
}

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(url: string, expression: string): Promise<QueryResult[]> {
  const target = new URL('/api/v1/query', url);
  target.searchParams.set('query', expression);
  const body = (await (await fetch(target)).json()) as { data: { result: QueryResult[] } };
  return body.data.result;
}

test('remote_write example delivers labelled series', async (t) => {
  const workspace = await createWorkspace(t);
  const [receiverPort, senderPort] = await findFreePorts(2);
  const receiverConfig = join(workspace.dir, 'receiver.yml');
  await writeFile(receiverConfig, stringify({ global: { scrape_interval: '1s' } }));
  const receiver = await workspace.start('receiver', 'prometheus', [
    `--config.file=${receiverConfig}`,
    `--storage.tsdb.path=${join(workspace.dir, 'receiver')}`,
    `--web.listen-address=${host}:${receiverPort}`,
    '--web.enable-remote-write-receiver',
  ]);

  const senderAddress = `${host}:${senderPort}`;
  const sender = await renderRemoteWriteSender(workspace.dir, senderAddress, receiver.url);
  const senderServer = await workspace.start('sender', 'prometheus', [
    `--config.file=${sender.path}`,
    `--storage.tsdb.path=${join(workspace.dir, 'sender')}`,
    `--web.listen-address=${senderAddress}`,
    '--enable-feature=expand-external-labels',
  ], { ...process.env, PROMETHEUS_REPLICA: 'prometheus-0' });

  // The receiver scrapes nothing, so any `up` series in it came over remote_write.
  const [series, ...others] = await eventually('up{job="prometheus"} in the receiver', async () => {
    const result = await query(receiver.url, 'up{job="prometheus"}');
    return result.length > 0 ? result : undefined;
  });
  assert.equal(others.length, 0);
  assert.deepEqual(series?.metric,
    { __name__: 'up', job: 'prometheus', instance: senderAddress, replica: 'prometheus-0' });
  assert.equal(series?.value[1], '1');

  const loaded = await loadedConfig<{ remote_write: RemoteWriteConfig[] }>(senderServer.url);
  const remoteWrite = loaded.remote_write[0];
  for (const [key, value] of Object.entries(sender.example.queue_config)) {
    assert.equal(String(remoteWrite?.queue_config[key]), String(value), `queue_config.${key}`);
  }
});
