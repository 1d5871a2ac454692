import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { run } from '../cli.js';
import { captureIo } from '../../test/helpers/io.js';
import { committedRulesPath } from './generate.js';
import {
  committedSloRulesPath, committedSloTestsPath, committedSpecsDir, findStaleFiles, loadSpecsDir,
  renderSloFiles, writeGeneratedFiles,
} from './slo-generate.js';
import { loadSpecs } from './spec-files.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/slo/', import.meta.url));
const committedPaths = { rules: committedSloRulesPath, tests: committedSloTestsPath };

interface ToolResult {
  code: number;
  output: string;
}

function promtool(args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile('promtool', args, { timeout: 120_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 127;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

interface RuleFile {
  groups: Array<{
    name: string;
    interval?: string;
    rules: Array<{ record?: string; alert?: string }>;
  }>;
}

test('committed SLO rules and tests match the specs', async () => {
  const files = renderSloFiles(await loadSpecsDir(committedSpecsDir), committedPaths);
  const stale = await findStaleFiles(files);
  assert.deepEqual(stale, [],
    'the generated SLO files are stale: run `srekit slo generate` and commit them');
});

test('promtool accepts the committed SLO rules', async () => {
  const result = await promtool(['check', 'rules', committedSloRulesPath]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS: 16 rules found/);
});

test('promtool unit tests pass on committed SLO rules', async () => {
  const result = await promtool(['test', 'rules', committedSloTestsPath]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('SLO rules stay within Sloth recording rule count', async () => {
  // Sloth records, for a 30-day SLO, one error ratio for each of 8 windows
  // (5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d) and 7 metadata series: 15 in all.
  const rules = parse(await readFile(committedSloRulesPath, 'utf8')) as RuleFile;
  const all = rules.groups.flatMap((group) => group.rules);
  const records = all.filter((rule) => rule.record !== undefined);
  const alerts = all.filter((rule) => rule.alert !== undefined);
  assert.equal(records.length, 13);
  assert.ok(records.length <= 15);
  assert.equal(alerts.length, 3);
});

test('SLO rules split windows into fast and slow groups', async () => {
  const rules = parse(await readFile(committedSloRulesPath, 'utf8')) as RuleFile;
  const groups = rules.groups.map((group) => [group.name, group.interval,
    group.rules.map((rule) => rule.record ?? rule.alert)]);
  assert.deepEqual(groups, [
    ['srekit-slo-orders-api-availability-short', undefined, [
      'slo:sli_errors:increase5m', 'slo:sli_requests:increase5m', 'slo:sli_error:ratio_rate5m',
      'slo:sli_errors:increase30m', 'slo:sli_requests:increase30m', 'slo:sli_error:ratio_rate30m',
      'SloErrorBudgetBurn', 'SloErrorBudgetBurn', 'SloMetricsAbsent',
    ]],
    ['srekit-slo-orders-api-availability-long', '1m', [
      'slo:sli_errors:increase1h', 'slo:sli_requests:increase1h', 'slo:sli_error:ratio_rate1h',
      'slo:sli_errors:increase6h', 'slo:sli_requests:increase6h', 'slo:sli_error:ratio_rate6h',
      'slo:period_error_budget_remaining:ratio',
    ]],
  ]);
});

test('generated tests pass for Sloth and OpenSLO specs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-formats-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const definitions = await loadSpecs(['sloth.yaml', 'openslo.yaml', 'openslo-good.yaml']
    .map((name) => join(fixtures, name)));
  const paths = { rules: join(dir, 'rules/slos.yml'), tests: join(dir, 'tests/slos.test.yml') };
  await writeGeneratedFiles(renderSloFiles(definitions, paths));

  const tests = await readFile(paths.tests, 'utf8');
  assert.match(tests, /# login\/login-availability: untested, because its queries/);
  assert.match(tests, /checkout\/requests-availability: full outage/);
  const result = await promtool(['test', 'rules', paths.tests]);
  assert.equal(result.code, 0, result.output);
});

test('generated tests catch a threshold compared with >', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-threshold-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'rules'));
  await mkdir(join(dir, 'tests'));
  const rules = await readFile(committedSloRulesPath, 'utf8');
  await writeFile(join(dir, 'rules/slos.yml'), rules.replaceAll('>= 0.0144', '> 0.0144'));
  await cp(committedSloTestsPath, join(dir, 'tests/slos.test.yml'));
  const result = await promtool(['test', 'rules', join(dir, 'tests/slos.test.yml')]);
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /burn at the fast threshold 0\.0144 fires/);
});

test('generate --check reports stale SLO rules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-specs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const spec = await readFile(join(committedSpecsDir, 'orders-api.yaml'), 'utf8');
  await writeFile(join(dir, 'orders-api.yaml'), spec.replace('objective: 99.9', 'objective: 99.5'));

  const io = captureIo();
  assert.equal(await run(['slo', 'generate', '--check', '--specs', dir], io), 1);
  assert.match(io.err(), /error: generated SLO files differ from the specs: .*slos\.yml is stale/);
  assert.match(io.err(), /hint: run `srekit slo generate`/);
});

test('generate writes nothing for an invalid spec', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-invalid-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const spec = await readFile(join(committedSpecsDir, 'orders-api.yaml'), 'utf8');
  await writeFile(join(dir, 'orders-api.yaml'), spec.replace('objective: 99.9', 'objective: 100'));
  const watched = [committedRulesPath, committedSloRulesPath, committedSloTestsPath];
  const before = await Promise.all(watched.map(async (path) => (await stat(path)).mtimeMs));

  const io = captureIo();
  assert.equal(await run(['slo', 'generate', '--specs', dir], io), 2);
  assert.match(io.err(), /orders-api\.yaml: slos\[0\]\.objective: must be below 100 \(got 100\)/);
  assert.match(io.err(), /nothing was written/);
  const after = await Promise.all(watched.map(async (path) => (await stat(path)).mtimeMs));
  assert.deepEqual(after, before);
});

test('validate lists SLOs as JSON', async () => {
  const io = captureIo();
  assert.equal(await run(['slo', 'validate', '--json'], io), 0);
  const lines = io.out().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.type, 'slo');
  assert.equal(lines[0]?.name, 'availability');
  assert.deepEqual(lines[0]?.tiers, [
    { name: 'fast', severity: 'page', burnFactor: 14.4, errorRatioThreshold: 0.0144,
      longWindow: '1h', shortWindow: '5m' },
    { name: 'slow', severity: 'ticket', burnFactor: 6, errorRatioThreshold: 0.006,
      longWindow: '6h', shortWindow: '30m' },
  ]);
});

test('validate rejects an invalid fixture', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.yaml');
  await writeFile(file, 'version: prometheus/v1\nservice: a\nslos:\n  - name: b\n    objective: 0\n');
  const io = captureIo();
  assert.equal(await run(['slo', 'validate', file], io), 2);
  assert.match(io.err(), /x\.yaml: slos\[0\]\.objective: must be above 0 \(got 0\)/);
  assert.match(io.err(), /x\.yaml: slos\[0\]\.sli: is required/);
});

test('SLO alerts link an existing runbook', async () => {
  const rules = parse(await readFile(committedSloRulesPath, 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; annotations?: { runbook_url: string } }> }>;
  };
  const urls = new Set(rules.groups.flatMap((group) => group.rules)
    .flatMap((rule) => (rule.annotations ? [rule.annotations.runbook_url] : [])));
  assert.deepEqual([...urls], ['docs/runbooks/slo-error-budget-burn.md']);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  await stat(join(root, 'docs/runbooks/slo-error-budget-burn.md'));
});
