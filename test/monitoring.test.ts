import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  alertPolicy, gamedayProfile, parseDuration, productionProfile, renderRules, scaleAlerts,
  type NotificationTiming, type Profile,
} from '../src/slo/index.js';
import { portsFromBase, renderStackConfigs, stackLayout, type StackLayout } from '../src/stack/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const monitoring = join(root, 'monitoring');
const committed = {
  prometheus: join(monitoring, 'prometheus/prometheus.yml'),
  rules: join(monitoring, 'prometheus/rules/alerts.yml'),
  tests: join(monitoring, 'prometheus/tests/alerts.test.yml'),
  backupRules: join(monitoring, 'prometheus/rules/backup.yml'),
  backupTests: join(monitoring, 'prometheus/tests/backup.test.yml'),
  gamedayTests: join(monitoring, 'prometheus/tests/gameday/alerts.test.yml'),
  alertmanager: join(monitoring, 'alertmanager/alertmanager.yml'),
};

interface ToolResult {
  code: number;
  output: string;
}

/** Runs a tool and returns its exit code with stdout and stderr together. */
function runTool(command: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 127;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

async function assertToolPasses(command: string, args: string[], expected: RegExp): Promise<void> {
  const result = await runTool(command, args);
  assert.equal(result.code, 0, `${command} ${args.join(' ')} failed:\n${result.output}`);
  assert.match(result.output, expected);
}

async function renderInto(
  profile: Profile,
): Promise<{ layout: StackLayout; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-monitoring-'));
  const layout = stackLayout(dir);
  await renderStackConfigs({ layout, profile, ports: portsFromBase(39090) });
  return { layout, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

interface AlertmanagerRoute {
  receiver: string;
  group_wait: string;
  group_interval: string;
  repeat_interval: string;
  routes?: AlertmanagerRoute[];
}

interface AlertmanagerConfig {
  route: AlertmanagerRoute;
  receivers: Array<{ name: string; webhook_configs: Array<{ url: string }> }>;
}

/** promtool's count of the policy's rules, from check rules and check config. */
const ruleCount = new RegExp(`SUCCESS: ${alertPolicy.length} rules found`);
/** Both the committed and the rendered config load the policy's rules and the SLO rules. */
const configWithRules = new RegExp(
  `SUCCESS: 2 rule files found[\\s\\S]*${ruleCount.source}[\\s\\S]*slos\\.yml`);
/** The committed config also loads the backup rules; the stack leaves them out. */
const committedConfigWithRules = new RegExp(`SUCCESS: 3 rule files found[\\s\\S]*`
  + `${ruleCount.source}[\\s\\S]*slos\\.yml[\\s\\S]*backup\\.yml\\s+SUCCESS: 6 rules found`);

function expectedTiming(profile: Profile, receiver: string): NotificationTiming {
  if (receiver === 'deadmansswitch') return profile.heartbeat;
  const severity = receiver as keyof Profile['notifications'];
  return profile.notifications[severity];
}

function assertRouteTiming(config: AlertmanagerConfig, profile: Profile): void {
  const routes = [config.route, ...(config.route.routes ?? [])];
  assert.deepEqual(routes.map((route) => route.receiver),
    ['warn', 'page', 'warn', 'ticket', 'deadmansswitch']);
  for (const route of routes) {
    const timing = expectedTiming(profile, route.receiver);
    assert.deepEqual(
      [route.group_wait, route.group_interval, route.repeat_interval].map(parseDuration),
      [timing.groupWait, timing.groupInterval, timing.repeatInterval],
      `timing of the route to ${route.receiver}, in seconds`,
    );
  }
}

test('promtool accepts the committed config', async () => {
  await assertToolPasses('promtool', ['check', 'config', committed.prometheus],
    committedConfigWithRules);
});

test('promtool passes the backup rules and tests', async () => {
  await assertToolPasses('promtool', ['check', 'rules', committed.backupRules],
    /SUCCESS: 6 rules found/);
  await assertToolPasses('promtool', ['test', 'rules', committed.backupTests], /SUCCESS/);
});

test('promtool accepts the committed rules', async () => {
  await assertToolPasses('promtool', ['check', 'rules', committed.rules], ruleCount);
});

test('promtool unit tests pass on committed rules', async () => {
  await assertToolPasses('promtool', ['test', 'rules', committed.tests], /SUCCESS/);
});

test('amtool accepts the committed config', async () => {
  await assertToolPasses('amtool', ['check-config', committed.alertmanager],
    /SUCCESS[\s\S]*4 inhibit rules[\s\S]*4 receivers/);
});

test('committed routes use the production timing', async () => {
  const config = parse(await readFile(committed.alertmanager, 'utf8')) as AlertmanagerConfig;
  assertRouteTiming(config, productionProfile);
});

test('every alert links its runbook', async () => {
  for (const alert of scaleAlerts(productionProfile)) {
    const runbook = await readFile(join(root, alert.annotations.runbook_url), 'utf8');
    const title = runbook.split('\n', 1)[0];
    assert.equal(title, `# ${alert.name}`, `title of ${alert.annotations.runbook_url}`);
  }
});

test('promtool rejects a broken rule file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-broken-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broken = join(dir, 'alerts.yml');
  const rules = await readFile(committed.rules, 'utf8');
  await writeFile(broken, rules.replace('expr: up == 0', 'expr: up == (0'));
  const result = await runTool('promtool', ['check', 'rules', broken]);
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /FAILED/);
  assert.match(result.output, /parse error/);
});

test('promtool unit tests catch a changed threshold', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-threshold-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'rules'));
  await mkdir(join(dir, 'tests'));
  const rules = await readFile(committed.rules, 'utf8');
  await writeFile(join(dir, 'rules/alerts.yml'), rules.replace(') > 0.05', ') > 0.5'));
  await copyFile(committed.tests, join(dir, 'tests/alerts.test.yml'));
  const result = await runTool('promtool', ['test', 'rules', join(dir, 'tests/alerts.test.yml')]);
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /HighErrorRatio fires 2m after errors pass 5%/);
});

