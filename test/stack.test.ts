import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../src/cli.js';
import { isPortFree, isProcessRunning } from '../src/common/process.js';
import {
  readNotifications, readStackStatus, startStack, stackLayout,
  type StartStackOptions,
} from '../src/stack/index.js';
import { assertSrekitError } from './helpers/errors.js';
import { captureIo } from './helpers/io.js';
import { tempStackWorkdir } from './helpers/stack-workdir.js';
import { freeBasePort, freeStackPorts } from './helpers/stack-ports.js';

const cli = fileURLToPath(new URL('../src/bin.js', import.meta.url));

// Short timeouts keep a hung part from stalling the suite for long.
const fastStack = { profile: 'gameday', readyTimeoutMs: 20_000, stopGraceMs: 5_000 } as const;

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // The server may not respond yet, so try again until the deadline.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function queryValue(prometheusUrl: string, expression: string): Promise<string | undefined> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', expression);
  const body = (await (await fetch(url)).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  return body.data.result[0]?.value[1];
}

/** The fields of an incident in `GET /v1/incidents` that the test reads. */
interface IncidentSummary {
  reference: string;
  title: string;
  alertGroupKey: string | null;
}

function startedPids(progress: string[]): number[] {
  return progress.flatMap((line) => {
    const pid = /^started \S+ \(pid (\d+)\)/.exec(line)?.[1];
    return pid === undefined ? [] : [Number(pid)];
  });
}

