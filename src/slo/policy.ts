import type { Severity } from './profiles.js';

/** The formatted durations an alert's text may use: its windows and its `for`. */
export type DurationTexts<W extends string> = Record<W | 'for', string>;

/**
 * One alert of the policy, written for the production profile. Rendering for
 * another profile scales `windows` and `for`, then builds the expression and
 * the annotations from the scaled values.
 */
export interface AlertDefinition<W extends string = string> {
  name: string;
  severity: Severity;
  /** Range-vector windows of the expression, in seconds, by name. */
  windows: Record<W, number>;
  /** How long the expression must hold before the alert fires, in seconds. */
  for: number;
  /** The runbook for the responder: a file name under docs/runbooks. */
  runbook: string;
  /** Builds the PromQL expression from the windows formatted as durations. */
  expression(windows: Record<W, string>): string;
  /** Builds the `summary` annotation, which may use Prometheus templates. */
  summary(durations: DurationTexts<W>): string;
  /** Builds the `description` annotation, which may use Prometheus templates. */
  description(durations: DurationTexts<W>): string;
  /** For alerts on an error ratio: the window it is computed over and its limits. */
  ratio?: { window: W; threshold: number; minRequestRate: number };
}

/**
 * Requests per second below which the error ratio does not page. Under it the
 * ratio rests on too few requests: with 19 requests in a window, one failure
 * is already above 5%. At 1 request per second a page needs more than 30
 * failed requests in the ten-minute window, and 2 in the game day's 30-second
 * window, so a single failure never pages in either profile. A service that
 * fails completely while it receives less than this is not caught here.
 */
export const minRequestRate = 1;

/** Share of requests failing with 5xx above which the error ratio pages. */
export const errorRatioThreshold = 0.05;

/** Captures the window names of a definition so its expression is type checked. */
function defineAlert<W extends string>(definition: AlertDefinition<W>): AlertDefinition<W> {
  return definition;
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

const highErrorRatio = defineAlert({
  name: 'HighErrorRatio',
  severity: 'page',
  windows: { ratio: 600 },
  // The ten-minute window already smooths bursts. Two more minutes keep a
  // ratio that touches the threshold for a few evaluations from paging.
  for: 120,
  runbook: 'high-error-ratio.md',
  ratio: { window: 'ratio', threshold: errorRatioThreshold, minRequestRate },
  expression: ({ ratio }) => [
    '(',
    `  sum by (job) (increase(http_requests_total{status_code=~"5.."}[${ratio}]))`,
    '  /',
    `  sum by (job) (increase(http_requests_total[${ratio}]))`,
    `) > ${errorRatioThreshold}`,
    'and',
    `sum by (job) (rate(http_requests_total[${ratio}])) >= ${minRequestRate}`,
  ].join('\n'),
  summary: () => '{{ $labels.job }} returns 5xx for {{ $value | humanizePercentage }} of requests',
  description: (durations) => `More than ${errorRatioThreshold * 100}% of the requests to `
    + `{{ $labels.job }} failed with a 5xx status over the last ${durations.ratio}, `
    + `with at least ${minRequestRate} request per second. Users see these errors.`,
});

/** The alert policy: every alert srekit defines, as written for production. */
export const alertPolicy: readonly AlertDefinition[] = [instanceDown, highErrorRatio];
