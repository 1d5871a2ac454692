import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { SrekitError } from '../../src/common/errors.js';
import { longWindowInterval } from '../../src/slo/slo-rules.js';
import {
  checkLoadedRules, collectGroupMetrics, waitForScrape, type GroupMetrics, type RuleTotals,
} from './evaluation.js';
import { timeCliGeneration, timeLibraryGeneration, type GenerationTiming } from './generation.js';
import { pyrraRuleCount, slothRuleCount, type PeerRuleCount } from './peers.js';
import {
  logTail, queryApi, startPrometheus, type RunningPrometheus,
} from './prometheus.js';
import { countSloRules, type SloRuleCount } from './rule-counts.js';
import { benchJob, benchSlos, writeBenchSpecs } from './specs.js';
import { median, quantile } from './stats.js';
import { startSyntheticTarget, type SyntheticTarget } from './target.js';

/** Options of {@link runSloBench}. Intervals are in whole seconds. */
export interface SloBenchOptions {
  slos: number;
  /** Library generation runs, of which the median is reported. */
  generationRuns: number;
  /** Prometheus's scrape and global evaluation interval. */
  intervalSeconds: number;
  /** Evaluations every rule group must run after the first scrape before the metrics are read. */
  evaluations: number;
  /** Replaces the generated 60 s interval of the long-window groups when set. */
  longIntervalSeconds?: number;
  /** Also time the `srekit slo generate` command once. */
  runCli: boolean;
  timeoutMs: number;
  /** Path or name of the Prometheus binary. */
  prometheus?: string;
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Stops the bench with its abort reason, after stopping what it started. */
  signal?: AbortSignal;
}

/** Defaults of the command line: 200 SLOs and three evaluations at a 10 s interval. */
export const defaultSloBenchOptions: SloBenchOptions = {
  slos: 200,
  generationRuns: 5,
  intervalSeconds: 10,
  evaluations: 3,
  runCli: true,
  timeoutMs: 600_000,
};

/** The median and 99th percentile of a set of values. */
export interface Spread {
  median: number;
  p99: number;
}

/** Measurements of {@link runSloBench}. Times are in seconds unless named `Ms`. */
export interface SloBenchResult {
  slos: number;
  services: number;
  generation: GenerationTiming;
  cliMs: number | undefined;
  /** Sizes of the generated rule file and promtool test file, in bytes. */
  fileBytes: { rules: number; tests: number };
  ruleCounts: SloRuleCount[];
  peers: PeerRuleCount[];
  intervalSeconds: number;
  longIntervalSeconds: number;
  /** Short-group plus long-group evaluation time of each SLO, over the SLOs. */
  perSlo: Spread;
  shortGroups: Spread;
  longGroups: Spread;
  /** Evaluations measured, over all groups. */
  samples: number;
  group: Omit<GroupMetrics, 'durations'>;
  /** Firing alerts by name when the metrics were read. */
  firing: Record<string, number>;
}

/** Throws USAGE naming the first option that is out of range. */
export function checkSloBenchOptions(options: SloBenchOptions): void {
  const checks: Array<[string, number | undefined, number, number]> = [
    ['--slos', options.slos, 1, 10_000],
    ['--runs', options.generationRuns, 1, 100],
    ['--interval', options.intervalSeconds, 1, 60],
    ['--evaluations', options.evaluations, 2, 100],
    ['--long-interval', options.longIntervalSeconds, 1, 3_600],
  ];
  for (const [flag, value, min, max] of checks) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SrekitError('USAGE',
        `invalid ${flag} ${value}: expected a whole number from ${min} to ${max}`);
    }
  }
  if (!(options.timeoutMs > 0)) {
    throw new SrekitError('USAGE', `invalid --timeout ${options.timeoutMs / 1000}: expected seconds above 0`);
  }
}

/**
 * Generates SLO specs, times their generation, loads the rules into a real
 * Prometheus that scrapes a synthetic target, and reads Prometheus's own
 * rule group metrics once every group has run `evaluations` times. Every
 * process and file it starts or writes is gone when it returns or throws.
 */
