import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError } from '../common/errors.js';
import { loadSpecs, readSpecFile } from './spec-files.js';
import { fillWindow } from './spec.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/slo/', import.meta.url));

const validSlo = `
  - name: availability
    objective: 99.9
    period: 30d
    sli:
      errors: http_requests_total{job="api", status_code=~"5.."}
      total: http_requests_total{job="api"}`;

function srekitSpec(slos: string): string {
  return `apiVersion: srekit.dev/v1\nkind: SLOSpec\nservice: api\nslos:${slos}\n`;
}

/** Writes `text` as x.yaml in a new directory and returns the errors of reading it. */
async function errorsOf(text: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-spec-'));
  try {
    const file = join(dir, 'x.yaml');
    await writeFile(file, text);
    const result = await readSpecFile('monitoring/slos/x.yaml', file);
    return result.errors;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const invalidCases: Array<{ name: string; text: string; expected: string }> = [
  {
    name: 'objective of 100',
    text: srekitSpec(validSlo.replace('99.9', '100')),
    expected: 'monitoring/slos/x.yaml: slos[0].objective: must be below 100 (got 100)',
  },
  {
    name: 'objective above 100',
    text: srekitSpec(validSlo.replace('99.9', '100.5')),
    expected: 'monitoring/slos/x.yaml: slos[0].objective: must be below 100 (got 100.5)',
  },
  {
    name: 'objective of 0',
    text: srekitSpec(validSlo.replace('99.9', '0')),
    expected: 'monitoring/slos/x.yaml: slos[0].objective: must be above 0 (got 0)',
  },
  {
    name: 'negative objective',
    text: srekitSpec(validSlo.replace('99.9', '-5')),
    expected: 'monitoring/slos/x.yaml: slos[0].objective: must be above 0 (got -5)',
  },
  {
    name: 'unknown period format',
    text: srekitSpec(validSlo.replace('30d', '30 days')),
    expected: 'monitoring/slos/x.yaml: slos[0].period: must be a duration in whole seconds '
      + 'such as 30d, 6h or 5m (got "30 days")',
  },
  {
    name: 'unknown window format',
    text: srekitSpec(`${validSlo}\n    tiers:\n      fast:\n        shortWindow: 5min`),
    expected: 'monitoring/slos/x.yaml: slos[0].tiers.fast.shortWindow: must be a duration in '
      + 'whole seconds such as 30d, 6h or 5m (got "5min")',
  },
  {
    name: 'long window shorter than short window',
    text: srekitSpec(`${validSlo}\n    tiers:\n      slow:\n        longWindow: 20m`),
    expected: 'monitoring/slos/x.yaml: slos[0].tiers.slow.longWindow: must be longer than the '
      + 'short window 30m (got 20m)',
  },
  {
    name: 'tier needing more budget than exists',
    text: srekitSpec(`${validSlo.replace('99.9', '90')}\n    tiers:\n      fast:\n`
      + '        budgetPercent: 10'),
    expected: 'monitoring/slos/x.yaml: slos[0].tiers.fast.budgetPercent: needs more error budget '
      + 'than exists: spending 10% of it in 1h is a 72x burn, an error ratio of 720%, above 100%; '
      + 'lower budgetPercent or lengthen longWindow',
  },
  {
    name: 'missing objective',
    text: srekitSpec(validSlo.replace('    objective: 99.9\n', '')),
    expected: 'monitoring/slos/x.yaml: slos[0].objective: is required',
  },
  {
    name: 'missing total query',
    text: srekitSpec(validSlo.replace(/\n *total: .*/, '')),
    expected: 'monitoring/slos/x.yaml: slos[0].sli.total: is required',
  },
  {
    name: 'new tier without windows',
    text: srekitSpec(`${validSlo}\n    tiers:\n      weekly:\n        budgetPercent: 10`),
    expected: 'monitoring/slos/x.yaml: slos[0].tiers.weekly.longWindow: is required for the new '
      + 'tier "weekly"',
  },
  {
    name: 'unknown format',
    text: 'apiVersion: v2\nslos: []\n',
    expected: 'monitoring/slos/x.yaml: unknown spec format: expected apiVersion srekit.dev/v1, '
      + 'Sloth\'s version prometheus/v1, or OpenSLO\'s apiVersion openslo/v1 with kind SLO',
  },
];

for (const { name, text, expected } of invalidCases) {
  test(`spec rejects ${name}`, async () => {
    const errors = await errorsOf(text);
    assert.ok(errors.includes(expected), `expected "${expected}" in:\n${errors.join('\n')}`);
  });
}

test('spec reads the shipped orders API spec', async () => {
  const file = fileURLToPath(new URL('../../../monitoring/slos/orders-api.yaml', import.meta.url));
  const [definition, ...rest] = await loadSpecs([file]);
  assert.equal(rest.length, 0);
  assert.equal(definition?.service, 'orders-api');
  assert.equal(definition?.name, 'availability');
  assert.equal(definition?.objective, 99.9);
  assert.equal(definition?.period, 30 * 86_400);
  assert.equal(definition?.minRequestRate, 1);
  assert.deepEqual(definition?.tiers.map((tier) => [tier.name, tier.severity]),
    [['fast', 'page'], ['slow', 'ticket']]);
});

test('spec reads a Sloth spec', async () => {
  const [definition] = await loadSpecs([join(fixtures, 'sloth.yaml')]);
  assert.equal(definition?.service, 'checkout');
  assert.equal(definition?.objective, 99.5);
  assert.equal(definition?.period, 30 * 86_400);
  assert.deepEqual(definition?.labels, { owner: 'payments' });
  // The ticket alert is disabled, so only the page tier remains.
  assert.deepEqual(definition?.tiers.map((tier) => tier.name), ['fast']);
  assert.equal(fillWindow(definition?.errors.template ?? '', 300),
    'sum(increase(http_requests_total{job="checkout",status_code=~"5.."}[5m]))');
  assert.equal(definition?.total.selector, 'http_requests_total{job="checkout"}');
});

test('spec reads an OpenSLO bad-events SLO', async () => {
  const [definition] = await loadSpecs([join(fixtures, 'openslo.yaml')]);
  assert.equal(definition?.service, 'search');
  assert.equal(definition?.name, 'search-availability');
  assert.equal(definition?.objective, 99.5);
  assert.equal(definition?.period, 28 * 86_400);
  assert.equal(definition?.errors.selector, 'http_requests_total{job="search", status_code=~"5.."}');
});

test('spec reads an OpenSLO good-events SLO', async () => {
  const [definition] = await loadSpecs([join(fixtures, 'openslo-good.yaml')]);
  assert.equal(definition?.objective, 99);
  assert.equal(definition?.period, 7 * 86_400);
  assert.equal(definition?.errors.selector, undefined);
  assert.equal(fillWindow(definition?.errors.template ?? '', 3_600),
    '(sum(increase(http_requests_total{job="login"}[1h]))) - '
    + '(sum(increase(http_requests_total{job="login", status_code!~"5.."}[1h])))');
});

test('spec rejects an OpenSLO time-slice SLO', async () => {
  const errors = await errorsOf([
    'apiVersion: openslo/v1', 'kind: SLO', 'metadata: {name: a}', 'spec:', '  service: b',
    '  indicator: {spec: {ratioMetric: {counter: true, total: {metricSource: {spec: {query: x}}},',
    '    bad: {metricSource: {spec: {query: y}}}}}}',
    '  timeWindow: [{duration: 28d, isRolling: true}]',
    '  budgetingMethod: Timeslices', '  objectives: [{target: 0.99}]', '',
  ].join('\n'));
  assert.deepEqual(errors, ['monitoring/slos/x.yaml: spec.budgetingMethod: must be Occurrences: '
    + 'the rules count events, not time slices']);
});

test('loadSpecs reports every problem in one error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-spec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  const duplicate = join(dir, 'duplicate.yaml');
  await writeFile(bad, srekitSpec(validSlo.replace('99.9', '100').replace('30d', '30x')));
  await writeFile(duplicate, srekitSpec(validSlo) + srekitSpec(validSlo).replace(/^.*\n/, '---\n$&'));
  await assert.rejects(loadSpecs([bad, duplicate]), (error: unknown) => {
    assert.ok(error instanceof SrekitError);
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, /invalid SLO specs \(3 problems\)/);
    assert.match(error.message, /bad\.yaml: slos\[0\]\.objective: must be below 100 \(got 100\)/);
    assert.match(error.message, /bad\.yaml: slos\[0\]\.period: must be a duration/);
    assert.match(error.message, /duplicate\.yaml: SLO availability of service api is already defined/);
    return true;
  });
});
