import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { run } from '../src/cli.js';
import {
  alertPolicy, checkInhibitions, committedAlertmanagerPath, committedRulesPath, policyAlertLabels,
  policySeriesLabels, type AlertLabelSet,
} from '../src/slo/index.js';
import { assertInhibitions } from '../src/slo/inhibition-check.js';
import {
  committedSloRulesPath, committedSloTestsPath, committedSpecsDir, loadSpecsDir,
} from '../src/slo/slo-generate.js';
import { assertSrekitError } from './helpers/errors.js';
import { captureIo } from './helpers/io.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A small policy: per-instance, per-job and per-SLO alerts. */
const alerts: AlertLabelSet[] = [
  { alertname: 'InstanceDown', fixed: { severity: 'page' }, varying: ['job', 'instance'] },
  { alertname: 'HighErrorRatio', fixed: { severity: 'page' }, varying: ['job', 'service'] },
  { alertname: 'HighCpuUsage', fixed: { severity: 'warn' }, varying: ['job', 'instance'] },
  {
    alertname: 'SloErrorBudgetBurn',
    fixed: { severity: 'page', tier: 'fast', service: 'orders-api', slo: 'availability' },
    varying: [],
  },
  {
    alertname: 'SloErrorBudgetBurn',
    fixed: { severity: 'ticket', tier: 'slow', service: 'orders-api', slo: 'availability' },
    varying: [],
  },
  { alertname: 'Watchdog', fixed: { severity: 'none' }, varying: [] },
];

/** Returns alertmanager.yml's content with `rules` as its inhibit_rules. */
function configWith(rules: string): unknown {
  return parse(`route:\n  receiver: warn\nreceivers:\n  - name: warn\ninhibit_rules:\n${rules}`);
}

