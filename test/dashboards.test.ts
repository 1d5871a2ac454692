import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  findFreePorts, spawnDetached, stopProcessGroup, waitForHttpReady,
} from '../src/common/process.js';
import { startTestService } from './helpers/service.js';

// Every panel query of the committed dashboards must parse in a real
// Prometheus, and every metric it names must come from something real: the
// service, node-exporter and Prometheus, each started here, or a rule file.
// cAdvisor needs Docker, so its names come from a fixture and are not
// checked live. A label matcher on a scraped metric must name one of its
// labels. The labels of recorded series, ALERTS and cAdvisor are not checked.

const root = fileURLToPath(new URL('../../', import.meta.url));
const dashboardsDir = join(root, 'monitoring/grafana/dashboards');
const rulesDir = join(root, 'monitoring/prometheus/rules');
const cadvisorFixture = join(root, 'test/fixtures/cadvisor-metrics.txt');

/** One query of a dashboard: a panel target or the selector of a variable. */
interface DashboardQuery {
  where: string;
  expr: string;
}

interface DashboardJson {
  title?: string;
  panels?: PanelJson[];
  templating?: { list?: Array<{ name?: string; type?: string; query?: unknown }> };
}

interface PanelJson {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: PanelJson[];
}

/** Lists the PromQL of every panel target and of every `label_values` variable. */
function dashboardQueries(file: string, dashboard: DashboardJson): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: PanelJson[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr !== undefined) {
          queries.push({ where: `${file}: panel "${panel.title ?? ''}"`, expr: target.expr });
        }
      }
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels ?? []);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query' || typeof variable.query !== 'string') continue;
    const selector = /^label_values\((.+), *\w+\)$/.exec(variable.query)?.[1];
    assert.ok(selector, `${file}: variable ${variable.name ?? ''} is not label_values(...)`);
    queries.push({ where: `${file}: variable ${variable.name ?? ''}`, expr: selector });
  }
  return queries;
}

/** Durations that Grafana puts in place of its built-in interval variables. */
const intervalValues: Record<string, string> = {
  __rate_interval: '1m', __interval: '1m', __range: '1h',
};

/**
 * Replaces the dashboard variables as Grafana would. Every other variable
 * is multi-value with `.*` for All, so it may appear only in a `=~` matcher,
 * where it becomes `.*`. A variable anywhere else throws.
 */
function substituteVariables(expr: string): string {
  const withIntervals = expr.replace(/\$\{?(__\w+)\}?/g, (text, name: string) => (
    intervalValues[name] ?? text));
  const withMatchers = withIntervals.replace(/=~"([^"]*)"/g, (_text, value: string) => (
    `=~"${value.replace(/\$\{?\w+\}?/g, '.*')}"`));
  const left = /\$\{?\w+\}?/.exec(withMatchers);
  if (left !== null) throw new Error(`variable ${left[0]} outside a =~ matcher in ${expr}`);
  return withMatchers;
}

const promqlKeywords = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'atan2', 'inf', 'nan',
]);

/**
 * Returns the metric names in a PromQL expression as Prometheus formats it:
 * the identifiers left after removing strings, label matchers, ranges,
 * grouping clauses and function or aggregation names.
 */
function metricNames(formatted: string): string[] {
  const bare = formatted
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const name = match[1] ?? '';
    if (!promqlKeywords.has(name.toLowerCase())) names.add(name);
  }
  return [...names].sort();
}

/** A program started for the tests, on a free loopback port. */
interface Server {
  url: string;
  stop(): Promise<void>;
}

async function startServer(
  name: string,
  command: string,
  args: (address: string) => string[],
  dir: string,
): Promise<Server> {
  const [port] = await findFreePorts(1);
  const address = `127.0.0.1:${port ?? 0}`;
  const logFile = join(dir, `${name}.log`);
  const child = await spawnDetached({ command, args: args(address), logFile, cwd: dir });
  const stop = async () => { await stopProcessGroup(child.pid, 5_000, child.startTime); };
  const ready = await waitForHttpReady(`http://${address}/metrics`, { timeoutMs: 20_000 });
  if (!ready.ready) {
    await stop();
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`${name} did not start (${ready.reason}: ${ready.lastError}):\n${log}`);
  }
  return { url: `http://${address}`, stop };
}

/**
 * Metric names that something exposes, each with its label names when they
 * are known, or undefined for a series whose labels are not checked.
 */
