import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runIncidentBench, type IncidentBenchResult } from '../bench/incident/bench.js';
import {
  checkTargets, exitCodeOf, formatIncidentBench, formatIncidentBenchJson,
} from '../bench/incident/report.js';
import { generateWorkload } from '../bench/incident/workload.js';
import type { AlertmanagerMessage } from '../src/incident/service-api.js';
import { assertSrekitError } from './helpers/errors.js';
import { startPostgres } from './helpers/postgres.js';

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const benchEntry = join(repositoryRoot, 'dist', 'bench', 'incident', 'run.js');

const smallRun = {
  messages: 200, warmupMessages: 30, concurrency: 8, runs: 1, seed: 1,
  databaseUrl: undefined, cpuProfileDir: undefined,
};

async function benchWorkdirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('srekit-bench-incident-'));
}

function alertKeys(message: AlertmanagerMessage): string[] {
  return message.alerts.map((alert) => `${alert.fingerprint} ${alert.startsAt} ${alert.status}`)
    .sort();
}

test('bench run leaves no duplicates', async () => {
  const before = await benchWorkdirs();
  const result = await runIncidentBench(smallRun);

  assert.equal(result.database, 'sqlite');
  assert.equal(result.deliveries, 600);
  assert.equal(result.runs.length, 1);
  const [only] = result.runs;
  assert.ok(only !== undefined);
  assert.ok(only.deliveriesPerSecond > 0, `${only.deliveriesPerSecond} deliveries/s`);
  assert.ok(only.p50Ms > 0, `p50 ${only.p50Ms} ms`);
  assert.ok(only.p99Ms >= only.p50Ms, `p99 ${only.p99Ms} ms`);
  assert.ok(only.maxMs >= only.p99Ms, `max ${only.maxMs} ms`);
  assert.ok(only.serverCpuMsPerDelivery > 0);
  assert.ok(only.loadCpuMsPerDelivery > 0);
  assert.ok(only.loadAverage >= 0);
  assert.equal(only.failedDeliveries, 0, only.failures.join(', '));
  assert.ok(only.check.pageGroups > 0);
  assert.equal(only.check.incidents, only.check.pageGroups);
  assert.equal(only.check.duplicateIncidents, 0);
  assert.equal(only.check.missingOrStrayIncidents, 0);
  assert.equal(only.check.duplicateAlertEvents, 0);
  assert.equal(only.check.missingOrStrayAlertEvents, 0);
  assert.ok(only.check.alertEvents > only.check.pageGroups);
  assert.deepEqual(await benchWorkdirs(), before, 'the bench removed its working directory');

  const targets = checkTargets(result);
  const verdict = (name: string) => targets.find((target) => target.name === name)?.verdict;
  assert.equal(verdict('duplicate incidents'), 'PASS');
  assert.equal(verdict('duplicate alert events'), 'PASS');
  assert.equal(verdict('failed deliveries'), 'PASS');
  assert.match(formatIncidentBench(result, targets), /\| 1 \| \d+ \|/);
  const lines = formatIncidentBenchJson(result, targets).trim().split('\n')
    .map((line) => JSON.parse(line) as { type: string });
  assert.deepEqual(lines.map((line) => line.type), ['incident-bench-run', 'incident-bench']);
});

test('workload delivers messages three times', () => {
  const workload = generateWorkload(120, 7);
  const deliveries = workload.waves.flat();

  assert.equal(workload.messages, 120);
  assert.equal(deliveries.length, 360);
  assert.equal(workload.deliveries, 360);
  assert.ok(workload.pageGroups.size > 0);

  const copies = new Map<string, AlertmanagerMessage[]>();
  for (const delivery of deliveries) {
    const message = JSON.parse(delivery.body.toString()) as AlertmanagerMessage;
    // The HA peer's copy carries its own receiver, so group by the alerts only.
    const key = `${message.groupKey} ${alertKeys(message).join(',')}`;
    copies.set(key, [...(copies.get(key) ?? []), message]);
  }
  assert.equal(copies.size, 120);
  for (const group of copies.values()) {
    assert.equal(group.length, 3);
    const receivers = new Set(group.map((message) => message.receiver));
    assert.equal(receivers.size, 2, 'one copy comes from the second Alertmanager');
  }
});

