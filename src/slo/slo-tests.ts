import { stringify } from 'yaml';
import { errorRatioThreshold, type BurnRateTier } from './burn-rate.js';
import { formatDuration } from './duration.js';
import {
  matchesSelector, parseSelector, sampleLabels, successLabels,
} from './series-selector.js';
import {
  absentAlertName, burnAlertName, sloLabels, sloRuleGroups, type AlertingRule,
  type RenderSloRulesOptions,
} from './slo-rules.js';
import type { SloDefinition } from './spec.js';

/*
 * Generates `promtool test rules` cases for the SLO rules. Samples arrive
 * every minute, and each case is checked once, five minutes after the
 * longest window has filled, so every window starts on a sample and
 * `increase` needs no extrapolation. The counts are whole numbers, so a
 * ratio made exactly equal to a threshold compares equal in Prometheus too.
 */

const step = 60;

interface InputSeries {
  series: string;
  values: string;
}

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

interface TestCase {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: Array<{ eval_time: string; alertname: string; exp_alerts: ExpectedAlert[] }>;
}

/** The series a test case writes for one SLO: successes and errors, with their labels. */
interface SloSeries {
  definition: SloDefinition;
  options: RenderSloRulesOptions;
  metric: string;
  errorLabels: Record<string, string>;
  successLabels: Record<string, string>;
}

function seriesText(metric: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `${metric}{${pairs.join(', ')}}`;
}

/** Returns promtool's notation for a counter growing by `perStep` for `steps` steps. */
function counter(start: number, perStep: number, steps: number): string {
  return `${start}+${perStep}x${steps}`;
}

/** Finds the series of an SLO, or returns the reason it cannot be tested. */
function findSeries(definition: SloDefinition, options: RenderSloRulesOptions): SloSeries | string {
  const errors = parseSelector(definition.errors.selector ?? '');
  const total = parseSelector(definition.total.selector ?? '');
  if (!errors || !total) return 'its queries do not each read one counter selector';
  const errorLabels = sampleLabels(errors);
  if (!errorLabels) return 'no label values were found that match its error selector';
  const success = successLabels(errors, total, errorLabels);
  if (!success || !matchesSelector(total, errors.metric, errorLabels)) {
    return 'no series were found that match the total selector with and without the errors';
  }
  return { definition, options, metric: errors.metric, errorLabels, successLabels: success };
}

/** Returns the number of decimal places of a threshold such as 0.0144, at most 12. */
function decimalPlaces(value: number): number {
  let places = 0;
  while (places < 12 && Math.round(value * 10 ** places) / 10 ** places !== value) places += 1;
  return places;
}

interface Burn {
  /** Errors and requests per minute. */
  errors: number;
  requests: number;
}

function burnLabels(definition: SloDefinition, tier: BurnRateTier): Record<string, string> {
  return { ...sloLabels(definition), severity: tier.severity, tier: tier.name };
}

/** Returns the annotations of an SLO's alert, as the rule file has them. */
function annotationsOf(
  definition: SloDefinition,
  alertName: string,
  tier: string,
  options: RenderSloRulesOptions,
): Record<string, string> {
  const rule = sloRuleGroups(definition, options).flatMap((group) => group.rules)
    .find((candidate): candidate is AlertingRule => 'alert' in candidate
      && candidate.alert === alertName && candidate.labels.tier === tier);
  return { ...rule?.annotations };
}

function tierFires(
  definition: SloDefinition,
  tier: BurnRateTier,
  ratio: (window: number) => number,
  requestsPerMinute: number,
): boolean {
  const threshold = errorRatioThreshold(tier, definition.period, definition.objective);
  const enoughTraffic = requestsPerMinute / step >= definition.minRequestRate;
  return enoughTraffic
    && ratio(tier.longWindow) >= threshold
    && ratio(tier.shortWindow) >= threshold;
}

/** Returns the end of the test, in steps: the longest window plus five minutes. */
function lastStep(definition: SloDefinition): number {
  const longest = Math.max(...definition.tiers.map((tier) => tier.longWindow));
  return longest / step + 5;
}

function constantBurnCase(series: SloSeries, name: string, burn: Burn): TestCase {
  const { definition } = series;
  const steps = lastStep(definition);
  const ratio = burn.errors / burn.requests;
  const firing = definition.tiers
    .filter((tier) => tierFires(definition, tier, () => ratio, burn.requests));
  return testCase(series, name, [
    {
      series: seriesText(series.metric, series.errorLabels),
      values: counter(0, burn.errors, steps),
    },
    {
      series: seriesText(series.metric, series.successLabels),
      values: counter(0, burn.requests - burn.errors, steps),
    },
  ], firing);
}

