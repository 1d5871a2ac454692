import { defineAlert, type AlertDefinition } from './alert-definition.js';

/** Share of a target's scrapes that must succeed over the window for it to stay quiet. */
export const scrapeSuccessThreshold = 0.9;

const watchdog = defineAlert({
  name: 'Watchdog',
  // Notifies no one: Alertmanager routes it to the dead man's switch, which
  // raises an alarm when the heartbeat stops.
  severity: 'none',
  windows: {},
  for: 0,
  runbook: 'watchdog.md',
  expression: () => 'vector(1)',
  summary: () => 'Heartbeat of the alerting pipeline',
  description: () => 'This alert always fires, so that Prometheus, Alertmanager and the '
    + 'route to the dead man\'s switch are known to work while it arrives. If it stops '
    + 'arriving, no other alert can arrive either.',
});

// A failed reload keeps the previous configuration, so nothing breaks at
// once. The person who reloaded usually sees the error and fixes the file within
// minutes. After ten, the file on disk is probably left broken, and the next
// restart will fail to start the process.
const prometheusConfigReloadFailed = defineAlert({
  name: 'PrometheusConfigReloadFailed',
  severity: 'warn',
  windows: {},
  for: 600,
  runbook: 'prometheus-config-reload-failed.md',
  expression: () => 'prometheus_config_last_reload_successful == 0',
  summary: () => 'Prometheus {{ $labels.instance }} could not load its configuration',
  description: (durations) => 'The last configuration reload of Prometheus '
    + `{{ $labels.instance }} failed at least ${durations.for} ago. It keeps running the `
    + 'previous configuration, and will not start again until the file is fixed.',
});

const alertmanagerConfigReloadFailed = defineAlert({
  name: 'AlertmanagerConfigReloadFailed',
  severity: 'warn',
  windows: {},
  for: 600,
  runbook: 'alertmanager-config-reload-failed.md',
  expression: () => 'alertmanager_config_last_reload_successful == 0',
  summary: () => 'Alertmanager {{ $labels.instance }} could not load its configuration',
  description: (durations) => 'The last configuration reload of Alertmanager '
    + `{{ $labels.instance }} failed at least ${durations.for} ago. It keeps routing with the `
    + 'previous configuration, and will not start again until the file is fixed.',
});

const targetScrapeFailing = defineAlert({
  name: 'TargetScrapeFailing',
  severity: 'warn',
  windows: { scrapes: 600 },
  // The window contains 40 scrapes in production, so one failure is 2.5% and
  // stays quiet. At least three changes of `up` mean two separate stretches
  // of failures: one outage that ended changes it twice, and InstanceDown
  // covers a target that stays down. Five minutes keep a brief flap quiet.
  for: 300,
  runbook: 'target-scrape-failing.md',
  expression: ({ scrapes }) => [
    `avg_over_time(up[${scrapes}]) < ${scrapeSuccessThreshold}`,
    'and',
    `changes(up[${scrapes}]) >= 3`,
  ].join('\n'),
  summary: () => '{{ $labels.job }} target {{ $labels.instance }} answers only '
    + '{{ $value | humanizePercentage }} of its scrapes',
  description: (durations) => `Only {{ $value | humanizePercentage }} of the scrapes of `
    + `{{ $labels.instance }} of job {{ $labels.job }} succeeded over the last `
    + `${durations.scrapes}, failing more than once. Its metrics have gaps, so rates and `
    + 'alerts computed from them are unreliable.',
});

/**
 * Alerts on the monitoring itself: the heartbeat, configuration reloads and
 * targets that are scraped only part of the time.
 */
export const monitoringAlerts: readonly AlertDefinition[] = [
  watchdog, prometheusConfigReloadFailed, alertmanagerConfigReloadFailed, targetScrapeFailing,
];