test('workload orders messages of a group', () => {
  const workload = generateWorkload(300, 3);
  const firstWave = workload.waves[0] ?? [];
  const opening = new Set(firstWave.map((delivery) =>
    (JSON.parse(delivery.body.toString()) as AlertmanagerMessage).groupKey));

  for (const group of workload.pageGroups) assert.ok(opening.has(group), `${group} opens in wave 1`);
  for (const delivery of firstWave) {
    const message = JSON.parse(delivery.body.toString()) as AlertmanagerMessage;
    assert.ok(message.alerts.every((alert) => alert.status === 'firing'), message.groupKey);
  }
});

test('targets judge the medians', () => {
  const result: IncidentBenchResult = {
    database: 'sqlite', cpus: 2, messages: 10, warmupMessages: 0, deliveries: 30, concurrency: 4, waves: 2,
    runs: [],
    medians: {
      deliveriesPerSecond: 499, p50Ms: 3, p99Ms: 20, maxMs: 40, serverCpuMsPerDelivery: 1,
      loadCpuMsPerDelivery: 0.5,
    },
  };
  const slow = checkTargets(result);
  assert.equal(slow[0]?.verdict, 'MISS');
  assert.equal(slow[1]?.verdict, 'PASS');
  assert.equal(exitCodeOf(slow), 1);

  const medians = { ...result.medians, deliveriesPerSecond: 500 };
  const fast = checkTargets({ ...result, medians });
  assert.equal(fast[0]?.verdict, 'PASS');
  assert.equal(exitCodeOf(fast), 0);

  const postgres = checkTargets({ ...result, database: 'postgres' });
  assert.equal(postgres[0]?.verdict, 'info');
  assert.equal(exitCodeOf(postgres), 0);
});

const badUsage: { args: string[]; message: RegExp }[] = [
  { args: ['--messages', '0'], message: /invalid --messages "0": expected a whole number/ },
  { args: ['--concurrency', 'abc'], message: /invalid --concurrency "abc"/ },
  { args: ['--runs', '2.5'], message: /invalid --runs "2.5"/ },
  { args: ['--warmup=-1'], message: /invalid --warmup "-1": expected a whole number from 0/ },
  { args: ['--database-url', 'sqlite:/tmp/x.sqlite'], message: /expected a postgres:\/\/ URL/ },
  {
    args: ['--runs', '3', '--database-url', 'postgres://bench@127.0.0.1:1/bench'],
    message: /invalid --runs 3 with --database-url/,
  },
  { args: ['--speed', 'fast'], message: /Unknown option '--speed'/ },
];

for (const { args, message } of badUsage) {
  test(`bench exits 2 on ${args.join(' ')}`, async () => {
    const before = await benchWorkdirs();
    const failure = await run(process.execPath, [benchEntry, ...args])
      .then(() => undefined, (error: unknown) => error as { code: number; stderr: string });

    assert.ok(failure !== undefined, 'the bench failed');
    assert.equal(failure.code, 2);
    assert.match(failure.stderr, message);
    assert.match(failure.stderr, /\[USAGE\]/);
    assert.deepEqual(await benchWorkdirs(), before, 'the bench started nothing');
  });
}

test('bench runs once on PostgreSQL', async () => {
  const cluster = await startPostgres();
  try {
    const databaseUrl = await cluster.createDatabase('bench');
    const result = await runIncidentBench({ ...smallRun, messages: 60, databaseUrl });

    assert.equal(result.database, 'postgres');
    const [only] = result.runs;
    assert.ok(only !== undefined);
    assert.equal(only.failedDeliveries, 0, only.failures.join(', '));
    assert.equal(only.check.incidents, only.check.pageGroups);
    assert.equal(only.check.duplicateAlertEvents, 0);
    assert.equal(only.check.missingOrStrayAlertEvents, 0);

    await assert.rejects(runIncidentBench({ ...smallRun, messages: 60, databaseUrl }),
      assertSrekitError('INVALID_INPUT', /already contains \d+ incident events/));
  } finally {
    await cluster.stop();
  }
});