test('stack runs, reports, routes alerts and stops', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const ports = await freeStackPorts();
  const stack = await startStack({ ...fastStack, workdir, ports });
  assert.equal(stack.profile.name, 'gameday');
  assert.equal(stack.endpoints.prometheus, `http://127.0.0.1:${ports.prometheus}`);
  assert.equal(stack.endpoints.serviceAdmin, `http://127.0.0.1:${ports.serviceAdmin}`);

  const status = await readStackStatus(workdir);
  assert.ok(status);
  assert.deepEqual(status.components.map((component) => [component.name, component.health]), [
    ['receiver', 'ready'], ['node-exporter', 'ready'], ['service', 'ready'],
    ['incident', 'ready'], ['alertmanager', 'ready'], ['prometheus', 'ready'],
  ]);
  assert.equal(status.components[3]?.port, ports.incident);
  const pids = status.components.map((component) => component.pid ?? 0);
  for (const pid of pids) assert.ok(isProcessRunning(pid), `pid ${pid} runs`);

  await t.test('status --json prints one line per part', async () => {
    const io = captureIo();
    assert.equal(await run(['stack', 'status', '--workdir', workdir, '--json'], io), 0);
    const lines = io.out().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => line.type), ['stack', ...Array(6).fill('component')]);
    assert.equal(lines[0]?.profile, 'gameday');
    assert.deepEqual(lines.slice(1).map((line) => line.pid), pids);
    assert.deepEqual(lines.slice(1).map((line) => line.health), Array(6).fill('ready'));
  });

  await t.test('incident token file is private', async () => {
    const tokenFile = stackLayout(workdir).incidentTokenFile;
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    assert.equal(await readFile(tokenFile, 'utf8'), `${stack.incidentToken}\n`);
    assert.match(stack.incidentToken, /^[\w-]{43}$/);
    const io = captureIo();
    assert.equal(await run(['stack', 'status', '--workdir', workdir], io), 0);
    assert.match(io.out(), /^incident\s+\d+\s+\d+\s+ready\s+http:\/\/127\.0\.0\.1:\d+$/m);
    assert.ok(io.out().includes(`incident API token: ${tokenFile}\n`));
    assert.equal(io.out().includes(stack.incidentToken), false, 'status prints the token');
  });

  await t.test('incident API requires the token', async () => {
    const url = `${stack.endpoints.incident}/v1/incidents`;
    assert.equal((await fetch(url)).status, 401);
    const wrong = await fetch(url, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(wrong.status, 401);
    const right = await fetch(url, { headers: { authorization: `Bearer ${stack.incidentToken}` } });
    assert.equal(right.status, 200);
    assert.deepEqual(await right.json(), { incidents: [] });
  });

  await t.test('prometheus names its replica stack', async () => {
    const response = await fetch(`${stack.endpoints.prometheus}/api/v1/status/config`);
    const body = (await response.json()) as { data: { yaml: string } };
    assert.match(body.data.yaml, /external_labels:\n\s+replica: stack\n/);
  });

  await t.test('second up is rejected', async () => {
    await assert.rejects(startStack({ ...fastStack, workdir, ports: await freeStackPorts() }),
      assertSrekitError('STACK_ALREADY_RUNNING', /already running in .*prometheus pid/));
    const io = captureIo(process.env);
    const code = await run(['stack', 'up', '--workdir', workdir,
      '--base-port', String(await freeBasePort())], io);
    assert.equal(code, 1);
    assert.match(io.err(), /error: the local stack is already running/);
    assert.match(io.err(), /hint: stop it with `srekit stack down/);
  });

  await t.test('stopped node-exporter shows as down', async () => {
    const nodeExporterPid = pids[1] ?? 0;
    await stack.stopComponent('node-exporter');
    assert.equal(isProcessRunning(nodeExporterPid), false);
    await eventually('up{job="node"} == 0', async () =>
      (await queryValue(stack.endpoints.prometheus, 'up{job="node"}')) === '0' ? true : undefined);

    const io = captureIo();
    assert.equal(await run(['stack', 'status', '--workdir', workdir], io), 1);
    assert.match(io.out(), /node-exporter\s+\d+\s+\d+\s+stopped/);
    assert.match(io.err(), /not ready: node-exporter \(stopped\)/);

    await stack.startComponent('node-exporter');
    await eventually('up{job="node"} == 1', async () =>
      (await queryValue(stack.endpoints.prometheus, 'up{job="node"}')) === '1' ? true : undefined);
    const log = await readFile(stack.logFile('node-exporter'), 'utf8');
    assert.equal(log.match(/msg="Starting node_exporter"/g)?.length, 2, 'the restart appends to the log');
  });

  await t.test('alerts reach the receiver of their severity', async () => {
    const alerts = ['page', 'ticket'].map((severity) => ({
      labels: { alertname: `StackTest_${severity}`, severity, job: 'stack-test' },
      annotations: { summary: `a ${severity} from the stack test` },
    }));
    const response = await fetch(`${stack.endpoints.alertmanager}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    assert.equal(response.status, 200);

    for (const severity of ['page', 'ticket']) {
      const delivered = await eventually(`the ${severity} notification`, async () => {
        const all = await readNotifications(stackLayout(workdir).notificationsFile);
        return all.find((notification) => notification.receiver === severity);
      });
      const payload = delivered.payload as {
        status?: string;
        alerts?: Array<{ labels: Record<string, string> }>;
      };
      assert.equal(payload.status, 'firing');
      assert.deepEqual(payload.alerts?.map((alert) => alert.labels.alertname), [`StackTest_${severity}`]);
    }
    // The page receiver also sends the alert to the incident server, which
    // opens an incident for the page and none for the ticket. InstanceDown
    // from the node-exporter restart above may have opened one as well.
    const incidents = await eventually('the incident of the page', async () => {
      const response = await fetch(`${stack.endpoints.incident}/v1/incidents`, {
        headers: { authorization: `Bearer ${stack.incidentToken}` },
      });
      const body = (await response.json()) as { incidents: IncidentSummary[] };
      const fromTest = body.incidents.filter((incident) => incident.title.includes('stack test'));
      return fromTest.length > 0 ? fromTest : undefined;
    });
    assert.deepEqual(incidents.map((incident) => incident.title), ['a page from the stack test']);
    assert.match(incidents[0]?.reference ?? '', /^INC-\d+$/);
    assert.match(incidents[0]?.alertGroupKey ?? '', /StackTest_page/);
    const served = (await (await fetch(`${stack.endpoints.receiver}/notifications`)).json()) as
      Array<{ receiver: string }>;
    // The Watchdog heartbeat arrives at its own receiver all along.
    const bySeverity = served.filter((notification) => notification.receiver !== 'deadmansswitch');
    assert.deepEqual(bySeverity.map((notification) => notification.receiver).sort(),
      ['page', 'ticket']);
  });

  await t.test('watchdog heartbeat reaches the dead man\'s switch', async () => {
    // Prometheus fires Watchdog at its first evaluation, usually before it has
    // found Alertmanager, so this also checks the profile's short resend delay.
    const heartbeat = await eventually('the Watchdog heartbeat', async () => {
      const all = await readNotifications(stackLayout(workdir).notificationsFile);
      return all.find((notification) => notification.receiver === 'deadmansswitch');
    });
    const payload = heartbeat.payload as { alerts?: Array<{ labels: Record<string, string> }> };
    assert.deepEqual(payload.alerts?.map((alert) => alert.labels.alertname), ['Watchdog']);
    assert.equal(payload.alerts?.[0]?.labels.severity, 'none');
  });

  await stack.down();
  for (const pid of pids) assert.equal(isProcessRunning(pid), false, `pid ${pid} still runs`);
  assert.equal(await readStackStatus(workdir), undefined);
  for (const port of Object.values(ports)) assert.ok(await isPortFree(port), `port ${port} is free`);

  const down = captureIo();
  assert.equal(await run(['stack', 'down', '--workdir', workdir], down), 0);
  assert.match(down.err(), /not running in .*: nothing to stop/);
  const status2 = captureIo();
  assert.equal(await run(['stack', 'status', '--workdir', workdir], status2), 1);
  assert.match(status2.err(), /error: the local stack is not running in /);
});

