import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { burnFactor, defaultTiers, errorRatioThreshold, timeToDetect } from './burn-rate.js';
import { formatSpan, renderDetectionTable } from './detection-table.js';
import { committedSpecsDir, loadSpecsDir } from './slo-generate.js';

const alertingDoc = fileURLToPath(new URL('../../../docs/alerting.md', import.meta.url));
const thirtyDays = 30 * 86_400;

test('alerting doc table matches the code', async () => {
  const [definition] = await loadSpecsDir(committedSpecsDir);
  assert.ok(definition, 'monitoring/slos has no SLO');
  const expected = renderDetectionTable(definition.tiers, definition.period, definition.objective);
  const doc = await readFile(alertingDoc, 'utf8');
  const block = /<!-- detection-table:start -->\n([\s\S]*?)\n<!-- detection-table:end -->/.exec(doc);
  assert.ok(block, 'docs/alerting.md has no detection-table markers');
  assert.equal(block[1], expected,
    'docs/alerting.md is stale: paste the table that renderDetectionTable returns');
});

test('default tiers burn 14.4x and 6x', () => {
  const [fast, slow] = defaultTiers;
  assert.ok(fast);
  assert.ok(slow);
  assert.equal(burnFactor(fast, thirtyDays), 14.4);
  assert.equal(burnFactor(slow, thirtyDays), 6);
  assert.equal(errorRatioThreshold(fast, thirtyDays, 99.9), 0.0144);
  assert.equal(errorRatioThreshold(slow, thirtyDays, 99.9), 0.006);
  assert.equal(burnFactor(fast, 28 * 86_400), 13.44);
});

test('full outage reaches fast tier in 52 s', () => {
  const [fast] = defaultTiers;
  assert.ok(fast);
  const seconds = timeToDetect(fast, 0.0144, 1);
  assert.ok(seconds !== undefined);
  assert.ok(Math.abs(seconds - 51.84) < 1e-9, `got ${seconds}`);
  assert.equal(timeToDetect(fast, 0.0144, 0.005), undefined);
});

test('formatSpan picks a readable unit', () => {
  assert.equal(formatSpan(undefined), 'never');
  assert.equal(formatSpan(51.84), '52 s');
  assert.equal(formatSpan(3_456), '57.6 min');
  assert.equal(formatSpan(8_640), '2.4 h');
});
