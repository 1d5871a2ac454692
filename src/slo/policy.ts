import { defineAlert, type AlertDefinition } from './alert-definition.js';
import { hostAlerts } from './host-alerts.js';
import { monitoringAlerts } from './monitoring-alerts.js';

export type { AlertDefinition, DurationTexts } from './alert-definition.js';

/**
 * Requests per second below which the error ratio and the latency alerts stay
 * quiet. Under it the ratio rests on too few requests: with 19 requests in a window, one failure
 * is already above 5%. At 1 request per second a page needs more than 30
 * failed requests in the ten-minute window, and 2 in the game day's 30-second
 * window, so a single failure never pages in either profile. A service that
 * fails completely while it receives less than this is not caught here.
 */
export const minRequestRate = 1;

/** Share of requests failing with 5xx above which the error ratio pages. */
export const errorRatioThreshold = 0.05;

/**
 * Wraps the lines of a per-job request alert in label_replace, so its alerts
 * also carry `service`, equal to the scrape job. The SLO alerts carry the
 * service of their spec, so Alertmanager's inhibit rules can compare the two
 * when the scrape job is named after the service.
 */
function withServiceLabel(lines: readonly string[]): string {
  const body = lines.map((line, index) => (index === lines.length - 1 ? `  ${line},` : `  ${line}`));
  return ['label_replace(', ...body, '  "service", "$1", "job", "(.*)"', ')'].join('\n');
}

const instanceDown = defineAlert({
  name: 'InstanceDown',
  severity: 'page',
  windows: {},
  // One failed scrape is often a pause or a slow response; four in a row at
  // 15 s are not.
  for: 60,
  runbook: 'instance-down.md',
  expression: () => 'up == 0',
  summary: () => '{{ $labels.job }} target {{ $labels.instance }} is down',
  description: (durations) => 'Prometheus has not been able to scrape '
    + `{{ $labels.instance }} of job {{ $labels.job }} for at least ${durations.for}. `
    + 'Its metrics are missing, and if it serves users, their requests are probably failing.',
});

/**
 * Builds the 5xx ratio of each job over a range-vector window, compared with
 * {@link errorRatioThreshold}.
 */
function errorRatioAbove(window: string): string[] {
  return [
    '(',
    `  sum by (job) (increase(http_requests_total{status_code=~"5.."}[${window}]))`,
    '  /',
    `  sum by (job) (increase(http_requests_total[${window}]))`,
    `) > ${errorRatioThreshold}`,
  ];
}

const highErrorRatio = defineAlert<'ratio' | 'confirmation'>({
  name: 'HighErrorRatio',
  severity: 'page',
  // The confirmation window is as long as the short window of the paging
  // SLO burn (99.9%: 1.44% over 1 hour and over 5 minutes), so both alerts
  // see the same 5-minute ratio. While that ratio is above 5% it is above
  // 1.44%, so after a recovery HighErrorRatio resolves no later than the
  // burn's short window clears, at any error share f from 5% to 100%. With
  // steady traffic the ratio falls at most f/300 per second once the errors
  // stop. It passes 5% at least 300 × (0.05 − 0.0144) / f seconds before
  // 1.44%: 36 s after 30% errors, 11 s after a full outage. Over the
  // 10-minute window alone, 30% errors stay above 5% for 8.3 minutes, 3.6
  // minutes after the burn resolved at 4.8.
  windows: { ratio: 600, confirmation: 300 },
  // The ten-minute window already smooths bursts. Two more minutes keep a
  // ratio that touches the threshold for a few evaluations from paging.
  for: 120,
  runbook: 'high-error-ratio.md',
  ratio: { window: 'ratio', threshold: errorRatioThreshold, minRequestRate },
  expression: ({ ratio, confirmation }) => withServiceLabel([
    ...errorRatioAbove(ratio),
    'and',
    ...errorRatioAbove(confirmation),
    'and',
    `sum by (job) (rate(http_requests_total[${ratio}])) >= ${minRequestRate}`,
  ]),
  summary: () => '{{ $labels.job }} returns 5xx for {{ $value | humanizePercentage }} of requests',
  description: (durations) => `More than ${errorRatioThreshold * 100}% of the requests to `
    + `{{ $labels.job }} failed with a 5xx status over the last ${durations.ratio} and over `
    + `the last ${durations.confirmation}, with at least ${minRequestRate} request per second. `
    + 'Users see these errors.',
});

/** Latency in seconds above which the p95 of a service's requests warns. */
export const latencyP95Threshold = 0.5;

const highLatencyP95 = defineAlert({
  name: 'HighLatencyP95',
  severity: 'warn',
  windows: { latency: 600 },
  // The ten-minute window already contains any burst that could push the
  // p95 over. Five more minutes make it a sustained slowdown, which a
  // warning can wait for.
  for: 300,
  runbook: 'high-latency-p95.md',
  expression: ({ latency }) => withServiceLabel([
    'histogram_quantile(0.95,',
    `  sum by (job, le) (rate(http_request_duration_seconds_bucket[${latency}]))`,
    `) > ${latencyP95Threshold}`,
    'and',
    `sum by (job) (rate(http_requests_total[${latency}])) >= ${minRequestRate}`,
  ]),
  summary: () => '5% of requests to {{ $labels.job }} take longer than '
    + '{{ $value | humanizeDuration }}',
  description: (durations) => `The 95th percentile of request latency of {{ $labels.job }} `
    + `over the last ${durations.latency} is above ${latencyP95Threshold * 1000} ms, with `
    + `at least ${minRequestRate} request per second. One request in twenty or more is slow.`,
});

/** The alert policy: every alert srekit defines, as written for production. */
export const alertPolicy: readonly AlertDefinition[] = [
  instanceDown, highErrorRatio, highLatencyP95, ...hostAlerts, ...monitoringAlerts,
];
