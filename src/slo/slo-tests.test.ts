import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSloFiles, writeGeneratedFiles } from './slo-generate.js';
import { renderSloTests } from './slo-tests.js';
import { loadSpecs } from './spec-files.js';
import type { SloDefinition } from './spec.js';

/** Runs promtool with `args` and returns its exit code and output. */
function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** Writes a spec with `count` SLOs, each reading the counters of its own job, and loads it. */
async function manySlos(dir: string, count: number): Promise<SloDefinition[]> {
  const slos = Array.from({ length: count }, (_, k) => [
    `  - name: availability-${k}`,
    '    objective: 99.9',
    '    period: 30d',
    '    sli:',
    `      errors: http_requests_total{job="api-${k}", status_code=~"5.."}`,
    `      total: http_requests_total{job="api-${k}"}`,
  ].join('\n'));
  const file = join(dir, `spec-${count}.yaml`);
  await writeFile(file, ['apiVersion: srekit.dev/v1', 'kind: SLOSpec', 'service: api',
    'slos:', ...slos, ''].join('\n'));
  return loadSpecs([file]);
}

test('SLO test file grows linearly', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-tests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const small = renderSloTests(await manySlos(dir, 10)).length;
  const large = renderSloTests(await manySlos(dir, 40)).length;

  // Longer names make 4 times the SLOs cost a little over 4 times the text.
  // A file that grows with the square would be about 16 times larger.
  assert.ok(large / small < 4.5, `40 SLOs gave ${large} bytes against ${small} for 10`);
});

test('promtool passes tests of three SLOs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-tests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const definitions = await manySlos(dir, 3);
  await mkdir(join(dir, 'rules'));
  await mkdir(join(dir, 'tests'));
  const paths = { rules: join(dir, 'rules/slos.yml'), tests: join(dir, 'tests/slos.test.yml') };
  await writeGeneratedFiles(renderSloFiles(definitions, paths));

  const result = await promtool(['test', 'rules', paths.tests]);

  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('recovery case catches a missing short window', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-tests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const definitions = await manySlos(dir, 1);
  await mkdir(join(dir, 'rules'));
  await mkdir(join(dir, 'tests'));
  const paths = { rules: join(dir, 'rules/slos.yml'), tests: join(dir, 'tests/slos.test.yml') };
  const files = renderSloFiles(definitions, paths);
  await writeGeneratedFiles(files);

  // Without the short window, an alert keeps firing for as long as the long
  // window still contains the outage.
  const rules = await readFile(paths.rules, 'utf8');
  const longOnly = rules.replace(/\n\s+and\n\s+slo:sli_error:ratio_rate(5m|30m)\{[^}]*\} >= [\d.]+/g, '');
  assert.notEqual(longOnly, rules);
  await writeFile(paths.rules, longOnly);
  const result = await promtool(['test', 'rules', paths.tests]);

  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /full outage for \S+ resolves \S+ after it ends/);
});