test('gameday render passes promtool and amtool', async (t) => {
  const { layout, cleanup } = await renderInto(gamedayProfile);
  t.after(cleanup);
  await assertToolPasses('promtool', ['check', 'config', layout.prometheusConfig],
    configWithRules);
  await assertToolPasses('promtool', ['check', 'rules', layout.rulesFile], ruleCount);
  await assertToolPasses('promtool', ['check', 'rules', layout.sloRulesFile], /SUCCESS/);
  await assertToolPasses('amtool', ['check-config', layout.alertmanagerConfig], /SUCCESS/);
});

test('promtool unit tests pass on gameday rules', async (t) => {
  // The header of the gameday cases describes this layout: the rules from
  // `srekit slo generate --profile gameday` at rules/alerts.yml beside them.
  const dir = await mkdtemp(join(tmpdir(), 'srekit-gameday-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'rules'));
  await writeFile(join(dir, 'rules/alerts.yml'), renderRules(gamedayProfile));
  await copyFile(committed.gamedayTests, join(dir, 'alerts.test.yml'));
  await assertToolPasses('promtool', ['test', 'rules', join(dir, 'alerts.test.yml')], /SUCCESS/);
});

test('gameday render sets intervals and targets', async (t) => {
  const { layout, cleanup } = await renderInto(gamedayProfile);
  t.after(cleanup);
  const prometheus = parse(await readFile(layout.prometheusConfig, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  assert.deepEqual(prometheus.global, {
    scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s',
    external_labels: { replica: '${PROMETHEUS_REPLICA}' },
  });
  assert.deepEqual(prometheus.rule_files, ['rules/alerts.yml', 'rules/slos.yml']);
  assert.deepEqual(prometheus.alerting.alertmanagers[0]?.static_configs[0]?.targets,
    ['127.0.0.1:39091']);
  const targets = Object.fromEntries(prometheus.scrape_configs.map(
    (job) => [job.job_name, job.static_configs.flatMap((config) => config.targets)]));
  assert.deepEqual(targets, {
    prometheus: ['127.0.0.1:39090'],
    alertmanager: ['127.0.0.1:39091'],
    node: ['127.0.0.1:39092'],
    'orders-api': ['127.0.0.1:39093'],
    incident: ['127.0.0.1:39096'],
  });

  const alertmanager = parse(await readFile(layout.alertmanagerConfig, 'utf8')) as AlertmanagerConfig;
  assertRouteTiming(alertmanager, gamedayProfile);
  const urls = alertmanager.receivers.map((receiver) => receiver.webhook_configs[0]?.url);
  assert.deepEqual(urls, ['page', 'warn', 'ticket', 'deadmansswitch']
    .map((name) => `http://127.0.0.1:39095/${name}`));

  const rules = await readFile(layout.rulesFile, 'utf8');
  assert.match(rules, /for the gameday profile/);
  assert.match(rules, /runbook_url: http:\/\/127\.0\.0\.1:39095\/runbooks\/instance-down\.md/);

  // The SLO windows shrink twenty times too: 1h and 5m become 3m and 15s.
  const sloRules = await readFile(layout.sloRulesFile, 'utf8');
  assert.match(sloRules, /Generated by `srekit stack up`/);
  assert.match(sloRules, /ratio_rate3m\{[^}]*\} >= 0\.0144\n\s*and\n\s*\S*ratio_rate15s/);
  assert.match(sloRules, /interval: 3s/);
  assert.doesNotMatch(sloRules, /\[1h\]|\[5m\]/);
  assert.match(sloRules,
    /runbook_url: http:\/\/127\.0\.0\.1:39095\/runbooks\/slo-error-budget-burn\.md/);
});
