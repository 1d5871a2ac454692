import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSloBench, type SloBenchOptions } from '../bench/slo/bench.js';
import { parseExposition } from '../bench/slo/exposition.js';
import { pyrraRuleCount, slothRuleCount } from '../bench/slo/peers.js';
import { startPrometheus } from '../bench/slo/prometheus.js';
import { assertSrekitError } from './helpers/errors.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const benchEntry = join(repositoryRoot, 'dist', 'bench', 'slo', 'run.js');

/** Five SLOs, evaluated every second, long-window groups every 2 s: about 15 s in all. */
const smallRun: SloBenchOptions = {
  slos: 5,
  generationRuns: 2,
  intervalSeconds: 1,
  evaluations: 2,
  longIntervalSeconds: 2,
  runCli: true,
  timeoutMs: 60_000,
};

async function benchWorkdirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('srekit-bench-slo-'));
}

test('SLO bench reports timings and rule counts', async () => {
  const before = await benchWorkdirs();
  const result = await runSloBench(smallRun);

  assert.equal(result.slos, 5);
  assert.equal(result.generation.runsMs.length, 2);
  assert.ok(result.generation.medianMs > 0, 'library generation time is positive');
  assert.ok((result.cliMs ?? 0) > 0, 'CLI generation time is positive');
  assert.ok(result.perSlo.median > 0, 'evaluation time per SLO is positive');
  assert.ok(result.perSlo.p99 >= result.perSlo.median);
  assert.ok(result.shortGroups.median > 0, 'short-window group time is positive');
  assert.ok(result.longGroups.median > 0, 'long-window group time is positive');
  // Every group ran at least twice after the first scrape, none of them cold.
  assert.ok(result.samples >= 5 * 2 * 2, `${result.samples} evaluations measured`);
  assert.equal(result.group.failures, 0);

  // Default tiers: 3 records for each of the windows 5m, 30m, 1h and 6h plus
  // the budget, and a burn alert per tier plus the absent-metrics alert.
  for (const count of result.ruleCounts) {
    assert.equal(count.recording, 13, `${count.slo} recording rules`);
    assert.equal(count.alerting, 3, `${count.slo} alerting rules`);
    assert.equal(count.groups.length, 2, `${count.slo} rule groups`);
    assert.ok(count.tests > 0, `${count.slo} has promtool tests`);
  }
  assert.equal(result.group.rules, 5 * 16, 'Prometheus loaded every rule');
  assert.deepEqual(await benchWorkdirs(), before, 'the bench removed its working directory');
});

test('peer rule counts match docs/alerting.md', async () => {
  const docs = await readFile(join(repositoryRoot, 'docs', 'alerting.md'), 'utf8');
  const row = (label: string) => docs.split('\n')
    .find((line) => line.startsWith(`| ${label} |`))
    ?.split('|').slice(2, -1).map((cell) => cell.trim());
  const sloth = slothRuleCount();
  const pyrra = pyrraRuleCount();

  assert.equal(sloth.recording, 15);
  assert.equal(sloth.alerting, 2);
  assert.deepEqual(row('recording rules per SLO'), ['13', String(sloth.recording),
    String(pyrra.recording)]);
  assert.deepEqual(row('alerting rules per SLO'), ['3', String(sloth.alerting),
    String(pyrra.alerting)]);
});

test('SLO bench rejects zero SLOs', async () => {
  const before = await benchWorkdirs();
  await assert.rejects(runSloBench({ ...smallRun, slos: 0 }),
    assertSrekitError('USAGE', /invalid --slos 0: expected a whole number from 1 to 10000/));
  assert.deepEqual(await benchWorkdirs(), before);
});

test('SLO bench names a missing Prometheus binary', async () => {
  const before = await benchWorkdirs();
  const options = { ...smallRun, runCli: false, prometheus: '/nonexistent/prometheus' };
  await assert.rejects(runSloBench(options),
    assertSrekitError('MISSING_BINARY', /\/nonexistent\/prometheus/));
  assert.deepEqual(await benchWorkdirs(), before);
});

test('Prometheus start fails on invalid rules', async (t) => {
  const workdir = await mkdtemp(join(tmpdir(), 'srekit-bench-prometheus-'));
  t.after(() => rm(workdir, { recursive: true, force: true }));
  const rulesFile = join(workdir, 'bad.yml');
  await writeFile(rulesFile, 'groups:\n  - name: bad\n    rules:\n      - record: "not a name"\n'
    + '        expr: vector(1)\n');

  await assert.rejects(startPrometheus({
    workdir, rulesFile, targetAddress: '127.0.0.1:9', intervalSeconds: 1,
  }), assertSrekitError('CHECK_FAILED', /exited during start-up[\s\S]*not a name/));
});

interface Exit {
  code: number;
  stderr: string;
}

function runBench(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const options = { timeout: 30_000 };
    execFile(process.execPath, [benchEntry, ...args], options, (error, _stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : 0;
      resolve({ code, stderr });
    });
  });
}

test('bench command exits 2 on a bad value', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--slos', 'many'], /invalid --slos "many": expected a number \[USAGE\]/],
    [['--interval', '0'], /invalid --interval 0: expected a whole number from 1 to 60/],
    [['--evaluations', '1'], /invalid --evaluations 1: expected a whole number from 2 to 100/],
    [['--colour'], /Unknown option '--colour'/],
  ];
  for (const [args, pattern] of cases) {
    const exit = await runBench(args);
    assert.equal(exit.code, 2, `${args.join(' ')}: ${exit.stderr}`);
    assert.match(exit.stderr, pattern);
  }
});

test('exposition parser reads names, labels and values', () => {
  const text = [
    '# HELP prometheus_rule_group_rules The number of rules.',
    'prometheus_rule_group_rules{rule_group="/tmp/a.yml;g-1"} 16',
    'prometheus_rule_evaluation_duration_seconds{quantile="0.99"} 0.0012',
    'prometheus_rule_group_last_duration_seconds{rule_group="x;y \\"q\\""} 1e-3 1700000000',
    'go_goroutines 31',
  ].join('\n');

  assert.deepEqual(parseExposition(text, 'prometheus_rule_'), [
    { name: 'prometheus_rule_group_rules', labels: { rule_group: '/tmp/a.yml;g-1' }, value: 16 },
    {
      name: 'prometheus_rule_evaluation_duration_seconds',
      labels: { quantile: '0.99' },
      value: 0.0012,
    },
    {
      name: 'prometheus_rule_group_last_duration_seconds',
      labels: { rule_group: 'x;y "q"' },
      value: 0.001,
    },
  ]);
});
