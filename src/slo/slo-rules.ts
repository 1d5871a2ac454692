import { stringify } from 'yaml';
import {
  burnFactor, errorBudgetRatio, errorRatioThreshold, toPercent, type BurnRateTier,
} from './burn-rate.js';
import { formatDuration } from './duration.js';
import { defaultRunbookBaseUrl } from './scale.js';
import { fillWindow, type SloDefinition } from './spec.js';

/** Options for {@link renderSloRules}. */
export interface RenderSloRulesOptions {
  /** Base URL that `runbook_url` annotations start with; {@link defaultRunbookBaseUrl} if unset. */
  runbookBaseUrl?: string;
  /** The command named in the header as the one that wrote the file. */
  command?: string;
  /**
   * Evaluation interval of the long-window group, in seconds. Unset means
   * {@link longWindowInterval}.
   */
  longWindowInterval?: number;
}

/** Evaluation interval of the group with the long-window rules, in seconds. */
export const longWindowInterval = 60;

/** Name of the alert that fires when an SLO burns its error budget too fast. */
export const burnAlertName = 'SloErrorBudgetBurn';

/** Name of the alert that fires when an SLO's request counter has no series. */
export const absentAlertName = 'SloMetricsAbsent';

/** The runbook file, under the runbook base URL, of both SLO alerts. */
export const sloRunbook = 'slo-error-budget-burn.md';

interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

/** A Prometheus alerting rule as written to the rule file. */
export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

interface RuleGroup {
  name: string;
  interval?: string;
  rules: Array<RecordingRule | AlertingRule>;
}

/** Returns the recorded series name of the errors over a window: `slo:sli_errors:increase5m`. */
export const errorsRecord = (window: number) => `slo:sli_errors:increase${formatDuration(window)}`;

/** Returns the recorded series name of the requests counted over a window. */
export const requestsRecord = (window: number) => `slo:sli_requests:increase${formatDuration(window)}`;

/** Returns the recorded series name of the error ratio over a window, named as Sloth names it. */
export const ratioRecord = (window: number) => `slo:sli_error:ratio_rate${formatDuration(window)}`;

/** Name of the recorded share of the period's error budget that is left. */
export const budgetRemainingRecord = 'slo:period_error_budget_remaining:ratio';

/** Returns the labels of an SLO's series: its service, its name and the spec's labels. */
export function sloLabels(definition: SloDefinition): Record<string, string> {
  return { ...definition.labels, service: definition.service, slo: definition.name };
}

function seriesSelector(definition: SloDefinition): string {
  return `{service="${definition.service}", slo="${definition.name}"}`;
}

/** Splits the windows into the short ones, evaluated often, and the rest, every minute. */
export function splitWindows(tiers: readonly BurnRateTier[]): { short: number[]; long: number[] } {
  const short = [...new Set(tiers.map((tier) => tier.shortWindow))].sort((a, b) => a - b);
  const long = [...new Set(tiers.map((tier) => tier.longWindow))]
    .filter((window) => !short.includes(window))
    .sort((a, b) => a - b);
  return { short, long };
}

/** Returns true when `expression` is one function call or parenthesised term. */
function isSingleTerm(expression: string): boolean {
  const open = expression.indexOf('(');
  if (open < 0 || !/^[a-zA-Z_]*$/.test(expression.slice(0, open))) return false;
  let depth = 0;
  for (let index = open; index < expression.length; index += 1) {
    if (expression[index] === '(') depth += 1;
    if (expression[index] === ')') depth -= 1;
    if (depth === 0) return index === expression.length - 1;
  }
  return false;
}

function bracket(expression: string): string {
  return isSingleTerm(expression) ? expression : `(${expression})`;
}

/**
 * Returns the query of the errors over a window. While requests exist it
 * returns 0 rather than no data, because a counter of errors such as 5xx
 * responses has no series until the first error.
 */
function errorsQuery(definition: SloDefinition, window: number): string {
  const errors = fillWindow(definition.errors.template, window);
  const total = fillWindow(definition.total.template, window);
  return `${bracket(errors)}\nor\n0 * ${bracket(total)}`;
}

function windowRules(definition: SloDefinition, window: number): RecordingRule[] {
  const selector = seriesSelector(definition);
  const total = fillWindow(definition.total.template, window);
  return [
    {
      record: errorsRecord(window),
      expr: errorsQuery(definition, window),
      labels: sloLabels(definition),
    },
    { record: requestsRecord(window), expr: total, labels: sloLabels(definition) },
    {
      record: ratioRecord(window),
      // Without requests the ratio has no data instead of NaN.
      expr: `${errorsRecord(window)}${selector}\n/\n(${requestsRecord(window)}${selector} > 0)`,
      labels: sloLabels(definition),
    },
  ];
}

/**
 * The share of the period's error budget left: 1 when no request failed, 0
 * when the errors used it all, below 0 when they overspent it. It reads the
 * raw counters over the whole period, once a minute.
 */
