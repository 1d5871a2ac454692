import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  committedAlertmanagerPath, gamedayProfile, parseDuration, policyAlertLabels, productionProfile,
  renderAlertmanagerConfig, renderAlertmanagerFile, routeTiming, type AlertmanagerConfig,
  type Profile, type SeverityLabel,
} from '../src/slo/index.js';
import { assertAlertmanagerFileCurrent, renderCheckedAlertmanagerFile } from '../src/slo/routing-file.js';
import { committedSpecsDir, loadSpecsDir } from '../src/slo/slo-generate.js';
import { endpointsFor, portsFromBase, renderStackConfigs, stackLayout } from '../src/stack/index.js';
import { assertSrekitError } from './helpers/errors.js';

interface ToolResult {
  code: number;
  stdout: string;
  output: string;
}

function amtool(args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile('amtool', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

test('committed alertmanager.yml matches the routing', async () => {
  const alerts = policyAlertLabels(await loadSpecsDir(committedSpecsDir));
  const expected = renderCheckedAlertmanagerFile(productionProfile, alerts, 'alertmanager.yml');
  const committed = await readFile(committedAlertmanagerPath, 'utf8');
  assert.equal(committed, expected,
    'alertmanager.yml is stale: run `srekit slo generate` and commit it');
});

test('amtool accepts the committed file', async () => {
  // The token file /run/secrets/incident-token exists only in the compose
  // containers, and amtool 0.25 accepts the configuration without it.
  const result = await amtool(['check-config', committedAlertmanagerPath]);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /SUCCESS/);
  assert.match(result.output, /4 inhibit rules/);
  assert.match(result.output, /4 receivers/);
});

test('amtool routes each severity to its receiver', async () => {
  const cases: Array<[labels: string[], receiver: string]> = [
    [['alertname=InstanceDown', 'severity=page'], 'page'],
    [['alertname=HighLatencyP95', 'severity=warn'], 'warn'],
    [['alertname=SloErrorBudgetBurn', 'severity=ticket'], 'ticket'],
    [['alertname=Watchdog', 'severity=none'], 'deadmansswitch'],
    [['alertname=NoSeverity'], 'warn'],
    [['alertname=UnknownSeverity', 'severity=critical'], 'warn'],
  ];
  for (const [labels, receiver] of cases) {
    const result = await amtool([
      'config', 'routes', 'test', `--config.file=${committedAlertmanagerPath}`,
      `--verify.receivers=${receiver}`, ...labels,
    ]);
    assert.equal(result.code, 0, `${labels.join(' ')}: ${result.output}`);
    assert.equal(result.stdout.trim(), receiver, labels.join(' '));
  }
});

test('amtool reports a wrong receiver', async () => {
  const result = await amtool([
    'config', 'routes', 'test', `--config.file=${committedAlertmanagerPath}`,
    '--verify.receivers=warn', 'severity=page',
  ]);
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /WARNING: Expected receivers did not match resolved receivers/);
});

test('page receiver notifies pager and incident server', () => {
  const config = renderAlertmanagerConfig(productionProfile);
  const urls = Object.fromEntries(config.receivers.map((receiver) => [
    receiver.name, receiver.webhook_configs.map((webhook) => webhook.url)]));
  assert.deepEqual(urls, {
    page: ['http://127.0.0.1:19095/page', 'http://127.0.0.1:19096/v1/webhooks/alertmanager'],
    warn: ['http://127.0.0.1:19095/warn'],
    ticket: ['http://127.0.0.1:19095/ticket'],
    deadmansswitch: ['http://127.0.0.1:19095/deadmansswitch'],
  });
});

test('incident webhook sends the token from a file', () => {
  const config = renderAlertmanagerConfig(productionProfile);
  const webhooks = config.receivers.flatMap((receiver) => receiver.webhook_configs);
  const withToken = webhooks.filter((webhook) => webhook.http_config !== undefined);
  assert.deepEqual(withToken.map((webhook) => webhook.url),
    ['http://127.0.0.1:19096/v1/webhooks/alertmanager']);
  assert.deepEqual(withToken[0]?.http_config, {
    authorization: { type: 'Bearer', credentials_file: '/run/secrets/incident-token' },
  });
  assert.equal(withToken[0]?.send_resolved, true);
});

