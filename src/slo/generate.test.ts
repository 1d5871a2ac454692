import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli.js';
import { captureIo } from '../../test/helpers/io.js';
import { checkRulesFile, committedRulesPath } from './generate.js';
import { productionProfile } from './profiles.js';

test('committed rules match the policy', async () => {
  const state = await checkRulesFile(committedRulesPath, productionProfile);
  assert.equal(state, 'current',
    'monitoring/prometheus/rules/alerts.yml is stale: run `srekit slo generate` and commit it');
});

test('generate --check fails on a stale file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'alerts.yml');

  const written = captureIo();
  assert.equal(await run(['slo', 'generate', '--output', file], written), 0);
  const current = captureIo();
  assert.equal(await run(['slo', 'generate', '--check', '--output', file], current), 0);
  assert.match(current.err(), /is up to date/);

  await writeFile(file, (await readFile(file, 'utf8')).replace('for: 2m', 'for: 5m'));
  const stale = captureIo();
  assert.equal(await run(['slo', 'generate', '--check', '--output', file], stale), 1);
  assert.match(stale.err(), /error: rule file .*alerts\.yml is stale: it differs from the rules that /);
  assert.match(stale.err(), new RegExp(`hint: rewrite it with \`srekit slo generate -o ${file}\`\n`));
  assert.equal(await checkRulesFile(file, productionProfile), 'stale');
});

test('generate --check fails on a missing file', async () => {
  const io = captureIo();
  const code = await run(['slo', 'generate', '--check', '--output', '/nonexistent/alerts.yml'], io);
  assert.equal(code, 1);
  assert.match(io.err(), /alerts\.yml is missing/);
});

test('generate writes gameday rules to stdout', async () => {
  const io = captureIo();
  assert.equal(await run(['slo', 'generate', '--profile', 'gameday'], io), 0);
  assert.match(io.out(), /for the gameday profile/);
  assert.match(io.out(), /\[30s\]/);
});

test('generate rejects an unknown profile', async () => {
  const io = captureIo();
  assert.equal(await run(['slo', 'generate', '--profile', 'staging', '-o', '-'], io), 2);
  assert.match(io.err(), /Allowed choices are production, gameday/);
});

test('alerts --json lists scaled alerts', async () => {
  const io = captureIo();
  assert.equal(await run(['slo', 'alerts', '--profile', 'gameday', '--json'], io), 0);
  const lines = io.out().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(lines.map((line) => [line.type, line.name, line.for]), [
    ['alert', 'InstanceDown', 3],
    ['alert', 'HighErrorRatio', 6],
    ['alert', 'HighLatencyP95', 15],
    ['alert', 'DiskWillFillIn4Hours', 90],
    ['alert', 'HighCpuUsage', 30],
    ['alert', 'HighMemoryUsage', 30],
    ['alert', 'Watchdog', 0],
    ['alert', 'PrometheusConfigReloadFailed', 30],
    ['alert', 'AlertmanagerConfigReloadFailed', 30],
    ['alert', 'TargetScrapeFailing', 15],
  ]);
});