function testCase(
  series: SloSeries,
  name: string,
  input: InputSeries[],
  firing: BurnRateTier[],
): TestCase {
  const { options } = series;
  const { definition } = series;
  const evalTime = formatDuration(lastStep(definition) * step);
  return {
    name: `${definition.service}/${definition.name}: ${name}`,
    interval: formatDuration(step),
    input_series: input,
    alert_rule_test: [
      {
        eval_time: evalTime,
        alertname: burnAlertName,
        exp_alerts: firing.map((tier) => ({
          exp_labels: burnLabels(definition, tier),
          exp_annotations: annotationsOf(definition, burnAlertName, tier.name, options),
        })),
      },
    ],
  };
}

/** Requests per minute in the cases with traffic: 1,000 per second, or twice the SLO's minimum. */
function trafficPerMinute(definition: SloDefinition): number {
  return Math.max(60_000, Math.ceil(definition.minRequestRate * step * 2));
}

/**
 * Returns the minutes of full outage after which the set of firing tiers is
 * the same whether or not the long windows are read one evaluation late, and
 * the first tier fires. promtool may evaluate the group of long windows after
 * the alerts, so a borderline outage would make the test flaky.
 */
function outageMinutes(definition: SloDefinition, perStep: number, maxSteps: number): {
  minutes: number;
  firing: BurnRateTier[];
} {
  const [first] = definition.tiers;
  const shortWindows = new Set(definition.tiers.map((tier) => tier.shortWindow));
  const firingAfter = (minutes: number, late: number) => definition.tiers.filter((tier) => {
    const ratio = (window: number) => {
      const counted = shortWindows.has(window) ? minutes : minutes - late;
      return Math.min(Math.max(counted, 0) * step, window) / window;
    };
    return tierFires(definition, tier, ratio, perStep);
  });
  let minutes = Math.ceil((first?.shortWindow ?? step) / step);
  for (; minutes < maxSteps; minutes += 1) {
    const onTime = firingAfter(minutes, 0);
    const late = firingAfter(minutes, 1);
    const stable = onTime.length === late.length && onTime.every((tier, k) => tier === late[k]);
    if (stable && first !== undefined && onTime.includes(first)) return { minutes, firing: onTime };
  }
  return { minutes, firing: firingAfter(minutes, 0) };
}

function outageCase(series: SloSeries): TestCase {
  const { definition } = series;
  const steps = lastStep(definition);
  const perStep = trafficPerMinute(definition);
  const { minutes: outageSteps, firing } = outageMinutes(definition, perStep, steps - 1);
  const healthySteps = steps - outageSteps;
  return testCase(series, `full outage for ${formatDuration(outageSteps * step)} fires`, [
    {
      series: seriesText(series.metric, series.errorLabels),
      values: `${counter(0, 0, healthySteps)} ${counter(perStep, perStep, outageSteps - 1)}`,
    },
    {
      series: seriesText(series.metric, series.successLabels),
      values: `${counter(0, perStep, healthySteps)} ${counter(perStep * healthySteps, 0, outageSteps - 1)}`,
    },
  ], firing);
}

/**
 * Builds the case of {@link outageCase} followed by healthy traffic until
 * every short window is clean again: the alerts fire at the end of the
 * outage and have resolved by the end of the case, while the long windows
 * still contain the outage.
 */
function recoveryCase(series: SloSeries): TestCase {
  const { definition } = series;
  const steps = lastStep(definition);
  const perStep = trafficPerMinute(definition);
  const { minutes: outageSteps, firing } = outageMinutes(definition, perStep, steps - 1);
  const healthySteps = steps - outageSteps;
  const longestShort = Math.max(...definition.tiers.map((tier) => tier.shortWindow));
  const recoverySteps = longestShort / step + 2;
  const outage = testCase(series, `full outage for ${formatDuration(outageSteps * step)} `
    + `resolves ${formatDuration(recoverySteps * step)} after it ends`, [
    {
      series: seriesText(series.metric, series.errorLabels),
      values: [counter(0, 0, healthySteps), counter(perStep, perStep, outageSteps - 1),
        counter(perStep * outageSteps, 0, recoverySteps - 1)].join(' '),
    },
    {
      series: seriesText(series.metric, series.successLabels),
      values: [counter(0, perStep, healthySteps),
        counter(perStep * healthySteps, 0, outageSteps - 1),
        counter(perStep * (healthySteps + 1), perStep, recoverySteps - 1)].join(' '),
    },
  ], firing);
  const resolved = {
    eval_time: formatDuration((steps + recoverySteps) * step),
    alertname: burnAlertName,
    exp_alerts: [],
  };
  return { ...outage, alert_rule_test: [...outage.alert_rule_test, resolved] };
}

function thresholdCases(series: SloSeries): TestCase[] {
  const { definition } = series;
  return definition.tiers.flatMap((tier) => {
    const threshold = errorRatioThreshold(tier, definition.period, definition.objective);
    const requests = Math.max(10 ** (decimalPlaces(threshold) + 2), trafficPerMinute(definition));
    const errors = Math.round(threshold * requests);
    return [
      constantBurnCase(series, `burn at the ${tier.name} threshold ${threshold} fires`,
        { errors, requests }),
      constantBurnCase(series, `burn just under the ${tier.name} threshold stays quiet for it`,
        { errors: errors - 1, requests }),
    ];
  });
}

