import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { Command } from 'commander';
import { assertSrekitError } from '../../test/helpers/errors.js';
import { captureIo } from '../../test/helpers/io.js';
import { registerDashboardOutput } from './dashboard-command.js';
import {
  assertDashboardsCurrent, buildDashboards, committedDashboardsDir, renderDashboardFiles,
} from './dashboard-files.js';
import {
  cpuBusyThreshold, diskAvailableThreshold, memoryAvailableThreshold,
} from './host-alerts.js';
import { errorRatioThreshold, latencyP95Threshold } from './policy.js';
import { defaultRunbookBaseUrl } from './scale.js';
import {
  committedSpecsDir, findStaleFiles, loadSpecsDir, writeGeneratedFiles,
} from './slo-generate.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function committedDefinitions() {
  return loadSpecsDir(committedSpecsDir);
}

/** Returns the panels of a dashboard that are not row headers. */
function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).filter((panel): panel is Panel => panel.type !== 'row');
}

function findPanel(dashboard: Dashboard, title: string): Panel {
  const panel = panelsOf(dashboard).find((candidate) => candidate.title === title);
  assert.ok(panel, `${dashboard.title} has no panel "${title}"`);
  return panel;
}

function thresholdValues(panel: Panel): Array<number | null> {
  return (panel.fieldConfig?.defaults.thresholds?.steps ?? []).map((step) => step.value);
}

test('committed dashboards are current', async () => {
  const files = renderDashboardFiles(await committedDefinitions(), committedDashboardsDir);
  assert.deepEqual(await findStaleFiles(files), []);
});

test('rendering twice gives identical bytes', async () => {
  const definitions = await committedDefinitions();
  const first = renderDashboardFiles(definitions, '/out');
  const second = renderDashboardFiles(definitions, '/out');
  assert.deepEqual(second, first);
  assert.deepEqual(first.map((file) => file.path),
    ['/out/service-health.json', '/out/slos.json', '/out/host.json']);
  for (const file of first) assert.ok(file.content.endsWith('}\n'), file.path);
});

test('dashboards have stable distinct uids', async () => {
  const dashboards = Object.values(buildDashboards(await committedDefinitions()));
  assert.deepEqual(dashboards.map((dashboard) => dashboard.uid),
    ['srekit-service-health', 'srekit-slo', 'srekit-host']);
});

test('panels query the datasource variable', async () => {
  for (const dashboard of Object.values(buildDashboards(await committedDefinitions()))) {
    const variables = dashboard.templating?.list ?? [];
    assert.equal(variables[0]?.type, 'datasource', dashboard.title);
    assert.equal(variables[0]?.query, 'prometheus', dashboard.title);
    const ids = (dashboard.panels ?? []).map((panel) => panel.id);
    assert.deepEqual(ids, ids.map((_id, index) => index + 1), `${dashboard.title} panel ids`);
    for (const panel of panelsOf(dashboard)) {
      const where = `${dashboard.title}: ${panel.title ?? ''}`;
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, where);
      assert.ok(panel.fieldConfig?.defaults.unit, `${where} has no unit`);
      assert.ok((panel.targets ?? []).length > 0, `${where} has no query`);
    }
  }
});

test('thresholds come from the alert policy', async () => {
  const dashboards = buildDashboards(await committedDefinitions());
  const service = dashboards['service-health.json'];
  const host = dashboards['host.json'];
  const slos = dashboards['slos.json'];
  assert.ok(service);
  assert.ok(host);
  assert.ok(slos);
  const cases: Array<[Dashboard, string, number]> = [
    [service, '5xx ratio by route', errorRatioThreshold],
    [service, '5xx ratio over 10m', errorRatioThreshold],
    [service, 'p95 latency by route', latencyP95Threshold],
    [host, 'CPU busy', cpuBusyThreshold],
    [host, 'Memory available', memoryAvailableThreshold],
    [host, 'Disk space available', diskAvailableThreshold],
  ];
  for (const [dashboard, title, threshold] of cases) {
    assert.deepEqual(thresholdValues(findPanel(dashboard, title)), [null, threshold], title);
  }
  // The default tiers burn 6x (slow, ticket) and 14.4x (fast, page) for a 30-day period.
  const burn = findPanel(slos, 'Burn rate: availability');
  assert.deepEqual(thresholdValues(burn), [null, 6, 14.4]);
  assert.deepEqual(burn.fieldConfig?.defaults.thresholds?.steps.map((step) => step.color),
    ['green', 'yellow', 'red']);
});

