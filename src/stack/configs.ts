import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { SrekitError } from '../common/errors.js';
import {
  formatDuration, loadSpecsDir, renderAlertmanagerFile, renderRules, renderSloRules, scaleSlo,
  scaleSloLongWindowInterval, type Profile,
} from '../slo/index.js';
import { sources, type StackLayout } from './layout.js';
import { stackHost, type StackPorts } from './ports.js';

/** The scrape job of each scraped listener, as named in monitoring/prometheus/prometheus.yml. */
const scrapeJobs = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  node: 'nodeExporter',
  'orders-api': 'service',
  incident: 'incident',
} as const satisfies Record<string, keyof StackPorts>;

/** Options for {@link renderStackConfigs}. */
export interface RenderStackConfigsOptions {
  layout: StackLayout;
  profile: Profile;
  ports: StackPorts;
}

/**
 * Renders the committed monitoring configuration for `profile` and `ports`
 * into the stack's config directory: the alert rules, the rules of the SLO
 * specs, prometheus.yml and alertmanager.yml. Comments of the committed
 * files are kept. Throws INVALID_CONFIG when an SLO spec is invalid.
 */
export async function renderStackConfigs(options: RenderStackConfigsOptions): Promise<void> {
  const { layout, profile, ports } = options;
  const receiverUrl = `http://${stackHost}:${ports.receiver}`;
  const runbookBaseUrl = `${receiverUrl}/runbooks/`;
  const rules = renderRules(profile, { command: 'srekit stack up', runbookBaseUrl });
  await writeText(layout.rulesFile, rules);
  await writeText(layout.sloRulesFile, await renderStackSloRules(profile, runbookBaseUrl));

  const prometheus = await loadYaml(sources.prometheusConfig);
  const ruleFiles = [layout.rulesFile, layout.sloRulesFile]
    .map((file) => relative(layout.configDir, file));
  renderPrometheusConfig(prometheus, profile, ports, ruleFiles);
  await writeText(layout.prometheusConfig, prometheus.toString());

  const alertmanager = await loadYaml(sources.alertmanagerConfig);
  renderAlertmanagerConfig(alertmanager, profile, {
    webhookBaseUrl: receiverUrl,
    incidentServerUrl: `http://${stackHost}:${ports.incident}`,
    incidentTokenFile: layout.incidentTokenFile,
  });
  await writeText(layout.alertmanagerConfig, alertmanager.toString());
}

/**
 * Renders the rules of the committed SLO specs for `profile`. Their windows,
 * period and long-window evaluation interval shrink by the profile's
 * speedup like the alert policy's, so every burn factor and threshold stays
 * as written and only the time to detect shrinks.
 */
async function renderStackSloRules(profile: Profile, runbookBaseUrl: string): Promise<string> {
  const definitions = await loadSpecsDir(sources.sloSpecs);
  return renderSloRules(definitions.map((definition) => scaleSlo(definition, profile)), {
    command: 'srekit stack up',
    runbookBaseUrl,
    longWindowInterval: scaleSloLongWindowInterval(profile),
  });
}

function renderPrometheusConfig(
  config: Document,
  profile: Profile,
  ports: StackPorts,
  ruleFiles: string[],
): void {
  config.setIn(['global', 'scrape_interval'], formatDuration(profile.scrapeInterval));
  config.setIn(['global', 'scrape_timeout'], formatDuration(profile.scrapeTimeout));
  config.setIn(['global', 'evaluation_interval'], formatDuration(profile.evaluationInterval));
  config.set('rule_files', ruleFiles);
  config.setIn(['alerting', 'alertmanagers'], [
    { static_configs: [{ targets: [`${stackHost}:${ports.alertmanager}`] }] },
  ]);

  const scrapeConfigs = config.get('scrape_configs');
  const found = new Set<string>();
  if (isSeq(scrapeConfigs)) {
    // Jobs for listeners that the stack does not run, such as cAdvisor, are
    // left out, because their targets would be down and fire InstanceDown.
    scrapeConfigs.items = scrapeConfigs.items
      .filter((item) => !isMap(item) || String(item.get('job_name')) in scrapeJobs);
    for (const item of scrapeConfigs.items) {
      if (!isMap(item)) continue;
      const job = String(item.get('job_name'));
      const port = ports[scrapeJobs[job as keyof typeof scrapeJobs]];
      item.set('static_configs', config.createNode([{ targets: [`${stackHost}:${port}`] }]));
      found.add(job);
    }
  }
  const missing = Object.keys(scrapeJobs).filter((job) => !found.has(job));
  if (missing.length > 0) {
    throw invalidSource(sources.prometheusConfig,
      `scrape_configs has no job_name ${missing.join(', ')}`);
  }
}

/**
 * Replaces the committed alertmanager.yml in `config` with the routing that
 * src/slo renders for `profile`, the webhooks pointing at the stack's alert
 * receiver and incident server. Rendering it again, rather than patching the
 * committed file, keeps the timings and comments true for the profile.
 */
function renderAlertmanagerConfig(
  config: Document,
  profile: Profile,
  targets: { webhookBaseUrl: string; incidentServerUrl: string; incidentTokenFile: string },
): void {
  const rendered = parseDocument(renderAlertmanagerFile(profile, {
    ...targets,
    command: 'srekit stack up',
  }));
  config.commentBefore = rendered.commentBefore;
  config.contents = rendered.contents;
}

async function loadYaml(path: string): Promise<Document> {
  const document = parseDocument(await readFile(path, 'utf8'));
  if (document.errors.length > 0) {
    throw invalidSource(path, document.errors.map((error) => error.message).join('; '));
  }
  return document;
}

function invalidSource(path: string, problem: string): SrekitError {
  return new SrekitError('INVALID_CONFIG', `could not render ${path}: ${problem}`, {
    hint: 'restore the file from version control or fix it by hand',
  });
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
