import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { dashboardRunbookBaseUrl } from '../src/slo/dashboard-panels.js';

// Checks monitoring/docker-compose.yml without Docker: pinned images, mounts
// of repository paths that exist, and listen addresses that agree with the
// targets of prometheus.yml, alertmanager.yml and the Grafana provisioning.

const root = fileURLToPath(new URL('../../', import.meta.url));
const monitoring = join(root, 'monitoring');

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  network_mode?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
}

async function readYaml<T>(path: string): Promise<T> {
  // `merge: true` applies the `<<` keys that share settings between services.
  return parse(await readFile(join(monitoring, path), 'utf8'), { merge: true }) as T;
}

/**
 * Returns why `image` is not pinned to an exact version, or undefined when
 * it is: a digest, or a tag that starts with a full version such as v2.42.0
 * or 20.19.5-bookworm-slim.
 */
function imageProblem(image: string | undefined): string | undefined {
  if (image === undefined) return 'has no image';
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  if (tag === undefined) return `image ${image} has no tag`;
  if (!/^v?\d+\.\d+\.\d+([-+.][\w.-]+)?$/.test(tag)) {
    return `image ${image} has tag ${tag}, not an exact version`;
  }
  return undefined;
}

/** Lists the problems of every service's image. */
function imageProblems(compose: ComposeFile): string[] {
  return Object.entries(compose.services).flatMap(([name, service]) => {
    const problem = imageProblem(service.image);
    return problem === undefined ? [] : [`${name}: ${problem}`];
  });
}

/** Returns the source of a bind mount of a relative path, such as `./prometheus`. */
function repositoryMount(volume: string): string | undefined {
  const source = volume.split(':')[0] ?? '';
  return source.startsWith('.') ? source : undefined;
}

/** Lists the bind mounts whose repository path does not exist. */
function missingMounts(compose: ComposeFile, directory: string): string[] {
  return Object.entries(compose.services).flatMap(([name, service]) => (service.volumes ?? [])
    .map(repositoryMount)
    .filter((source): source is string => source !== undefined)
    .filter((source) => !existsSync(resolve(directory, source)))
    .map((source) => `${name}: ${source} does not exist`));
}

/** Returns the value of a `--flag=value` argument of a service's command. */
function flag(service: ComposeService, name: string): string | undefined {
  const prefix = `--${name}=`;
  return service.command?.find((argument) => argument.startsWith(prefix))?.slice(prefix.length);
}

/** Returns the `host:port` that a service listens on, read from its command. */
function listenAddress(service: ComposeService): string | undefined {
  const web = flag(service, 'web.listen-address');
  if (web !== undefined) return web;
  const host = flag(service, 'host') ?? flag(service, 'listen_ip');
  const port = flag(service, 'port');
  return host !== undefined && port !== undefined ? `${host}:${port}` : undefined;
}

function servicesWithImage(compose: ComposeFile, prefix: string): ComposeService[] {
  return Object.values(compose.services).filter((service) => service.image?.startsWith(prefix));
}

interface PrometheusConfig {
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
}

interface AlertmanagerConfig {
  receivers: Array<{
    webhook_configs: Array<{
      url: string;
      http_config?: { authorization?: { type: string; credentials_file: string } };
    }>;
  }>;
}

function composeFile(): Promise<ComposeFile> {
  return readYaml<ComposeFile>('docker-compose.yml');
}

test('compose images have exact versions', async () => {
  assert.deepEqual(imageProblems(await composeFile()), []);
});

test('image check rejects loose tags', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['prom/prometheus:v2.42.0', undefined],
    ['node:20.19.5-bookworm-slim', undefined],
    ['localhost:5000/srekit:1.2.3', undefined],
    [`prom/prometheus@sha256:${'a'.repeat(64)}`, undefined],
    ['prom/prometheus', 'image prom/prometheus has no tag'],
    ['localhost:5000/srekit', 'image localhost:5000/srekit has no tag'],
    ['grafana/grafana:latest', 'image grafana/grafana:latest has tag latest, not an exact version'],
    ['node:20', 'image node:20 has tag 20, not an exact version'],
    ['node:20-bookworm', 'image node:20-bookworm has tag 20-bookworm, not an exact version'],
    [undefined, 'has no image'],
  ];
  for (const [image, expected] of cases) assert.equal(imageProblem(image), expected, image);
});

test('compose mounts existing repository paths', async () => {
  const compose = await composeFile();
  assert.deepEqual(missingMounts(compose, monitoring), []);
  const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? [])
    .map(repositoryMount);
  assert.ok(mounts.includes('./prometheus'));
  assert.ok(mounts.includes('./grafana/dashboards'));
});

test('mount check reports a missing path', () => {
  const compose: ComposeFile = {
    services: { grafana: { volumes: ['./grafana/missing:/etc/x:ro', '/sys:/sys:ro', 'data:/d'] } },
  };
  assert.deepEqual(missingMounts(compose, monitoring),
    ['grafana: ./grafana/missing does not exist']);
});

test('compose services share the host network', async () => {
  for (const [name, service] of Object.entries((await composeFile()).services)) {
    assert.equal(service.network_mode, 'host', name);
  }
});

test('prometheus.yml targets run in compose', async () => {
  const compose = await composeFile();
  const prometheus = await readYaml<PrometheusConfig>('prometheus/prometheus.yml');
  const listening = new Set(Object.values(compose.services).map(listenAddress));
  const scrapeTargets = prometheus.scrape_configs.flatMap((job) => (job.static_configs ?? [])
    .flatMap((config) => config.targets.map((target) => ({ job: job.job_name, target }))));
  assert.ok(scrapeTargets.length >= 4);
  for (const { job, target } of scrapeTargets) {
    assert.ok(listening.has(target), `job ${job} scrapes ${target}, which nothing listens on`);
  }

  const alertmanagers = servicesWithImage(compose, 'prom/alertmanager:').map(listenAddress);
  const alertTargets = prometheus.alerting.alertmanagers
    .flatMap((entry) => entry.static_configs.flatMap((config) => config.targets));
  assert.ok(alertTargets.length >= 1);
  for (const target of alertTargets) {
    assert.ok(alertmanagers.includes(target), `alerts go to ${target}, not an Alertmanager`);
  }
});

