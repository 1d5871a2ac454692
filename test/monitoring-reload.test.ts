import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { run } from '../src/cli.js';
import {
  findFreePorts, spawnDetached, stopProcessGroup, waitForHttpReady,
} from '../src/common/process.js';
import { startStack } from '../src/stack/index.js';
import { captureIo } from './helpers/io.js';
import { tempStackWorkdir } from './helpers/stack-workdir.js';
import { freeStackPorts } from './helpers/stack-ports.js';

const monitoring = fileURLToPath(new URL('../../monitoring', import.meta.url));

interface CliResult {
  code: number;
  out: string;
  err: string;
}

async function srekit(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const io = captureIo(env);
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies the committed monitoring directory into a new temporary directory. */
async function copyMonitoring(t: TestContext): Promise<string> {
  const dir = join(await tempDir(t, 'srekit-monitoring-'), 'monitoring');
  await cp(monitoring, dir, { recursive: true });
  return dir;
}

async function editFile(path: string, edit: (text: string) => string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const edited = edit(text);
  assert.notEqual(edited, text, `the edit changes ${path}`);
  await writeFile(path, edited);
}

/** Returns `path` as the commands print it: relative when it lies below the current directory. */
function shown(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === '' || relativePath.startsWith('..') ? path : relativePath;
}

/** Returns the line of `check` on `file`, which must appear exactly once. */
function checkLine(out: string, check: string, file: string): string {
  const lines = out.split('\n')
    .filter((line) => /^(ok|failed) /.test(line) && line.includes(` ${check} `))
    .filter((line) => line.endsWith(` ${shown(file)}`));
  assert.equal(lines.length, 1, `one line of ${check} on ${file} in:\n${out}`);
  return lines[0] ?? '';
}

test('check passes on the committed directory', async () => {
  const result = await srekit(['monitoring', 'check', '--dir', monitoring]);
  assert.equal(result.code, 0, `${result.out}\n${result.err}`);
  const lines = result.out.split('\n').filter((line) => line !== '');
  assert.ok(lines.every((line) => line.startsWith('ok ')), result.out);
  const expected: Array<[string, string]> = [
    ['promtool check config', 'prometheus/prometheus.yml'],
    ['promtool test rules', 'prometheus/tests/alerts.test.yml'],
    ['promtool test rules', 'prometheus/tests/gameday/alerts.test.yml'],
    ['promtool test rules', 'prometheus/tests/slos.test.yml'],
    ['amtool check-config', 'alertmanager/alertmanager.yml'],
    ['inhibit_rules equal labels', 'alertmanager/alertmanager.yml'],
    ['srekit slo generate --check', 'prometheus/rules/alerts.yml'],
    ['srekit slo generate --check', 'alertmanager/alertmanager.yml'],
    ['srekit slo generate --check', 'prometheus/rules/slos.yml'],
    ['srekit slo generate --check', 'prometheus/tests/slos.test.yml'],
    ['srekit slo generate --check', 'grafana/dashboards/slos.json'],
  ];
  for (const [check, file] of expected) {
    assert.match(checkLine(result.out, check, join(monitoring, file)), /^ok /);
  }
});

const brokenCopies: Array<{ name: string; file: string; edit: (text: string) => string;
  check: string; message: RegExp; }> = [
  {
    name: 'a broken prometheus.yml',
    file: 'prometheus/prometheus.yml',
    edit: (text) => text.replace('scrape_interval: 15s', 'scrape_interval: fast'),
    check: 'promtool check config',
    message: /not a valid duration string/,
  },
  {
    name: 'a broken rule',
    file: 'prometheus/rules/alerts.yml',
    edit: (text) => text.replace('expr: up == 0', 'expr: up == (0'),
    check: 'promtool check config',
    message: /alerts\.yml: \d+:\d+: .*InstanceDown.*parse error/,
  },
  {
    name: 'a failing promtool test',
    file: 'prometheus/tests/alerts.test.yml',
    edit: (text) => text.replace('severity: page', 'severity: ticket'),
    check: 'promtool test rules',
    message: /FAILED/,
  },
  {
    name: 'a broken alertmanager.yml',
    file: 'alertmanager/alertmanager.yml',
    edit: (text) => text.replace('receiver: warn', 'receiver: nobody'),
    check: 'amtool check-config',
    message: /undefined receiver "nobody"/,
  },
  {
    name: 'an unknown inhibit label',
    file: 'alertmanager/alertmanager.yml',
    edit: (text) => text.replace(/equal: \[([^\]]*)\]/, 'equal: [$1, datacenter]'),
    check: 'inhibit_rules equal labels',
    message: /inhibit_rules\[0\]\.equal\[\d\]: label "datacenter"/,
  },
  {
    name: 'a stale generated file',
    file: 'prometheus/rules/alerts.yml',
    edit: (text) => `${text}# edited by hand\n`,
    check: 'srekit slo generate --check',
    message: /the file is stale: it must equal the rules that src\/slo\/policy\.ts renders/,
  },
];