test('failed startup stops what it started', async (t) => {
  const workdir = await tempStackWorkdir(t);
  // A stand-in for Prometheus that rejects its flags, as a wrong version would.
  const fakePrometheus = join(workdir, 'fake-prometheus');
  await writeFile(fakePrometheus, '#!/bin/sh\necho "unknown flag $1" >&2\nexit 1\n', { mode: 0o755 });
  const progress: string[] = [];
  const options: StartStackOptions = {
    ...fastStack,
    workdir,
    ports: await freeStackPorts(),
    executables: { prometheus: fakePrometheus },
    onProgress: (message) => progress.push(message),
  };
  await assert.rejects(startStack(options), assertSrekitError('STARTUP_TIMEOUT',
    new RegExp('^prometheus exited before it was ready; the end of its log '
      + '.*/logs/prometheus\\.log:\n {2}unknown flag --config\\.file=')));

  const started = startedPids(progress);
  assert.equal(started.length, 6, `every part was started:\n${progress.join('\n')}`);
  for (const pid of started) assert.equal(isProcessRunning(pid), false, `pid ${pid} still runs`);
  assert.equal(await readStackStatus(workdir), undefined);
});

test('unresponsive part times out', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const silentExporter = join(workdir, 'silent-exporter');
  await writeFile(silentExporter, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
  const progress: string[] = [];
  const ports = await freeStackPorts();
  await assert.rejects(startStack({
    ...fastStack,
    workdir,
    ports,
    // Long enough for the receiver, a Node.js process, to start on a busy
    // machine, because the timeout applies to every part.
    readyTimeoutMs: 4_000,
    executables: { 'node-exporter': silentExporter },
    onProgress: (message) => progress.push(message),
  }), assertSrekitError('STARTUP_TIMEOUT', new RegExp('^node-exporter was not ready at '
    + `http://127\\.0\\.0\\.1:${ports.nodeExporter}/metrics after 4s `
    + `\\(connect ECONNREFUSED 127\\.0\\.0\\.1:${ports.nodeExporter}\\); `
    + 'its log .*node-exporter\\.log is empty[\\s\\S]*--timeout')));

  const started = startedPids(progress);
  assert.equal(started.length, 2, `receiver and node-exporter were started:\n${progress.join('\n')}`);
  for (const pid of started) assert.equal(isProcessRunning(pid), false, `pid ${pid} still runs`);
});

test('down cleans up after a killed up', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const layout = stackLayout(workdir);
  const up = spawn(process.execPath, [cli, 'stack', 'up', '--profile', 'gameday',
    '--workdir', workdir, '--base-port', String(await freeBasePort())], { stdio: 'ignore' });
  const exited = new Promise((resolve) => up.once('exit', resolve));
  const recorded = await eventually('three parts in the state file', async () => {
    const state = JSON.parse(await readFile(layout.stateFile, 'utf8')) as {
      components: Record<string, { pid: number }>;
    };
    const pids = Object.values(state.components).map((component) => component.pid);
    return pids.length >= 3 ? pids : undefined;
  }, 20_000);
  up.kill('SIGKILL');
  await exited;
  for (const pid of recorded) assert.ok(isProcessRunning(pid), `pid ${pid} outlives up`);

  await assert.rejects(startStack({ ...fastStack, workdir, ports: await freeStackPorts() }),
    assertSrekitError('STACK_ALREADY_RUNNING', /already running/));

  const io = captureIo();
  assert.equal(await run(['stack', 'down', '--workdir', workdir, '--grace', '5s'], io), 0);
  assert.match(io.err(), /stopped the local stack/);
  for (const pid of recorded) assert.equal(isProcessRunning(pid), false, `pid ${pid} still runs`);
  await assert.rejects(access(layout.stateFile), { code: 'ENOENT' });
});

test('missing binary names the Debian package', async (t) => {
  const workdir = join(await tempStackWorkdir(t), 'never-created');
  const io = captureIo({ PATH: '/nonexistent' });
  assert.equal(await run(['stack', 'up', '--workdir', workdir], io), 1);
  assert.match(io.err(), /error: could not find prometheus .*alertmanager .*node-exporter/);
  assert.match(io.err(),
    /hint: install the Debian packages: sudo apt-get install prometheus prometheus-alertmanager prometheus-node-exporter/);
  await assert.rejects(access(workdir), { code: 'ENOENT' }, 'nothing was written');

  await assert.rejects(
    startStack({ ...fastStack, workdir, executables: { alertmanager: '/nonexistent/alertmanager' } }),
    assertSrekitError('MISSING_BINARY', /alertmanager \(\/nonexistent\/alertmanager\)[\s\S]*apt-get install prometheus-alertmanager$/),
  );
});

test('busy port is reported before any start', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const ports = await freeStackPorts();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(ports.service, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const progress: string[] = [];
  const onProgress = (message: string) => progress.push(message);
  await assert.rejects(startStack({ ...fastStack, workdir, ports, onProgress }),
    assertSrekitError('PORT_IN_USE',
      new RegExp(`port 127\\.0\\.0\\.1:${ports.service} \\(service\\) is already in use`)));
  assert.deepEqual(progress, []);
  assert.equal(await readStackStatus(workdir), undefined);
});
