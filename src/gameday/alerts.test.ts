import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SrekitError } from '../common/errors.js';
import {
  committedSpecsDir, formatDuration, gamedayProfile, loadSpecsDir, productionProfile,
} from '../slo/index.js';
import { portsFromBase, renderStackConfigs, stackLayout } from '../stack/index.js';
import { scenarioAlerts, type ScenarioAlerts } from './alerts.js';
import { buildScenarios, fastBurnErrorShare, minRequestsPerSecond } from './scenarios.js';

async function gamedayAlerts(): Promise<ScenarioAlerts> {
  return scenarioAlerts(gamedayProfile, await loadSpecsDir(committedSpecsDir));
}

interface RuleFile {
  groups: Array<{
    rules: Array<{ alert?: string; expr: string; labels?: Record<string, string> }>;
  }>;
}

test('burn alert matches the stack rules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-gameday-alerts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const layout = stackLayout(dir);
  await renderStackConfigs({ layout, profile: gamedayProfile, ports: portsFromBase(39090) });
  const rules = parse(await readFile(layout.sloRulesFile, 'utf8')) as RuleFile;
  const { burn } = await gamedayAlerts();
  const rule = rules.groups.flatMap((group) => group.rules).find((candidate) =>
    candidate.alert === burn.alertname && candidate.labels?.tier === burn.labels.tier);
  assert.ok(rule, `the stack's slos.yml has no ${burn.alertname} of tier ${burn.labels.tier}`);

  const { threshold, longWindow, shortWindow, minRequests } = burn.burn;
  assert.match(rule.expr, new RegExp(`ratio_rate${formatDuration(longWindow)}\\{.*\\} >= ${threshold}`));
  assert.match(rule.expr, new RegExp(`ratio_rate${formatDuration(shortWindow)}\\{.*\\} >= ${threshold}`));
  assert.match(rule.expr, new RegExp(`increase${formatDuration(longWindow)}\\{.*\\} >= ${minRequests}$`));
  assert.equal(rule.labels?.severity, burn.receiver);
  for (const [name, value] of Object.entries(burn.labels)) {
    assert.equal(rule.labels?.[name], value, `label ${name}`);
  }
});

test('gameday alerts have scaled timings', async () => {
  const alerts = await gamedayAlerts();
  assert.deepEqual(alerts.burn.burn, {
    threshold: 0.0144, longWindow: 180, shortWindow: 15, longWindowInterval: 3, minRequests: 180,
  });
  assert.equal(alerts.burn.timing.forDuration, 0);
  assert.deepEqual(alerts.burn.labels, { service: 'orders-api', slo: 'availability', tier: 'fast' });
  assert.equal(alerts.errorRatio.window, 30);
  assert.equal(alerts.errorRatio.timing.confirmationWindow, 15);
  assert.equal(alerts.errorRatio.threshold, 0.05);
  assert.equal(alerts.latency.window, 30);
  assert.equal(alerts.latency.quantile, 0.95);
  assert.equal(alerts.latency.receiver, 'warn');
  assert.equal(alerts.latency.timing.forDuration, 15);
});

test('HighErrorRatio resolves before the burn', async () => {
  // After a recovery HighErrorRatio must stop firing before the burn page
  // that inhibits it. Over the same window the ratio passes 5% before the
  // burn threshold, so its confirmation window must not be longer.
  const definitions = await loadSpecsDir(committedSpecsDir);
  for (const profile of [productionProfile, gamedayProfile]) {
    const { errorRatio, burn } = scenarioAlerts(profile, definitions);
    const confirmationWindow = errorRatio.timing.confirmationWindow;
    assert.ok(confirmationWindow !== undefined, `${profile.name}: no confirmation window`);
    assert.ok(confirmationWindow <= burn.burn.shortWindow,
      `${profile.name}: confirmation window ${confirmationWindow} s is longer than the burn's `
        + `short window ${burn.burn.shortWindow} s`);
    assert.ok(burn.burn.threshold < errorRatio.threshold, `${profile.name}: thresholds`);
  }
});

test('missing SLO spec is reported', () => {
  assert.throws(() => scenarioAlerts(gamedayProfile, []), (error: unknown) => {
    assert.ok(error instanceof SrekitError);
    assert.equal(error.code, 'CHECK_FAILED');
    assert.match(error.message, /no SLO spec defines SLO availability of service orders-api/);
    return true;
  });
});

test('minimum rate follows the short window', async () => {
  assert.equal(minRequestsPerSecond(await gamedayAlerts()), 50);
  const production = scenarioAlerts(productionProfile, await loadSpecsDir(committedSpecsDir));
  assert.equal(minRequestsPerSecond(production), 3);
});

test('fast-burn share must sit between thresholds', async () => {
  const alerts = await gamedayAlerts();
  assert.equal(buildScenarios(alerts).map((scenario) => scenario.id).join(''), 'abcdefgh');
  const strict = { ...alerts, errorRatio: { ...alerts.errorRatio, threshold: fastBurnErrorShare } };
  assert.throws(() => buildScenarios(strict), (error: unknown) => {
    assert.ok(error instanceof SrekitError);
    assert.equal(error.code, 'CHECK_FAILED');
    assert.match(error.message, /fails 3\.5% of requests, which must lie between the burn threshold 1\.44% and the HighErrorRatio threshold 3\.5%/);
    return true;
  });
});

test('absence check looks back to the outage', async () => {
  const scenarios = buildScenarios(await gamedayAlerts());
  const recovery = scenarios.find((scenario) => scenario.id === 'e');
  assert.ok(recovery);
  const absence = recovery.checks({ trafficSeconds: 60, requestsPerSecond: 50 })
    .find((check) => check.kind === 'absence');
  assert.deepEqual(absence && { since: absence.since, match: absence.match }, {
    since: 'c',
    match: { receiver: 'page', alertname: 'HighErrorRatio', status: 'firing', labels: {} },
  });
});