/** A full outage at half the minimum request rate, which the gate keeps quiet. */
function lowTrafficCase(series: SloSeries): TestCase[] {
  const requests = Math.floor((series.definition.minRequestRate * step) / 2);
  if (requests < 1) return [];
  return [constantBurnCase(series, 'full outage under the minimum request rate stays quiet',
    { errors: requests, requests })];
}

/** Returns a flat series matching the SLO's total selector, or none when it has no selector. */
function quietSeries(definition: SloDefinition, steps: number): InputSeries[] {
  const selector = parseSelector(definition.total.selector ?? '');
  const labels = selector ? sampleLabels(selector) : undefined;
  if (!selector || !labels) return [];
  return [{ series: seriesText(selector.metric, labels), values: counter(0, 0, steps) }];
}

/**
 * Builds one case for every SLO at once, with request counters that exist
 * but do not grow, so neither the burn alerts nor the absent-metrics alerts
 * fire. The cases of one SLO check only the burn alerts, because the other
 * SLOs have no series there. That keeps the file linear in the SLO count.
 */
function zeroTrafficCase(
  testable: readonly SloSeries[],
  definitions: readonly SloDefinition[],
  steps: number,
): TestCase {
  const flat = counter(0, 0, steps);
  const input = testable.flatMap((series) => [series.errorLabels, series.successLabels]
    .map((labels) => ({ series: seriesText(series.metric, labels), values: flat })));
  const untested = definitions
    .filter((definition) => !testable.some((series) => series.definition === definition));
  input.push(...untested.flatMap((definition) => quietSeries(definition, steps)));
  const evalTime = formatDuration(steps * step);
  return {
    name: 'zero traffic on every SLO stays quiet',
    interval: formatDuration(step),
    input_series: input,
    alert_rule_test: [
      { eval_time: evalTime, alertname: burnAlertName, exp_alerts: [] },
      { eval_time: evalTime, alertname: absentAlertName, exp_alerts: [] },
    ],
  };
}

function absentCase(
  definitions: readonly SloDefinition[],
  steps: number,
  options: RenderSloRulesOptions,
): TestCase {
  const evalTime = formatDuration(steps * step);
  const expected = definitions.flatMap((definition) => {
    if (definition.total.selector === undefined) return [];
    const selector = parseSelector(definition.total.selector);
    const longest = definition.tiers
      .reduce((max, tier) => (tier.longWindow > max.longWindow ? tier : max));
    const equal = Object.fromEntries((selector?.matchers ?? [])
      .filter((matcher) => matcher.operator === '=').map((matcher) => [matcher.name, matcher.value]));
    return [{
      exp_labels: { ...equal, ...burnLabels(definition, longest) },
      exp_annotations: annotationsOf(definition, absentAlertName, longest.name, options),
    }];
  });
  return {
    name: 'every SLO without request series fires its absent-metrics alert',
    interval: formatDuration(step),
    input_series: [{ series: 'up{job="unrelated"}', values: counter(1, 0, steps) }],
    alert_rule_test: [
      { eval_time: evalTime, alertname: absentAlertName, exp_alerts: expected },
      { eval_time: evalTime, alertname: burnAlertName, exp_alerts: [] },
    ],
  };
}

/**
 * Renders the promtool test file for the SLO rules. It starts with zero
 * traffic on every SLO. Each SLO then gets a full outage, its recovery, and
 * a burn exactly at and just under each tier's threshold. A last case
 * removes every request counter. An SLO whose series cannot be derived from
 * its selectors gets a comment in place of its cases.
 */
export function renderSloTests(
  definitions: readonly SloDefinition[],
  options: RenderSloRulesOptions = {},
): string {
  const command = options.command ?? 'srekit slo generate';
  const testable: SloSeries[] = [];
  const skipped: string[] = [];
  for (const definition of definitions) {
    const found = findSeries(definition, options);
    if (typeof found === 'string') skipped.push(`# ${definition.service}/${definition.name}: untested, because ${found}.`);
    else testable.push(found);
  }
  const steps = Math.max(0, ...definitions.map(lastStep));
  const tests = testable.flatMap((series) => [
    outageCase(series),
    recoveryCase(series),
    ...thresholdCases(series),
    ...lowTrafficCase(series),
  ]);
  if (testable.length > 0) tests.unshift(zeroTrafficCase(testable, definitions, steps));
  if (definitions.length > 0) tests.push(absentCase(definitions, steps, options));
  const header = [
    `# Generated by \`${command}\` from the SLO specs in monitoring/slos.`,
    '# Run: promtool test rules monitoring/prometheus/tests/slos.test.yml',
    ...skipped,
  ].join('\n');
  const body = stringify({
    rule_files: ['../rules/slos.yml'],
    evaluation_interval: formatDuration(step),
    tests,
  }, { lineWidth: 100, aliasDuplicateObjects: false });
  return `${header}\n${body}`;
}
