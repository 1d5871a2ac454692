import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrekitError } from '../common/errors.js';
import { errorRatioThreshold } from './burn-rate.js';
import { gamedayProfile, productionProfile } from './profiles.js';
import { committedSpecsDir, loadSpecsDir } from './slo-generate.js';
import { renderSloRules } from './slo-rules.js';
import { scaleSlo, scaleSloLongWindowInterval } from './slo-scale.js';
import type { SloDefinition } from './spec.js';

async function ordersAvailability(): Promise<SloDefinition> {
  const definitions = await loadSpecsDir(committedSpecsDir);
  const definition = definitions.find((candidate) => candidate.name === 'availability');
  assert.ok(definition, 'monitoring/slos has no availability SLO');
  return definition;
}

function windowsOf(definition: SloDefinition): Array<[string, number, number]> {
  return definition.tiers.map((tier) => [tier.name, tier.longWindow, tier.shortWindow]);
}

test('gameday divides SLO windows by 20', async () => {
  const scaled = scaleSlo(await ordersAvailability(), gamedayProfile);
  assert.equal(scaled.period, 30 * 86_400 / 20);
  assert.deepEqual(windowsOf(scaled), [['fast', 180, 15], ['slow', 1_080, 90]]);
});

test('scaling keeps every threshold', async () => {
  const written = await ordersAvailability();
  const scaled = scaleSlo(written, gamedayProfile);
  const thresholds = (definition: SloDefinition) => definition.tiers.map(
    (tier) => errorRatioThreshold(tier, definition.period, definition.objective));
  assert.deepEqual(thresholds(scaled), thresholds(written));
  assert.deepEqual(thresholds(scaled), [0.0144, 0.006]);
});

test('production keeps the SLO as written', async () => {
  const written = await ordersAvailability();
  assert.deepEqual(scaleSlo(written, productionProfile), written);
  assert.equal(renderSloRules([scaleSlo(written, productionProfile)]), renderSloRules([written]));
});

test('long-window interval scales to 3 s', () => {
  assert.equal(scaleSloLongWindowInterval(productionProfile), 60);
  assert.equal(scaleSloLongWindowInterval(gamedayProfile), 3);
  const slowEvaluation = { ...gamedayProfile, evaluationInterval: 5 };
  assert.equal(scaleSloLongWindowInterval(slowEvaluation), 5);
});

test('rendered gameday rules use scaled windows', async () => {
  const scaled = scaleSlo(await ordersAvailability(), gamedayProfile);
  const rules = renderSloRules([scaled], {
    longWindowInterval: scaleSloLongWindowInterval(gamedayProfile),
  });
  assert.match(rules, /slo:sli_error:ratio_rate3m\{[^}]*\} >= 0\.0144/);
  assert.match(rules, /slo:sli_error:ratio_rate15s\{[^}]*\} >= 0\.0144/);
  assert.match(rules, /slo:sli_requests:increase3m\{[^}]*\} >= 180\n/);
  assert.match(rules, /interval: 3s/);
  assert.doesNotMatch(rules, /\[1h\]|\[5m\]|interval: 1m/);
});

test('floored windows that meet are rejected', async () => {
  const written = await ordersAvailability();
  const [fast, ...rest] = written.tiers;
  assert.ok(fast);
  // 40 s and 30 s both fall to the 4 s floor of the gameday profile.
  const tight = { ...written, tiers: [{ ...fast, longWindow: 40, shortWindow: 30 }, ...rest] };
  assert.throws(() => scaleSlo(tight, gamedayProfile), (error: unknown) => {
    assert.ok(error instanceof SrekitError);
    assert.equal(error.code, 'CHECK_FAILED');
    assert.match(error.message, /tier fast of SLO availability .* long window 4s is no longer than its short window 4s/);
    return true;
  });
});

test('rounding that changes a factor is rejected', async () => {
  const written = await ordersAvailability();
  const [fast, ...rest] = written.tiers;
  assert.ok(fast);
  // 3601 s rounds up to 181 s, so 2% of 36h is spent at 14.32x, not 14.396x.
  const odd = { ...written, tiers: [{ ...fast, longWindow: 3_601 }, ...rest] };
  assert.throws(() => scaleSlo(odd, gamedayProfile), (error: unknown) => {
    assert.ok(error instanceof SrekitError);
    assert.equal(error.code, 'CHECK_FAILED');
    assert.match(error.message, /burn factor changes from 14\.39600111 to 14\.32044199/);
    assert.match(error.hint ?? '', /divide by the speedup 20/);
    return true;
  });
});
