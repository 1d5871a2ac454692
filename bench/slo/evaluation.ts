import { SrekitError } from '../../src/common/errors.js';
import { sleep } from '../../src/common/interrupt.js';
import { scrape, type ExposedSample } from './exposition.js';
import { queryApi } from './prometheus.js';

/** Numbers of rule groups and rules. */
export interface RuleTotals {
  groups: number;
  recording: number;
  alerting: number;
}

interface RulesData {
  groups: Array<{ name: string; rules: Array<{ type: string; health?: string }> }>;
}

/**
 * Throws CHECK_FAILED unless Prometheus at `url` has loaded exactly the
 * expected groups and rules, as its rules API lists them.
 */
export async function checkLoadedRules(url: string, expected: RuleTotals): Promise<void> {
  const data = await queryApi(url, '/api/v1/rules') as RulesData;
  const rules = data.groups.flatMap((group) => group.rules);
  const loaded: RuleTotals = {
    groups: data.groups.length,
    recording: rules.filter((rule) => rule.type === 'recording').length,
    alerting: rules.filter((rule) => rule.type === 'alerting').length,
  };
  const differs = (Object.keys(expected) as Array<keyof RuleTotals>)
    .filter((key) => loaded[key] !== expected[key]);
  if (differs.length === 0) return;
  const list = differs.map((key) => `${loaded[key]} ${key} (expected ${expected[key]})`);
  throw new SrekitError('CHECK_FAILED',
    `Prometheus at ${url} loaded ${list.join(', ')} from the generated rule file`);
}

/**
 * Waits until Prometheus has scraped the target of `job` successfully, so
 * that the rules evaluated after it see series. Throws STARTUP_TIMEOUT after
 * `timeoutMs`, and the abort reason of `signal` once it aborts.
 */
export async function waitForScrape(
  url: string,
  job: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const query = encodeURIComponent(`up{job="${job}"}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const data = await queryApi(url, `/api/v1/query?query=${query}`) as {
      result: Array<{ value: [number, string] }>;
    };
    if (data.result[0]?.value[1] === '1') return;
    if (Date.now() >= deadline) {
      throw new SrekitError('STARTUP_TIMEOUT',
        `Prometheus at ${url} had not scraped the synthetic target after ${timeoutMs / 1000} s`);
    }
    await sleep(250, signal);
  }
}

/** Rule group metrics read from Prometheus's own /metrics. */
export interface GroupMetrics {
  /** Seconds of each observed evaluation after the first, by group name. */
  durations: Map<string, number[]>;
  /** Sum of `prometheus_rule_group_rules` over the groups. */
  rules: number;
  /** Sum of `prometheus_rule_evaluation_failures_total` over the groups. */
  failures: number;
  /** `prometheus_rule_evaluation_duration_seconds` by quantile ("0.5", "0.9", "0.99"). */
  ruleDurationQuantiles: Record<string, number>;
}

/** Returns the group name of a `rule_group` label, which reads `<file>;<group>`. */
function groupName(sample: ExposedSample): string {
  const label = sample.labels.rule_group ?? '';
  return label.slice(label.indexOf(';') + 1);
}

function byGroup(samples: ExposedSample[], metric: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name === metric) values.set(groupName(sample), sample.value);
  }
  return values;
}

/** Options for {@link collectGroupMetrics}. */
export interface CollectOptions {
  /** Evaluations every group must run after the first poll before collecting stops. */
  evaluations: number;
  pollMs: number;
  timeoutMs: number;
  /** Stops collecting with its abort reason. */
  signal?: AbortSignal;
}

/**
 * Polls Prometheus's /metrics until every group in `groups` has run
 * `evaluations` more times than when polling started, and records the
 * duration of each evaluation it observes, keyed by the group's last evaluation
 * timestamp. A group's first evaluation is left out because it runs against a
 * cold query engine. Throws CHECK_FAILED when the groups fall behind
 * `timeoutMs`.
 */
export async function collectGroupMetrics(
  url: string,
  groups: readonly string[],
  options: CollectOptions,
): Promise<GroupMetrics> {
  const durations = new Map(groups.map((group) => [group, [] as number[]]));
  const lastSeen = new Map<string, number>();
  let baseline: Map<string, number> | undefined;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const samples = await scrape(`${url}/metrics`, 'prometheus_rule_');
    const iterations = byGroup(samples, 'prometheus_rule_group_iterations_total');
    const timestamps = byGroup(samples, 'prometheus_rule_group_last_evaluation_timestamp_seconds');
    const lastDurations = byGroup(samples, 'prometheus_rule_group_last_duration_seconds');
    if (baseline === undefined) {
      // Evaluations that finished before polling started are not measured.
      baseline = iterations;
      for (const [group, timestamp] of timestamps) lastSeen.set(group, timestamp);
    }
    for (const group of groups) {
      const timestamp = timestamps.get(group) ?? 0;
      if (timestamp <= 0 || timestamp === lastSeen.get(group)) continue;
      if ((iterations.get(group) ?? 0) >= 2) {
        durations.get(group)?.push(lastDurations.get(group) ?? 0);
      }
      lastSeen.set(group, timestamp);
    }
    const start = baseline;
    const behind = groups.filter((group) => (iterations.get(group) ?? 0)
      < (start.get(group) ?? 0) + options.evaluations);
    if (behind.length === 0) return summarise(samples, groups, durations);
    if (Date.now() >= deadline) throw fellBehind(behind, options);
    await sleep(options.pollMs, options.signal);
  }
}

function fellBehind(behind: string[], options: CollectOptions): SrekitError {
  const listed = behind.slice(0, 3).join(', ') + (behind.length > 3 ? ', …' : '');
  return new SrekitError('CHECK_FAILED', `${behind.length} rule groups (${listed}) ran fewer than `
    + `${options.evaluations} more evaluations in ${options.timeoutMs / 1000} s`, {
    hint: 'raise --timeout, or lower --evaluations or the evaluation intervals',
  });
}

function summarise(
  samples: ExposedSample[],
  groups: readonly string[],
  durations: Map<string, number[]>,
): GroupMetrics {
  const sum = (metric: string) => {
    const values = byGroup(samples, metric);
    return groups.reduce((total, group) => total + (values.get(group) ?? 0), 0);
  };
  const ruleDurationQuantiles: Record<string, number> = {};
  for (const sample of samples) {
    const q = sample.labels.quantile;
    if (sample.name === 'prometheus_rule_evaluation_duration_seconds' && q !== undefined) {
      ruleDurationQuantiles[q] = sample.value;
    }
  }
  return {
    durations,
    rules: sum('prometheus_rule_group_rules'),
    failures: sum('prometheus_rule_evaluation_failures_total'),
    ruleDurationQuantiles,
  };
}