test('both Prometheus replicas share one config', async () => {
  const replicas = servicesWithImage(await composeFile(), 'prom/prometheus:');
  assert.equal(replicas.length, 2);
  const names = replicas.map((replica) => replica.environment?.PROMETHEUS_REPLICA);
  assert.deepEqual(names, ['prometheus-0', 'prometheus-1']);
  for (const replica of replicas) {
    assert.equal(flag(replica, 'config.file'), '/etc/prometheus/prometheus.yml');
    assert.ok(replica.volumes?.includes('./prometheus:/etc/prometheus:ro'));
    assert.ok(replica.command?.includes('--enable-feature=expand-external-labels'));
  }
  assert.notEqual(listenAddress(replicas[0] ?? {}), listenAddress(replicas[1] ?? {}));
});

test('Alertmanagers peer with each other', async () => {
  const nodes = servicesWithImage(await composeFile(), 'prom/alertmanager:');
  assert.equal(nodes.length, 2);
  const [first, second] = nodes;
  assert.ok(first);
  assert.ok(second);
  assert.equal(flag(first, 'cluster.peer'), flag(second, 'cluster.listen-address'));
  assert.equal(flag(second, 'cluster.peer'), flag(first, 'cluster.listen-address'));
  assert.notEqual(flag(first, 'cluster.listen-address'), undefined);
});

test('webhooks and runbook links reach the receiver', async () => {
  const compose = await composeFile();
  const text = await readFile(join(monitoring, 'alertmanager/alertmanager.yml'), 'utf8');
  const listening = new Set(Object.values(compose.services).map(listenAddress));
  const webhooks = [...text.matchAll(/url: http:\/\/([\w.]+:\d+)\//g)].map((match) => match[1]);
  assert.ok(webhooks.length >= 4);
  for (const address of webhooks) assert.ok(listening.has(address), `webhook to ${address}`);
  const runbooks = new URL(dashboardRunbookBaseUrl).host;
  assert.ok(listening.has(runbooks), `dashboard runbook links to ${runbooks}`);
});

test('Grafana provisioning matches compose', async () => {
  const compose = await composeFile();
  const sources = await readYaml<{ datasources: Array<{ url: string; isDefault: boolean }> }>(
    'grafana/provisioning/datasources/prometheus.yml');
  const replicas = servicesWithImage(compose, 'prom/prometheus:')
    .map((replica) => `http://${listenAddress(replica) ?? ''}`);
  assert.deepEqual(sources.datasources.map((source) => source.url), replicas);
  assert.equal(sources.datasources.filter((source) => source.isDefault).length, 1);

  const providers = await readYaml<{ providers: Array<{ options: { path: string } }> }>(
    'grafana/provisioning/dashboards/srekit.yml');
  const grafana = compose.services.grafana;
  assert.ok(grafana);
  const dashboardsMount = grafana.volumes
    ?.find((volume) => volume.startsWith('./grafana/dashboards:'));
  assert.equal(dashboardsMount?.split(':')[1], providers.providers[0]?.options.path);
  assert.ok(grafana.volumes?.includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
});

test('compose paths stay inside the repository', async () => {
  for (const [name, service] of Object.entries((await composeFile()).services)) {
    for (const source of (service.volumes ?? []).map(repositoryMount)) {
      if (source === undefined) continue;
      const path = resolve(monitoring, source);
      assert.ok(path.startsWith(root.replace(/\/$/, '')), `${name}: ${path}`);
    }
  }
});

test('incident token is a compose secret', async () => {
  const compose = await composeFile();
  const secretFile = compose.secrets?.['incident-token']?.file;
  assert.equal(secretFile, './secrets/incident-token');
  assert.ok(existsSync(join(monitoring, 'secrets')), 'monitoring/secrets exists');
  // A token written there must never be committed.
  execFileSync('git', ['check-ignore', '--quiet', join(monitoring, secretFile)], { cwd: root });

  const incident = compose.services.incident;
  assert.ok(incident);
  assert.deepEqual(incident.secrets, ['incident-token']);
  assert.equal(flag(incident, 'token-file'), '/run/secrets/incident-token');
  for (const node of servicesWithImage(compose, 'prom/alertmanager:')) {
    assert.deepEqual(node.secrets, ['incident-token']);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    assert.equal(service.environment?.SREKIT_INCIDENT_TOKEN, undefined, name);
  }
});

test('incident webhook reaches the incident server', async () => {
  const compose = await composeFile();
  const alertmanager = await readYaml<AlertmanagerConfig>('alertmanager/alertmanager.yml');
  const withToken = alertmanager.receivers.flatMap((receiver) => receiver.webhook_configs)
    .filter((webhook) => webhook.http_config !== undefined);
  assert.equal(withToken.length, 1);
  const webhook = withToken[0];
  assert.ok(webhook);
  const incident = compose.services.incident;
  assert.ok(incident);
  assert.equal(new URL(webhook.url).host, listenAddress(incident));
  assert.equal(new URL(webhook.url).pathname, '/v1/webhooks/alertmanager');
  assert.deepEqual(webhook.http_config?.authorization,
    { type: 'Bearer', credentials_file: '/run/secrets/incident-token' });
});