test('webhook URLs default to the stack listeners', () => {
  const config = renderAlertmanagerConfig(productionProfile);
  const endpoints = endpointsFor(portsFromBase());
  for (const webhook of config.receivers.flatMap((r) => r.webhook_configs)) {
    const expected = webhook.http_config === undefined
      ? `${endpoints.receiver}/`
      : `${endpoints.incident}/v1/webhooks/alertmanager`;
    assert.ok(webhook.url.startsWith(expected), webhook.url);
  }
});

/** The severity whose timing each receiver's route takes. */
const routeSeverity: Record<string, SeverityLabel> = {
  page: 'page', warn: 'warn', ticket: 'ticket', deadmansswitch: 'none',
};

function assertTimings(config: AlertmanagerConfig, profile: Profile): void {
  for (const route of [config.route, ...(config.route.routes ?? [])]) {
    const timing = routeTiming(profile, routeSeverity[route.receiver] ?? 'warn');
    assert.deepEqual(
      [route.group_wait, route.group_interval, route.repeat_interval].map(parseDuration),
      [timing.groupWait, timing.groupInterval, timing.repeatInterval],
      `${profile.name} timing of the route to ${route.receiver}, in seconds`,
    );
  }
}

test('route timings follow the profile', () => {
  for (const profile of [productionProfile, gamedayProfile]) {
    assertTimings(renderAlertmanagerConfig(profile), profile);
  }
});

test('generated file keeps the reasons as comments', () => {
  const text = renderAlertmanagerFile(productionProfile);
  assert.match(text, /^# Generated by `srekit slo generate` from src\/slo\/routing\.ts/);
  assert.match(text, /# Alerts are grouped by name, job, service and SLO/);
  assert.match(text, /# Pages wake someone up\./);
  assert.match(text, /# A target that cannot be scraped explains every other alert/);
  assert.match(text, /# A page also opens an incident\./);
  assert.deepEqual(parse(text), renderAlertmanagerConfig(productionProfile));
});

test('stack renders routing for its receiver', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-am-stack-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const layout = stackLayout(dir);
  const ports = portsFromBase(41090);
  await renderStackConfigs({ layout, profile: gamedayProfile, ports });

  const text = await readFile(layout.alertmanagerConfig, 'utf8');
  const config = parse(text) as AlertmanagerConfig;
  assert.deepEqual(config, renderAlertmanagerConfig(gamedayProfile, {
    webhookBaseUrl: 'http://127.0.0.1:41095',
    incidentServerUrl: 'http://127.0.0.1:41096',
    incidentTokenFile: layout.incidentTokenFile,
  }));
  assert.match(text, /^# Generated by `srekit stack up` .*\n# for the gameday profile/);
  assert.match(text, /# A page also opens an incident\./);
  assert.deepEqual(config.receivers[0]?.webhook_configs.map((webhook) => webhook.url),
    ['http://127.0.0.1:41095/page', 'http://127.0.0.1:41096/v1/webhooks/alertmanager']);
  assert.equal(config.receivers[0]?.webhook_configs[1]?.http_config?.authorization
    .credentials_file, join(dir, 'incident-token'));
  assertTimings(config, gamedayProfile);
  const result = await amtool(['check-config', layout.alertmanagerConfig]);
  assert.equal(result.code, 0, result.output);
});

test('check reports a stale or missing file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-am-check-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'alertmanager.yml');
  const expected = renderAlertmanagerFile(productionProfile);

  await assert.rejects(assertAlertmanagerFileCurrent(path, expected, 'am.yml'),
    assertSrekitError('CHECK_FAILED', /Alertmanager configuration am\.yml is missing/));
  await writeFile(path, expected.replace('group_wait: 10s', 'group_wait: 20s'));
  await assert.rejects(assertAlertmanagerFileCurrent(path, expected, 'am.yml'),
    assertSrekitError('CHECK_FAILED', /am\.yml is stale[\s\S]*run `srekit slo generate`/));
  await writeFile(path, expected);
  await assertAlertmanagerFileCurrent(path, expected, 'am.yml');
});
