import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSpecFile } from './spec-files.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/slo/', import.meta.url));
const committedSpec = fileURLToPath(new URL('../../../monitoring/slos/orders-api.yaml',
  import.meta.url));

/** Reads `text` as the spec file x.yaml and returns its SLO objectives and errors. */
async function read(text: string): Promise<{ objectives: number[]; errors: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-objective-'));
  try {
    const file = join(dir, 'x.yaml');
    await writeFile(file, text);
    const result = await readSpecFile('x.yaml', file);
    return { objectives: result.definitions.map((slo) => slo.objective), errors: result.errors };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const srekit = await readFile(committedSpec, 'utf8');
const sloth = await readFile(join(fixtures, 'sloth.yaml'), 'utf8');
const openSlo = await readFile(join(fixtures, 'openslo.yaml'), 'utf8');

const tooLow = (path: string, objective: number, budget: number, ratio: number) => `x.yaml: `
  + `${path}: is too low for the fast tier. An objective of ${objective}% leaves an error budget `
  + `of ${budget}%, and the tier's 14.4x burn of it is an error ratio of ${ratio}%, above 100%.`
  + ' The objective is a percentage: 99.9 means 99.9%. Raise the objective, or use tiers with '
  + 'smaller burn factors.';

const cases = [
  {
    name: 'srekit objective written as a ratio',
    text: srekit.replace('objective: 99.9', 'objective: 0.999'),
    expected: 'x.yaml: slos[0].objective: must be a percentage such as 99.9, not a ratio '
      + '(got 0.999, did you mean 99.9?)',
  },
  {
    name: 'srekit objective of 1.5',
    text: srekit.replace('objective: 99.9', 'objective: 1.5'),
    expected: tooLow('slos[0].objective', 1.5, 98.5, 1418.4),
  },
  {
    name: 'srekit objective of 50',
    text: srekit.replace('objective: 99.9', 'objective: 50'),
    expected: tooLow('slos[0].objective', 50, 50, 720),
  },
  {
    name: 'Sloth objective written as a ratio',
    text: sloth.replace('objective: 99.5', 'objective: 0.995'),
    expected: 'x.yaml: slos[0].objective: must be a percentage such as 99.9, not a ratio '
      + '(got 0.995, did you mean 99.5?)',
  },
  {
    name: 'OpenSLO targetPercent written as a ratio',
    text: openSlo.replace('target: 0.995', 'targetPercent: 0.995'),
    expected: 'x.yaml: spec.objectives[0].targetPercent: must be a percentage such as 99.9, '
      + 'not a ratio (got 0.995, did you mean 99.5?)',
  },
  {
    name: 'OpenSLO target of 0.5',
    text: openSlo.replace('target: 0.995', 'target: 0.5'),
    // The target is a ratio, so the message has no percentage hint, and the 28d period
    // makes the fast tier a 13.44x burn.
    expected: 'x.yaml: spec.objectives[0].target: is too low for the fast tier. An objective of '
      + '50% leaves an error budget of 50%, and the tier\'s 13.44x burn of it is an error ratio '
      + 'of 672%, above 100%. Raise the objective, or use tiers with smaller burn factors.',
  },
];

for (const { name, text, expected } of cases) {
  test(`spec rejects ${name}`, async () => {
    const { errors } = await read(text);
    assert.deepEqual(errors, [expected]);
  });
}

test('OpenSLO target stays a ratio', async () => {
  const { objectives, errors } = await read(openSlo.replace('target: 0.995', 'target: 0.999'));
  assert.deepEqual(errors, []);
  assert.deepEqual(objectives, [99.9]);
});

test('overridden tier keeps its own error', async () => {
  const text = srekit.replace('objective: 99.9', 'objective: 99')
    .replace(/^( *)minRequestRate:.*$/m, '$&\n$1tiers:\n$1  fast:\n$1    budgetPercent: 20');
  const { errors } = await read(text);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /^x\.yaml: slos\[0\]\.tiers\.fast\.budgetPercent: needs more/);
});