for (const broken of brokenCopies) {
  test(`check fails on ${broken.name}`, async (t) => {
    const dir = await copyMonitoring(t);
    await editFile(join(dir, broken.file), broken.edit);
    const result = await srekit(['monitoring', 'check', '--dir', dir]);
    assert.equal(result.code, 1, result.out);
    // A broken rule file fails the config check, which names the rule file.
    const checked = broken.check === 'promtool check config'
      ? join(dir, 'prometheus/prometheus.yml') : join(dir, broken.file);
    assert.match(checkLine(result.out, broken.check, checked), /^failed /);
    assert.match(result.out, broken.message);
    assert.match(result.err, /monitoring checks failed: .*\[CHECK_FAILED\]/);
    assert.ok(result.err.includes(checked), result.err);
  });
}

test('check --json prints one tagged object per check', async (t) => {
  const dir = await copyMonitoring(t);
  await editFile(join(dir, 'alertmanager/alertmanager.yml'),
    (text) => text.replace('receiver: warn', 'receiver: nobody'));
  const result = await srekit(['monitoring', 'check', '--json',
    '--alertmanager-config', join(dir, 'alertmanager/alertmanager.yml')]);
  assert.equal(result.code, 1, result.err);
  const records = result.out.trim().split('\n').map((line) => JSON.parse(line) as {
    type: string; check: string; file: string; status: string; message?: string;
  });
  assert.deepEqual(records.map((record) => [record.type, record.check, record.status]),
    [['check', 'amtool check-config', 'failed'], ['check', 'inhibit_rules equal labels', 'ok']]);
  assert.equal(records[0]?.file, join(dir, 'alertmanager/alertmanager.yml'));
  assert.match(records[0]?.message ?? '', /undefined receiver "nobody"/);
});

test('check reports a missing promtool', async (t) => {
  const emptyPath = await tempDir(t, 'srekit-path-');
  const result = await srekit(['monitoring', 'check'], { PATH: emptyPath });
  assert.equal(result.code, 1);
  assert.match(result.err, /could not find promtool and amtool on PATH.*\[MISSING_BINARY\]/);
  assert.match(result.err, /apt-get install prometheus prometheus-alertmanager/);
  assert.equal(result.out, '');
});