export async function runSloBench(options: SloBenchOptions): Promise<SloBenchResult> {
  checkSloBenchOptions(options);
  const log = options.log ?? (() => undefined);
  const workdir = await mkdtemp(join(tmpdir(), 'srekit-bench-slo-'));
  let target: SyntheticTarget | undefined;
  let prometheus: RunningPrometheus | undefined;
  try {
    const slos = benchSlos(options.slos);
    const specsDir = join(workdir, 'specs');
    await writeBenchSpecs(specsDir, slos);

    log(`timing ${options.generationRuns} library runs of slo generate on ${slos.length} SLOs`);
    const { timing, files } = await timeLibraryGeneration(
      specsDir, join(workdir, 'generated'), options.generationRuns, options.signal);
    const [rules, tests] = files;
    if (rules === undefined || tests === undefined) throw new Error('generation wrote no files');
    const cliMs = options.runCli ? await timeCli(specsDir, workdir, rules.content, log) : undefined;

    const names = slos.map((slo) => `${slo.service}/${slo.name}`);
    const ruleCounts = countSloRules(rules.content, tests.content, names);
    const rulesFile = await rulesForPrometheus(rules.path, rules.content, options);

    options.signal?.throwIfAborted();
    target = await startSyntheticTarget(slos);
    log(`starting Prometheus with ${ruleCounts.length * 2} rule groups`);
    prometheus = await startPrometheus({
      workdir, rulesFile, targetAddress: target.address,
      intervalSeconds: options.intervalSeconds, binary: options.prometheus,
    });
    await checkLoadedRules(prometheus.url, totals(ruleCounts));
    await waitForScrape(prometheus.url, benchJob, options.timeoutMs, options.signal);

    log(`waiting for ${options.evaluations} evaluations of every group after the first scrape`);
    const groups = ruleCounts.flatMap((count) => count.groups);
    const metrics = await collectGroupMetrics(prometheus.url, groups, {
      evaluations: options.evaluations,
      pollMs: Math.max(250, options.intervalSeconds * 250),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (metrics.failures > 0) {
      throw new SrekitError('CHECK_FAILED', `Prometheus counted ${metrics.failures} failed rule `
        + `evaluations of the generated rules; its log ends:\n${await logTail(prometheus.logFile)}`);
    }
    const firing = await firingAlerts(prometheus.url);
    const fileBytes = {
      rules: Buffer.byteLength(rules.content), tests: Buffer.byteLength(tests.content),
    };
    return summarise(options, {
      slos: slos.length, timing, cliMs, fileBytes, ruleCounts, metrics, firing,
    });
  } finally {
    await prometheus?.stop();
    await target?.close();
    await rm(workdir, { recursive: true, force: true });
  }
}

async function timeCli(
  specsDir: string,
  workdir: string,
  expectedRules: string,
  log: (line: string) => void,
): Promise<number> {
  log('timing one run of the srekit slo generate command');
  const cli = await timeCliGeneration(specsDir, workdir);
  if (cli.rules !== expectedRules) {
    throw new SrekitError('CHECK_FAILED',
      'srekit slo generate wrote other rules than the library functions for the same specs');
  }
  return cli.ms;
}

function totals(counts: readonly SloRuleCount[]): RuleTotals {
  return {
    groups: counts.reduce((sum, count) => sum + count.groups.length, 0),
    recording: counts.reduce((sum, count) => sum + count.recording, 0),
    alerting: counts.reduce((sum, count) => sum + count.alerting, 0),
  };
}

/**
 * Returns the rule file to load: the generated one, or a copy whose groups
 * with their own interval (the long-window groups) use `longIntervalSeconds`.
 */
async function rulesForPrometheus(
  path: string,
  content: string,
  options: SloBenchOptions,
): Promise<string> {
  if (options.longIntervalSeconds === undefined) return path;
  const file = parse(content) as { groups: Array<{ interval?: string }> };
  for (const group of file.groups) {
    if (group.interval !== undefined) group.interval = `${options.longIntervalSeconds}s`;
  }
  const copy = `${path}.bench.yml`;
  await writeFile(copy, stringify(file, { lineWidth: 0 }));
  return copy;
}

async function firingAlerts(url: string): Promise<Record<string, number>> {
  const data = await queryApi(url, '/api/v1/alerts') as {
    alerts: Array<{ state: string; labels: Record<string, string> }>;
  };
  const firing: Record<string, number> = {};
  for (const alert of data.alerts) {
    if (alert.state !== 'firing') continue;
    const name = alert.labels.alertname ?? '';
    firing[name] = (firing[name] ?? 0) + 1;
  }
  return firing;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), p99: quantile(values, 0.99) };
}

interface Measured {
  slos: number;
  timing: GenerationTiming;
  cliMs: number | undefined;
  fileBytes: { rules: number; tests: number };
  ruleCounts: SloRuleCount[];
  metrics: GroupMetrics;
  firing: Record<string, number>;
}

function summarise(options: SloBenchOptions, measured: Measured): SloBenchResult {
  const { durations, ...group } = measured.metrics;
  const samplesOf = (suffix: string) => [...durations]
    .filter(([name]) => name.endsWith(suffix)).flatMap(([, values]) => values);
  // An SLO's cost per evaluation round is one run of each of its groups.
  const perSlo = measured.ruleCounts.map((count) => count.groups
    .reduce((sum, name) => sum + median(durations.get(name) ?? []), 0));
  return {
    slos: measured.slos,
    services: new Set(measured.ruleCounts.map((count) => count.slo.split('/')[0])).size,
    generation: measured.timing,
    cliMs: measured.cliMs,
    fileBytes: measured.fileBytes,
    ruleCounts: measured.ruleCounts,
    peers: [slothRuleCount(), pyrraRuleCount()],
    intervalSeconds: options.intervalSeconds,
    longIntervalSeconds: options.longIntervalSeconds ?? longWindowInterval,
    perSlo: spread(perSlo),
    shortGroups: spread(samplesOf('-short')),
    longGroups: spread(samplesOf('-long')),
    samples: [...durations.values()].reduce((sum, values) => sum + values.length, 0),
    group,
    firing: measured.firing,
  };
}