type ExposedMetrics = Map<string, Set<string> | undefined>;

/** Labels that Prometheus adds to every scraped series. */
const targetLabels = ['job', 'instance'];

/** Adds the metric names of a Prometheus text exposition, with their label names. */
async function addScrapedMetrics(url: string, exposed: ExposedMetrics): Promise<void> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200, `GET ${url}/metrics`);
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?/.exec(line);
    const name = match?.[1] ?? '';
    const labels = exposed.get(name) ?? new Set(targetLabels);
    for (const [, label = ''] of (match?.[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) {
      labels.add(label);
    }
    exposed.set(name, labels);
  }
}

/**
 * Returns the series that the committed rule files write: every recorded
 * name, and ALERTS and ALERTS_FOR_STATE, which Prometheus writes for
 * alerting rules.
 */
async function ruleSeries(): Promise<string[]> {
  const names: string[] = [];
  for (const file of (await readdir(rulesDir)).filter((name) => name.endsWith('.yml'))) {
    const rules = parse(await readFile(join(rulesDir, file), 'utf8')) as {
      groups: Array<{ rules: Array<{ record?: string; alert?: string }> }>;
    };
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      if (rule.record !== undefined) names.push(rule.record);
      if (rule.alert !== undefined) names.push('ALERTS', 'ALERTS_FOR_STATE');
    }
  }
  return names;
}

async function cadvisorNames(): Promise<string[]> {
  return (await readFile(cadvisorFixture, 'utf8')).split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Formats a query with Prometheus, which parses it: `{ formatted }` or `{ error }`. */
async function formatQuery(
  prometheusUrl: string,
  query: string,
): Promise<{ formatted: string } | { error: string }> {
  const response = await fetch(`${prometheusUrl}/api/v1/format_query`, {
    method: 'POST',
    body: new URLSearchParams({ query }),
  });
  const body = await response.json() as { status: string; data?: string; error?: string };
  if (body.status === 'success' && typeof body.data === 'string') return { formatted: body.data };
  return { error: body.error ?? `HTTP ${response.status}` };
}

interface QueryProblems {
  invalid: string[];
  unexposed: string[];
  unknownLabels: string[];
}

/** Lists the matcher labels of each selector that its metric does not have. */
function unknownLabels(formatted: string, exposed: ExposedMetrics): string[] {
  const unknown: string[] = [];
  const selectors = formatted.matchAll(/([a-zA-Z_:][\w:]*)\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g);
  for (const [, metric = '', matchers = ''] of selectors) {
    const labels = exposed.get(metric);
    if (labels === undefined) continue;
    for (const [, label = ''] of matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"/g)) {
      if (!labels.has(label)) unknown.push(`${metric} has no label ${label}`);
    }
  }
  return unknown;
}

/**
 * Parses every query in Prometheus and lists the invalid ones, the metrics
 * that nothing exposes, and the matcher labels that a metric does not have.
 */
async function checkQueries(
  prometheusUrl: string,
  queries: readonly DashboardQuery[],
  exposed: ExposedMetrics,
): Promise<QueryProblems> {
  const problems: QueryProblems = { invalid: [], unexposed: [], unknownLabels: [] };
  for (const query of queries) {
    let result: { formatted: string } | { error: string };
    try {
      result = await formatQuery(prometheusUrl, substituteVariables(query.expr));
    } catch (error) {
      result = { error: (error as Error).message };
    }
    if ('error' in result) {
      problems.invalid.push(`${query.where}: ${result.error}`);
      continue;
    }
    for (const name of metricNames(result.formatted)) {
      if (!exposed.has(name)) problems.unexposed.push(`${query.where}: ${name}`);
    }
    for (const problem of unknownLabels(result.formatted, exposed)) {
      problems.unknownLabels.push(`${query.where}: ${problem}`);
    }
  }
  return problems;
}

async function committedQueries(): Promise<DashboardQuery[]> {
  const files = (await readdir(dashboardsDir)).filter((name) => name.endsWith('.json')).sort();
  const queries: DashboardQuery[] = [];
  for (const file of files) {
    const text = await readFile(join(dashboardsDir, file), 'utf8');
    queries.push(...dashboardQueries(file, JSON.parse(text) as DashboardJson));
  }
  return queries;
}

const servers: Server[] = [];
let prometheus: Server;
const exposed: ExposedMetrics = new Map();
let workdir: string;

before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'srekit-dashboards-'));
  await writeFile(join(workdir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  prometheus = await startServer('prometheus', 'prometheus', (address) => [
    '--config.file=prometheus.yml', '--storage.tsdb.path=data', `--web.listen-address=${address}`,
  ], workdir);
  servers.push(prometheus);
  const nodeExporter = await startServer('node-exporter', 'prometheus-node-exporter',
    (address) => [`--web.listen-address=${address}`], workdir);
  servers.push(nodeExporter);
  const service = await startTestService();
  servers.push(service);

  // The HTTP and database histograms have no series until the first request.
  assert.equal((await fetch(`${service.url}/orders`)).status, 200);
  for (const url of [prometheus.url, nodeExporter.url, service.url]) {
    await addScrapedMetrics(url, exposed);
  }
  for (const name of [...await ruleSeries(), ...await cadvisorNames()]) {
    if (!exposed.has(name)) exposed.set(name, undefined);
  }
});