function budgetRemainingRule(definition: SloDefinition): RecordingRule {
  const errors = errorsQuery(definition, definition.period);
  const total = fillWindow(definition.total.template, definition.period);
  const budget = errorBudgetRatio(definition.objective);
  return {
    record: budgetRemainingRecord,
    expr: `1 - (\n  (\n${indent(errors, 4)}\n  )\n  /\n  (${total} > 0)\n) / ${budget}`,
    labels: sloLabels(definition),
  };
}

function indent(text: string, spaces: number): string {
  return text.split('\n').map((line) => `${' '.repeat(spaces)}${line}`).join('\n');
}

function runbookUrl(options: RenderSloRulesOptions): string {
  const base = options.runbookBaseUrl ?? defaultRunbookBaseUrl;
  return base.endsWith('/') ? `${base}${sloRunbook}` : `${base}/${sloRunbook}`;
}

function burnAlert(
  definition: SloDefinition,
  tier: BurnRateTier,
  options: RenderSloRulesOptions,
): AlertingRule {
  const selector = seriesSelector(definition);
  const threshold = errorRatioThreshold(tier, definition.period, definition.objective);
  const factor = burnFactor(tier, definition.period);
  const long = formatDuration(tier.longWindow);
  const short = formatDuration(tier.shortWindow);
  const period = formatDuration(definition.period);
  const lines = [
    '(',
    `  ${ratioRecord(tier.longWindow)}${selector} >= ${threshold}`,
    '  and',
    `  ${ratioRecord(tier.shortWindow)}${selector} >= ${threshold}`,
    ')',
  ];
  if (definition.minRequestRate > 0) {
    const minRequests = definition.minRequestRate * tier.longWindow;
    lines.push('and', `${requestsRecord(tier.longWindow)}${selector} >= ${minRequests}`);
  }
  return {
    alert: burnAlertName,
    expr: lines.join('\n'),
    labels: { ...sloLabels(definition), severity: tier.severity, tier: tier.name },
    annotations: {
      summary: `${definition.service} burns the error budget of SLO ${definition.name} `
        + `${factor}x too fast`,
      // Annotations are static, without $value, so the generated promtool tests can expect them.
      description: `At least ${toPercent(threshold)}% of the requests to ${definition.service} `
        + `failed over the last ${long} and over the last ${short}. At ${factor}x the `
        + `${definition.objective}% objective spends ${tier.budgetPercent}% of its ${period} `
        + `error budget in ${long}.`,
      runbook_url: runbookUrl(options),
    },
  };
}

function absentAlert(definition: SloDefinition, options: RenderSloRulesOptions): AlertingRule[] {
  // NOTE: a query that reads several counters has no single selector to watch,
  // so such an SLO gets no absent-metrics alert.
  const selector = definition.total.selector;
  if (selector === undefined) return [];
  const longest = definition.tiers.reduce((max, tier) => (
    tier.longWindow > max.longWindow ? tier : max));
  const window = formatDuration(longest.longWindow);
  return [{
    alert: absentAlertName,
    expr: `absent_over_time(${selector}[${window}])`,
    labels: {
      ...sloLabels(definition), severity: longest.severity, tier: longest.name,
    },
    annotations: {
      summary: `SLO ${definition.name} of ${definition.service} has no request data`,
      description: `No series matched ${selector} for ${window}, the longest window of SLO `
        + `${definition.name}, so its burn-rate alerts cannot fire. Check the scrape target `
        + 'and the metric name.',
      runbook_url: runbookUrl(options),
    },
  }];
}

/** Returns the rule groups of one SLO: short windows with the alerts, and long windows. */
export function sloRuleGroups(
  definition: SloDefinition,
  options: RenderSloRulesOptions = {},
): RuleGroup[] {
  const { short, long } = splitWindows(definition.tiers);
  const prefix = `srekit-slo-${definition.service}-${definition.name}`;
  const alerts = [
    ...definition.tiers.map((tier) => burnAlert(definition, tier, options)),
    ...absentAlert(definition, options),
  ];
  return [
    { name: `${prefix}-short`, rules: [...short.flatMap((w) => windowRules(definition, w)), ...alerts] },
    {
      name: `${prefix}-long`,
      interval: formatDuration(options.longWindowInterval ?? longWindowInterval),
      rules: [...long.flatMap((w) => windowRules(definition, w)), budgetRemainingRule(definition)],
    },
  ];
}

/** Renders the rules of every SLO as one Prometheus rule file with a "generated" header. */
export function renderSloRules(
  definitions: readonly SloDefinition[],
  options: RenderSloRulesOptions = {},
): string {
  const command = options.command ?? 'srekit slo generate';
  const header = [
    `# Generated by \`${command}\` from the SLO specs in monitoring/slos.`,
    '# Do not edit it by hand: change a spec and run the command again.',
  ].join('\n');
  const groups = definitions.flatMap((definition) => sloRuleGroups(definition, options));
  return `${header}\n${stringify({ groups }, { lineWidth: 100, aliasDuplicateObjects: false })}`;
}