test('equal-label check cases', () => {
  const cases: Array<[name: string, rules: string, issues: string[]]> = [
    ['every equal label carried on both sides', `
  - source_matchers: ['alertname="InstanceDown"']
    target_matchers: ['alertname!="InstanceDown"', 'instance=~".+"']
    equal: [job, instance]
  - source_matchers: ['alertname="SloErrorBudgetBurn"', 'severity="page"']
    target_matchers: [alertname=HighErrorRatio]
    equal: [service]`, []],
    ['label missing on the target', `
  - source_matchers: ['alertname="SloErrorBudgetBurn"', 'severity="page"']
    target_matchers: ['alertname="HighErrorRatio"']
    equal: [service, slo]`, [
      'am.yml: inhibit_rules[0].equal[1]: label "slo" is not carried by alert HighErrorRatio '
        + '(target)',
    ]],
    ['label missing on both sides', `
  - source_matchers: ['alertname="InstanceDown"']
    target_matchers: ['alertname="HighCpuUsage"']
    equal: [slo]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "slo" is carried by no alert the rule selects '
        + '(source InstanceDown; target HighCpuUsage), so it is always equal and every source '
        + 'silences every target',
    ]],
    ['label missing on some sources', `
  - source_matchers: ['severity="page"']
    target_matchers: ['alertname="HighCpuUsage"']
    equal: [instance]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "instance" is not carried by alert '
        + 'HighErrorRatio (source)',
      'am.yml: inhibit_rules[0].equal[0]: label "instance" is not carried by alert '
        + 'SloErrorBudgetBurn (source)',
    ]],
    ['alert selected on both sides', `
  - source_matchers: ['severity=~"page|warn"']
    target_matchers: ['severity=~"page|warn"']
    equal: [job]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "job" is not carried by alert '
        + 'SloErrorBudgetBurn (source and target)',
    ]],
    ['negative matcher keeps alerts without the label', `
  - source_matchers: ['alertname="InstanceDown"']
    target_matchers: ['alertname!="InstanceDown"']
    equal: [job, instance]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "job" is not carried by alert '
        + 'SloErrorBudgetBurn (target)',
      'am.yml: inhibit_rules[0].equal[0]: label "job" is not carried by alert Watchdog (target)',
      'am.yml: inhibit_rules[0].equal[1]: label "instance" is not carried by alert '
        + 'HighErrorRatio (target)',
      'am.yml: inhibit_rules[0].equal[1]: label "instance" is not carried by alert '
        + 'SloErrorBudgetBurn (target)',
      'am.yml: inhibit_rules[0].equal[1]: label "instance" is not carried by alert '
        + 'Watchdog (target)',
    ]],
    ['older match and match_re maps', `
  - source_match: { alertname: SloErrorBudgetBurn, severity: page }
    target_match_re: { alertname: 'High.*' }
    equal: [service]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "service" is not carried by alert HighCpuUsage '
        + '(target)',
    ]],
    ['braced matcher list', `
  - source_matchers: ['{alertname="SloErrorBudgetBurn", tier="fast"}']
    target_matchers: ['{alertname="SloErrorBudgetBurn", tier="slow"}']
    equal: [service, slo, instance]`, [
      'am.yml: inhibit_rules[0].equal[2]: label "instance" is carried by no alert the rule '
        + 'selects (source SloErrorBudgetBurn; target SloErrorBudgetBurn), so it is always '
        + 'equal and every source silences every target',
    ]],
    ['rule selecting no alert', `
  - source_matchers: ['alertname="Unknown"']
    target_matchers: ['alertname="HighCpuUsage"']
    equal: [slo]`, [
      'am.yml: inhibit_rules[0].equal[0]: label "slo" is not carried by alert HighCpuUsage '
        + '(target)',
    ]],
    ['invalid fields', `
  - source_matchers: ['severity=~"("', 'severity']
    target_matchers: 'severity="warn"'
    equal: [job, 3]
  - just a string`, [
      'am.yml: inhibit_rules[0].source_matchers[0]: invalid matcher: "(" is not a valid '
        + 'regular expression',
      'am.yml: inhibit_rules[0].source_matchers[1]: invalid matcher: "severity" is not of '
        + 'the form name="value"',
      'am.yml: inhibit_rules[0].target_matchers: must be a list of matchers such as '
        + 'severity="page"',
      'am.yml: inhibit_rules[0].equal[1]: must be a label name (got 3)',
      'am.yml: inhibit_rules[1]: must be a mapping with source_matchers, target_matchers and '
        + 'equal',
    ]],
  ];
  for (const [name, rules, issues] of cases) {
    assert.deepEqual(checkInhibitions(configWith(rules), alerts, 'am.yml'), issues, name);
  }
});

test('equal-label check rejects a non-mapping config', () => {
  assert.deepEqual(checkInhibitions(['a'], alerts, 'am.yml'),
    ['am.yml: (top level): must be a mapping with route, receivers and inhibit_rules']);
  assert.deepEqual(checkInhibitions({ inhibit_rules: {} }, alerts, 'am.yml'),
    ['am.yml: inhibit_rules: must be a list of inhibit rules']);
  assert.deepEqual(checkInhibitions({ route: {} }, alerts, 'am.yml'), []);
});

test('committed inhibit rules pass the check', async () => {
  const policy = policyAlertLabels(await loadSpecsDir(committedSpecsDir));
  const config: unknown = parse(await readFile(committedAlertmanagerPath, 'utf8'));
  assert.deepEqual(checkInhibitions(config, policy, 'alertmanager.yml'), []);
});

test('check catches the former page-over-warning rule', async () => {
  // The hand-written file compared alertname and job, which the SLO burn
  // alerts do not carry.
  const policy = policyAlertLabels(await loadSpecsDir(committedSpecsDir));
  const config = configWith(`
  - source_matchers: ['severity="page"']
    target_matchers: ['severity="warn"']
    equal: [alertname, job]`);
  assert.deepEqual(checkInhibitions(config, policy, 'alertmanager.yml'), [
    'alertmanager.yml: inhibit_rules[0].equal[1]: label "job" is not carried by alert '
      + 'SloErrorBudgetBurn (source)',
  ]);
});

test('failed check names every problem', () => {
  const config = configWith(`
  - source_matchers: ['alertname="InstanceDown"']
    target_matchers: ['alertname="HighCpuUsage"']
    equal: [slo, tier]`);
  assert.throws(() => assertInhibitions(config, alerts, 'am.yml'), assertSrekitError(
    'INVALID_CONFIG',
    /invalid inhibit rules \(2 problems\):\nam\.yml: inhibit_rules\[0\]\.equal\[0\]: .*\n.*equal\[1\][\s\S]*nothing was written/,
  ));
});

test('policy series labels match promtool tests', async () => {
  const tests = parse(await readFile(join(root, 'monitoring/prometheus/tests/alerts.test.yml'),
    'utf8')) as {
    tests: Array<{ alert_rule_test?: Array<{
      alertname: string; exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
    }> }>;
  };
  const expected = new Map<string, Set<string>>();
  for (const rule of tests.tests.flatMap((item) => item.alert_rule_test ?? [])) {
    for (const alert of rule.exp_alerts ?? []) {
      const labels = Object.keys(alert.exp_labels ?? {}).filter((name) => name !== 'severity');
      expected.set(rule.alertname, new Set([...(expected.get(rule.alertname) ?? []), ...labels]));
    }
  }
  for (const alert of alertPolicy) {
    assert.ok(expected.has(alert.name), `promtool tests have a firing case for ${alert.name}`);
    assert.deepEqual([...(policySeriesLabels[alert.name] ?? [])].sort(),
      [...(expected.get(alert.name) ?? [])].sort(), `labels of ${alert.name}`);
  }
});

test('generate writes nothing when the check fails', async (t) => {
  // An SLO labelled with an instance becomes a target of the InstanceDown
  // rule, which compares `job`, a label the SLO alerts do not carry.
  const dir = await mkdtemp(join(tmpdir(), 'srekit-am-specs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const spec = await readFile(join(committedSpecsDir, 'orders-api.yaml'), 'utf8');
  await writeFile(join(dir, 'orders-api.yaml'),
    spec.replace('service: orders-api\n', 'service: orders-api\nlabels:\n  instance: db-1\n'));
  const watched = [
    committedRulesPath, committedSloRulesPath, committedSloTestsPath, committedAlertmanagerPath,
  ];
  const before = await Promise.all(watched.map(async (path) => (await stat(path)).mtimeMs));

  const io = captureIo();
  assert.equal(await run(['slo', 'generate', '--specs', dir], io), 2);
  assert.match(io.err(), /error: invalid inhibit rules \(2 problems\):/);
  assert.match(io.err(), new RegExp('alertmanager\\.yml: inhibit_rules\\[0\\]\\.equal\\[0\\]: '
    + 'label "job" is not carried by alert SloErrorBudgetBurn \\(target\\)'));
  assert.match(io.err(), /label "job" is not carried by alert SloMetricsAbsent \(target\)/);
  assert.match(io.err(), /hint: .*nothing was written/);
  const after = await Promise.all(watched.map(async (path) => (await stat(path)).mtimeMs));
  assert.deepEqual(after, before);
});