test('check and reload reject bad usage', async (t) => {
  const missing = join(await tempDir(t, 'srekit-usage-'), 'nothing-here');
  const cases: Array<{ args: string[]; message: RegExp }> = [
    { args: ['check', '--dir', missing], message: /invalid --dir .*nothing-here: cannot read it/ },
    { args: ['check', '--dir', monitoring, '--prometheus-config', join(monitoring, 'x.yml')],
      message: /--dir cannot be combined with --prometheus-config/ },
    { args: ['check', '--dir', join(monitoring, 'prometheus')],
      message: /prometheus\/prometheus\.yml is missing/ },
    { args: ['check', '--prometheus-config', missing], message: /invalid --prometheus-config/ },
    { args: ['reload', '--prometheus', 'ftp://127.0.0.1:9090', '--dir', monitoring],
      message: /invalid URL "ftp:\/\/127\.0\.0\.1:9090": expected http:\/\/ or https:\/\// },
    { args: ['reload', '--prometheus', 'not a url', '--dir', monitoring],
      message: /invalid URL "not a url"/ },
    { args: ['reload', '--prometheus', 'http://127.0.0.1:9090'],
      message: /--prometheus needs the config that the server loads/ },
    { args: ['reload', '--dir', monitoring],
      message: /--dir, --prometheus-config and --alertmanager-config apply only with/ },
  ];
  for (const { args, message } of cases) {
    const result = await srekit(['monitoring', ...args]);
    assert.equal(result.code, 2, `srekit monitoring ${args.join(' ')}: ${result.err}`);
    assert.match(result.err, message);
    assert.equal(result.out, '', `srekit monitoring ${args.join(' ')} printed nothing`);
  }
});

test('reload names an unreachable server', async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/`;
  const result = await srekit(['monitoring', 'reload', '--prometheus', url,
    '--prometheus-config', join(monitoring, 'prometheus/prometheus.yml')]);
  assert.equal(result.code, 1, result.err);
  assert.ok(result.err.includes(`could not read the reload state of prometheus at ${url}`),
    result.err);
  assert.match(result.err, /ECONNREFUSED.*nothing was reloaded \[RELOAD_FAILED\]/);
});

test('reload without URLs needs a running stack', async (t) => {
  const workdir = await tempDir(t, 'srekit-stack-');
  const result = await srekit(['monitoring', 'reload', '--workdir', workdir]);
  assert.equal(result.code, 1);
  assert.match(result.err, /the local stack is not running in .*\[STACK_NOT_RUNNING\]/);
  assert.equal(result.out, '');
});

/** Returns a loopback port that was just listened on and closed, so connecting to it fails. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null, 'the server listens');
  assert.ok(typeof address === 'object', 'the server listens on TCP');
  return address.port;
}

interface RunningServers {
  prometheus: string;
  alertmanager: string;
}

/**
 * Starts Prometheus (with --web.enable-lifecycle) and Alertmanager on the
 * configs in `dir`, a copy of monitoring/. The copy is first pointed at
 * them and at a webhook sink of the test, so that no request leaves the
 * servers this test starts. Everything stops when the test ends.
 */
async function startServers(t: TestContext, dir: string): Promise<RunningServers> {
  const [prometheusPort, alertmanagerPort] = await findFreePorts(2);
  assert.ok(prometheusPort !== undefined, 'a port for Prometheus');
  assert.ok(alertmanagerPort !== undefined, 'a port for Alertmanager');
  const sink = await startWebhookSink(t);
  await pointConfigsAt(dir, { prometheusPort, alertmanagerPort, sink });

  const logs = await tempDir(t, 'srekit-reload-logs-');
  const prometheus = `http://127.0.0.1:${prometheusPort}/`;
  const alertmanager = `http://127.0.0.1:${alertmanagerPort}/`;
  await startServer(t, prometheus, {
    command: 'prometheus',
    args: [`--config.file=${join(dir, 'prometheus/prometheus.yml')}`,
      `--storage.tsdb.path=${join(logs, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--web.enable-lifecycle', '--enable-feature=expand-external-labels'],
    logFile: join(logs, 'prometheus.log'),
  });
  await startServer(t, alertmanager, {
    command: 'prometheus-alertmanager',
    args: [`--config.file=${join(dir, 'alertmanager/alertmanager.yml')}`,
      `--storage.path=${join(logs, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${alertmanagerPort}`, '--cluster.listen-address='],
    logFile: join(logs, 'alertmanager.log'),
  });
  return { prometheus, alertmanager };
}

async function startServer(
  t: TestContext,
  url: string,
  options: { command: string; args: string[]; logFile: string },
): Promise<void> {
  const started = await spawnDetached(options);
  t.after(() => stopProcessGroup(started.pid, 5_000, started.startTime));
  const ready = await waitForHttpReady(new URL('-/ready', url).href, { timeoutMs: 30_000 });
  if (!ready.ready) {
    const log = await readFile(options.logFile, 'utf8');
    assert.fail(`${options.command} did not become ready (${ready.reason}):\n${log}`);
  }
}

async function startWebhookSink(t: TestContext): Promise<string> {
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => response.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  assert.ok(address !== null, 'the server listens');
  assert.ok(typeof address === 'object', 'the server listens on TCP');
  return `http://127.0.0.1:${address.port}`;
}

async function pointConfigsAt(
  dir: string,
  targets: { prometheusPort: number; alertmanagerPort: number; sink: string },
): Promise<void> {
  const prometheusFile = join(dir, 'prometheus/prometheus.yml');
  const prometheus = parseDocument(await readFile(prometheusFile, 'utf8'));
  prometheus.set('scrape_configs', prometheus.createNode([{ job_name: 'prometheus',
    static_configs: [{ targets: [`127.0.0.1:${targets.prometheusPort}`] }] }]));
  prometheus.setIn(['alerting', 'alertmanagers'], prometheus.createNode([
    { static_configs: [{ targets: [`127.0.0.1:${targets.alertmanagerPort}`] }] }]));
  await writeFile(prometheusFile, prometheus.toString());

  const alertmanagerFile = join(dir, 'alertmanager/alertmanager.yml');
  const alertmanager = parseDocument(await readFile(alertmanagerFile, 'utf8'));
  const receivers = alertmanager.toJS() as { receivers: Array<{ name: string }> };
  alertmanager.set('receivers', alertmanager.createNode(receivers.receivers.map(({ name }) => ({
    name, webhook_configs: [{ url: `${targets.sink}/${name}` }],
  }))));
  await writeFile(alertmanagerFile, alertmanager.toString());
}

/** Returns the value of the unlabelled gauge `name` on the /metrics page of `url`. */
async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('metrics', url))).text();
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  assert.ok(value !== undefined, `${url}metrics has ${name}`);
  return Number(value);
}

async function reloadTimes(servers: RunningServers): Promise<number[]> {
  return [
    await gauge(servers.prometheus, 'prometheus_config_last_reload_success_timestamp_seconds'),
    await gauge(servers.alertmanager, 'alertmanager_config_last_reload_success_timestamp_seconds'),
  ];
}

async function ruleGroups(prometheus: string): Promise<string[]> {
  const body = await (await fetch(new URL('api/v1/rules', prometheus))).json() as {
    data: { groups: Array<{ name: string }> };
  };
  return body.data.groups.map((group) => group.name);
}

async function alertmanagerConfig(alertmanager: string): Promise<string> {
  const body = await (await fetch(new URL('api/v2/status', alertmanager))).json() as {
    config: { original: string };
  };
  return body.config.original;
}

/** A rule file with one recording rule, which a reload adds to Prometheus. */
const extraRules = `groups:
  - name: reload-test
    rules:
      - record: srekit:reload_test
        expr: vector(1)
`;

test('reload applies changes and keeps configs that fail', async (t) => {
  const dir = await copyMonitoring(t);
  const servers = await startServers(t, dir);
  const prometheusFile = join(dir, 'prometheus/prometheus.yml');
  const alertmanagerFile = join(dir, 'alertmanager/alertmanager.yml');
  const reload = (prometheusConfig: string, alertmanagerConfigFile = alertmanagerFile) => srekit([
    'monitoring', 'reload', '--prometheus', servers.prometheus,
    '--alertmanager', servers.alertmanager, '--prometheus-config', prometheusConfig,
    '--alertmanager-config', alertmanagerConfigFile]);
  assert.ok(!(await ruleGroups(servers.prometheus)).includes('reload-test'));

  await t.test('a valid change is loaded', async () => {
    await writeFile(join(dir, 'prometheus/rules/reload.yml'), extraRules);
    await editFile(prometheusFile, (text) => text.replace(/^rule_files:\n/m,
      'rule_files:\n  - rules/reload.yml\n'));
    await editFile(alertmanagerFile, (text) => {
      const config = parseDocument(text);
      config.setIn(['route', 'repeat_interval'], '23h');
      return config.toString();
    });
    const before = await reloadTimes(servers);

    const result = await reload(prometheusFile);
    assert.equal(result.code, 0, `${result.out}\n${result.err}`);
    assert.match(result.out, /^ok +promtool check config /m);
    assert.match(result.out, /^ok +amtool check-config /m);
    assert.ok(result.out.includes(`reloaded prometheus   ${servers.prometheus}: config loaded at`),
      result.out);
    assert.ok(result.out.includes(`reloaded alertmanager ${servers.alertmanager}: config loaded`),
      result.out);
    assert.ok((await ruleGroups(servers.prometheus)).includes('reload-test'));
    assert.match(await alertmanagerConfig(servers.alertmanager), /repeat_interval: 23h/);
    assert.doesNotMatch(result.err, /warning/);
    const after = await reloadTimes(servers);
    assert.ok((after[0] ?? 0) > (before[0] ?? 0), 'Prometheus reloaded');
    assert.ok((after[1] ?? 0) > (before[1] ?? 0), 'Alertmanager reloaded');
  });

  const validCopy = join(dir, 'prometheus/valid.yml');
  await writeFile(validCopy, await readFile(prometheusFile, 'utf8'));

  await t.test('a broken config is not sent', async () => {
    const before = await reloadTimes(servers);
    await editFile(prometheusFile, (text) => text.replace('scrape_interval: 15s',
      'scrape_interval: fast'));
    const result = await reload(prometheusFile);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /^failed +promtool check config /m);
    assert.doesNotMatch(result.out, /reloaded/);
    assert.match(result.err, /did not reload any server: .*\[CHECK_FAILED\]/);
    assert.deepEqual(await reloadTimes(servers), before);
    assert.equal(await gauge(servers.prometheus, 'prometheus_config_last_reload_successful'), 1);
    assert.ok((await ruleGroups(servers.prometheus)).includes('reload-test'));
    assert.match(await alertmanagerConfig(servers.alertmanager), /repeat_interval: 23h/);
  });

  await t.test('a failed reload names the server', async () => {
    // The checks pass on a valid copy, but the server loads the broken file.
    const result = await reload(validCopy);
    assert.equal(result.code, 1, result.out);
    assert.ok(result.out.includes(`failed   prometheus   ${servers.prometheus}: HTTP 500`),
      result.out);
    assert.match(result.out, /^reloaded alertmanager /m);
    assert.ok(result.err.includes(`could not reload prometheus at ${servers.prometheus}: `
      + 'HTTP 500: failed to reload config'), result.err);
    assert.match(result.err, /\[RELOAD_FAILED\]/);
    assert.ok(result.err.includes(`warning: prometheus at ${servers.prometheus} loads `
      + `${prometheusFile}, but the checked config is ${validCopy}`), result.err);
    assert.equal(await gauge(servers.prometheus, 'prometheus_config_last_reload_successful'), 0);
    assert.ok((await ruleGroups(servers.prometheus)).includes('reload-test'));
  });

  await t.test('a failed Alertmanager reload names it', async () => {
    const validAlertmanager = join(dir, 'alertmanager/valid.yml');
    await writeFile(validAlertmanager, await readFile(alertmanagerFile, 'utf8'));
    await editFile(alertmanagerFile, (text) => text.replace('receiver: warn', 'receiver: nobody'));
    const result = await reload(validCopy, validAlertmanager);
    assert.equal(result.code, 1, result.out);
    assert.ok(result.out.includes(`failed   alertmanager ${servers.alertmanager}: HTTP 500`),
      result.out);
    assert.match(result.err, /could not reload 2 servers:\nprometheus at /);
    assert.ok(result.err.includes(`\nalertmanager at ${servers.alertmanager}: HTTP 500`),
      result.err);
    assert.match(result.err, /undefined receiver "nobody"/);
    const successful = 'alertmanager_config_last_reload_successful';
    assert.equal(await gauge(servers.alertmanager, successful), 0);
    assert.match(await alertmanagerConfig(servers.alertmanager), /repeat_interval: 23h/);
  });
});

test('reload without URLs reloads the local stack', async (t) => {
  const workdir = await tempStackWorkdir(t);
  const ports = await freeStackPorts();
  await startStack({ workdir, ports, profile: 'gameday', readyTimeoutMs: 20_000 });

  const result = await srekit(['monitoring', 'reload', '--workdir', workdir]);
  assert.equal(result.code, 0, `${result.out}\n${result.err}`);
  // The stack loads the configs it rendered into its workdir, not monitoring/.
  const prometheusConfig = join(workdir, 'config/prometheus.yml');
  const alertmanagerConfig = join(workdir, 'config/alertmanager.yml');
  assert.match(checkLine(result.out, 'promtool check config', prometheusConfig), /^ok /);
  assert.match(checkLine(result.out, 'amtool check-config', alertmanagerConfig), /^ok /);
  assert.match(checkLine(result.out, 'inhibit_rules equal labels', alertmanagerConfig), /^ok /);
  assert.ok(result.out.includes(`reloaded prometheus   http://127.0.0.1:${ports.prometheus}/: `),
    result.out);
  assert.ok(result.out.includes(`reloaded alertmanager http://127.0.0.1:${ports.alertmanager}/: `),
    result.out);
});

test('reload explains a disabled lifecycle API', async (t) => {
  const dir = await copyMonitoring(t);
  const [port] = await findFreePorts(1);
  assert.ok(port !== undefined, 'a port for Prometheus');
  // The sink accepts the alerts that Prometheus sends, in place of an Alertmanager.
  const sink = await startWebhookSink(t);
  const prometheusFile = join(dir, 'prometheus/prometheus.yml');
  await pointConfigsAt(dir, { prometheusPort: port, alertmanagerPort: Number(new URL(sink).port),
    sink });
  const logs = await tempDir(t, 'srekit-reload-logs-');
  const prometheus = `http://127.0.0.1:${port}/`;
  await startServer(t, prometheus, {
    command: 'prometheus',
    args: [`--config.file=${prometheusFile}`, `--storage.tsdb.path=${join(logs, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`],
    logFile: join(logs, 'prometheus.log'),
  });

  const result = await srekit(['monitoring', 'reload', '--prometheus', prometheus,
    '--prometheus-config', prometheusFile]);
  assert.equal(result.code, 1, result.out);
  assert.ok(result.err.includes(`could not reload prometheus at ${prometheus}: HTTP 403`),
    result.err);
  assert.match(result.err, /start Prometheus with --web\.enable-lifecycle.*\[RELOAD_FAILED\]/);
});