after(async () => {
  for (const server of servers.reverse()) await server.stop();
  if (workdir !== undefined) await rm(workdir, { recursive: true, force: true });
});

test('committed dashboards have queries', async () => {
  const queries = await committedQueries();
  const files = new Set(queries.map((query) => query.where.split(':')[0]));
  assert.deepEqual([...files].sort(), ['host.json', 'service-health.json', 'slos.json']);
  assert.ok(queries.length >= 25, `only ${queries.length} queries`);
});

test('every dashboard query parses as PromQL', async () => {
  const { invalid } = await checkQueries(prometheus.url, await committedQueries(), exposed);
  assert.deepEqual(invalid, []);
});

test('every queried metric is exposed', async () => {
  const { unexposed } = await checkQueries(prometheus.url, await committedQueries(), exposed);
  assert.deepEqual(unexposed, []);
});

test('check reports an unexposed metric', async () => {
  const dashboard: DashboardJson = {
    panels: [{
      title: 'Orders',
      targets: [
        { expr: 'sum by (route) (rate(orders_created_total{job=~"$job"}[$__rate_interval]))' },
        { expr: 'rate(http_requests_total{job=~"$job"}[$__rate_interval])' },
      ],
    }],
  };
  const problems = await checkQueries(prometheus.url, dashboardQueries('x.json', dashboard),
    exposed);
  assert.deepEqual(problems, {
    invalid: [], unexposed: ['x.json: panel "Orders": orders_created_total'], unknownLabels: [],
  });
});

test('every matcher label exists', async () => {
  const problems = await checkQueries(prometheus.url, await committedQueries(), exposed);
  assert.deepEqual(problems.unknownLabels, []);
});

test('check reports an unknown label', async () => {
  const dashboard: DashboardJson = {
    panels: [{
      title: 'Orders',
      targets: [{ expr: 'rate(http_requests_total{path="/orders", route=~"$route"}[5m])' }],
    }],
  };
  const problems = await checkQueries(prometheus.url, dashboardQueries('x.json', dashboard),
    exposed);
  assert.deepEqual(problems, {
    invalid: [], unexposed: [],
    unknownLabels: ['x.json: panel "Orders": http_requests_total has no label path'],
  });
});

test('check reports an invalid query', async () => {
  const dashboard: DashboardJson = {
    panels: [{ title: 'Broken', targets: [{ expr: 'sum(rate(http_requests_total[5m])' }] }],
  };
  const problems = await checkQueries(prometheus.url, dashboardQueries('x.json', dashboard),
    exposed);
  assert.equal(problems.invalid.length, 1);
  assert.match(problems.invalid[0] ?? '', /^x\.json: panel "Broken": .*unclosed left parenthesis/);
});

test('check rejects a variable outside a matcher', async () => {
  const dashboard: DashboardJson = {
    panels: [{ title: 'Quantile', targets: [{ expr: 'histogram_quantile($q, x_bucket)' }] }],
  };
  const problems = await checkQueries(prometheus.url, dashboardQueries('x.json', dashboard),
    exposed);
  assert.match(problems.invalid[0] ?? '', /variable \$q outside a =~ matcher/);
});

test('metric names skip functions and labels', () => {
  const formatted = 'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route=~"x"}[1m])))'
    + ' / on (job) group_left (b) b_total offset 5m and c:recorded unless count(d)';
  assert.deepEqual(metricNames(formatted), ['a_bucket', 'b_total', 'c:recorded', 'd']);
});