test('SLO panels read the recorded series', async () => {
  const slos = buildDashboards(await committedDefinitions())['slos.json'];
  assert.ok(slos);
  const expressions = (title: string) => (findPanel(slos, title).targets ?? [])
    .map((target) => String((target as { expr?: string }).expr));
  const selector = '{service="orders-api", slo="availability"}';
  assert.deepEqual(expressions('Burn rate: availability'), ['5m', '30m', '1h', '6h']
    .map((window) => `slo:sli_error:ratio_rate${window}${selector} / 0.001`));
  assert.deepEqual(expressions('Error budget left: availability'),
    [`slo:period_error_budget_remaining:ratio${selector}`]);
  assert.deepEqual(expressions('Firing SLO alerts'),
    ['ALERTS{alertname=~"SloErrorBudgetBurn|SloMetricsAbsent", alertstate="firing"}']);
});

test('runbook links point at runbook files', async () => {
  let links = 0;
  for (const dashboard of Object.values(buildDashboards(await committedDefinitions()))) {
    for (const panel of panelsOf(dashboard)) {
      for (const link of panel.links ?? []) {
        links += 1;
        const file = /^http:\/\/127\.0\.0\.1:19095\/runbooks\/([a-z0-9-]+\.md)$/
          .exec(link.url ?? '')?.[1];
        assert.ok(file, `${panel.title ?? ''} links ${link.url ?? ''}`);
        await access(join(root, 'docs/runbooks', file));
      }
    }
  }
  assert.equal(links, 10);
});

test('runbook base URL sets the links', async () => {
  const dashboards = buildDashboards(await committedDefinitions(), {
    runbookBaseUrl: 'https://runbooks.example.com/srekit',
  });
  const service = dashboards['service-health.json'];
  assert.ok(service);
  assert.deepEqual(findPanel(service, 'p95 latency by route').links?.map((link) => link.url),
    ['https://runbooks.example.com/srekit/high-latency-p95.md']);
});

test('stale or missing dashboards fail the check', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-dashboards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = renderDashboardFiles(await committedDefinitions(), dir);
  await writeGeneratedFiles(files);
  await assertDashboardsCurrent(files, (path) => path);

  await writeFile(join(dir, 'host.json'), '{}\n');
  await rm(join(dir, 'slos.json'));
  await assert.rejects(assertDashboardsCurrent(files, (path) => path), assertSrekitError(
    'CHECK_FAILED', new RegExp(`${dir}/slos\\.json is missing; ${dir}/host\\.json is stale`)));
  assert.equal(await readFile(join(dir, 'host.json'), 'utf8'), '{}\n');
});

/** Creates a `slo generate` command with only the dashboard hooks, writing into `dir`. */
function dashboardGenerate(dir: string) {
  const io = captureIo();
  const slo = new Command('slo').exitOverride();
  slo.command('generate')
    .option('--check')
    .option('--profile <name>', 'profile', 'production')
    .option('-o, --output <file>')
    .option('--runbook-base-url <url>')
    .option('--specs <dir>')
    .action(() => undefined);
  registerDashboardOutput(slo, { io, setExitCode: () => undefined }, dir);
  const generate = (...args: string[]) => slo.parseAsync(['generate', ...args], { from: 'user' });
  return { io, generate };
}

test('generate writes and checks dashboards', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-dashboards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const written = dashboardGenerate(dir);
  // The CLI passes the rules' default base, which the dashboards replace with their own.
  await written.generate('--runbook-base-url', defaultRunbookBaseUrl);
  assert.match(written.io.err(), /^wrote 3 dashboards to .*srekit-dashboards-/);
  const files = renderDashboardFiles(await committedDefinitions(), dir);
  assert.deepEqual(await findStaleFiles(files), []);

  const checked = dashboardGenerate(dir);
  await checked.generate('--check');
  assert.match(checked.io.err(), /^the dashboards in .* are up to date\n$/);

  await writeFile(join(dir, 'slos.json'), '{}\n');
  await assert.rejects(dashboardGenerate(dir).generate('--check'),
    assertSrekitError('CHECK_FAILED', /slos\.json is stale/));
});

test('generate skips dashboards for other outputs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-dashboards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const args of [['--profile', 'gameday'], ['-o', '-']]) {
    const { io, generate } = dashboardGenerate(dir);
    await generate(...args);
    assert.equal(io.err(), '', args.join(' '));
    assert.deepEqual(await readdir(dir), [], args.join(' '));
  }
});

test('generate writes nothing for invalid specs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-dashboards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const specs = join(dir, 'specs');
  await mkdir(specs);
  await writeFile(join(specs, 'bad.yaml'), 'apiVersion: srekit.dev/v1\nservice: x\n');
  const output = join(dir, 'dashboards');
  await assert.rejects(dashboardGenerate(output).generate('--specs', specs),
    assertSrekitError('INVALID_CONFIG', /bad\.yaml: slos: is required/));
  await assert.rejects(access(output), { code: 'ENOENT' });
});
