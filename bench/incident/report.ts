import type { IncidentBenchResult, IncidentBenchRun } from './bench.js';

/** Minimum median deliveries per second on SQLite. */
export const minDeliveriesPerSecond = 500;

/** The median p99 latency on SQLite must stay below this, in milliseconds. */
export const maxP99Ms = 50;

/** PASS or MISS, or `info` for a speed target that a PostgreSQL run only reports. */
export type Verdict = 'PASS' | 'MISS' | 'info';

/** One target with the measured value and its verdict. */
export interface TargetCheck {
  name: string;
  value: number;
  target: string;
  verdict: Verdict;
}

function total(result: IncidentBenchResult, pick: (run: IncidentBenchRun) => number): number {
  return result.runs.reduce((sum, run) => sum + pick(run), 0);
}

/**
 * Compares the result with the targets. The speed targets hold for SQLite,
 * so a PostgreSQL run reports them as `info`. The counts of duplicates,
 * misses and failures are summed over all runs and must be zero.
 */
export function checkTargets(result: IncidentBenchResult): TargetCheck[] {
  const speed = (pass: boolean): Verdict => {
    if (result.database !== 'sqlite') return 'info';
    return pass ? 'PASS' : 'MISS';
  };
  const zero = (name: string, value: number): TargetCheck => ({
    name, value, target: '= 0', verdict: value === 0 ? 'PASS' : 'MISS',
  });
  const { medians } = result;
  return [
    {
      name: 'deliveries per second, median', value: medians.deliveriesPerSecond,
      target: `>= ${minDeliveriesPerSecond}`,
      verdict: speed(medians.deliveriesPerSecond >= minDeliveriesPerSecond),
    },
    {
      name: 'p99 latency in ms, median', value: medians.p99Ms, target: `< ${maxP99Ms}`,
      verdict: speed(medians.p99Ms < maxP99Ms),
    },
    zero('duplicate incidents', total(result, (run) => run.check.duplicateIncidents)),
    zero('duplicate alert events', total(result, (run) => run.check.duplicateAlertEvents)),
    zero('missing or stray incidents', total(result, (run) => run.check.missingOrStrayIncidents)),
    zero('missing or stray alert events',
      total(result, (run) => run.check.missingOrStrayAlertEvents)),
    zero('failed deliveries', total(result, (run) => run.failedDeliveries)),
  ];
}

/** Returns 0 when no target is missed and 1 otherwise. */
export function exitCodeOf(targets: readonly TargetCheck[]): number {
  return targets.some((target) => target.verdict === 'MISS') ? 1 : 0;
}

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function speedCells(speed: IncidentBenchResult['medians']): string[] {
  return [
    speed.deliveriesPerSecond.toFixed(0),
    speed.p50Ms.toFixed(1),
    speed.p99Ms.toFixed(1),
    speed.maxMs.toFixed(1),
    speed.serverCpuMsPerDelivery.toFixed(2),
    speed.loadCpuMsPerDelivery.toFixed(2),
  ];
}

function runRow(run: IncidentBenchRun): string[] {
  return [
    String(run.run),
    ...speedCells(run),
    `${run.check.incidents} / ${run.check.pageGroups}`,
    String(run.check.duplicateAlertEvents),
    String(run.failedDeliveries),
    run.loadAverage.toFixed(1),
  ];
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Renders the result as a heading line, a table of runs and a table of targets. */
export function formatIncidentBench(
  result: IncidentBenchResult, targets: readonly TargetCheck[],
): string {
  const runRows = result.runs.map(runRow);
  if (result.runs.length > 1) {
    runRows.push(['median', ...speedCells(result.medians), '', '', '', '']);
  }
  const failures = result.runs.flatMap((run) => run.failures.map((text) => `run ${run.run}: ${text}`));
  return [
    `Incident webhook bench on ${result.database === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: `
      + `${result.messages} messages, each delivered 3 times (${result.deliveries} deliveries `
      + `in ${result.waves} waves) after ${result.warmupMessages} to warm up, `
      + `${result.concurrency} requests in flight, ${result.cpus} CPUs.`,
    '',
    table(['run', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU ms/delivery',
      'bench CPU ms/delivery', 'incidents / page groups', 'duplicate alert events',
      'failed deliveries', 'load average'], runRows),
    '',
    table(['target', 'value', 'required', 'verdict'], targets.map((target) => [
      target.name, formatValue(target.value), target.target, target.verdict,
    ])),
    ...failures.map((line) => `failed deliveries, ${line}`),
    '',
  ].join('\n');
}

/** Renders the result as JSON lines: one per run, then the summary with the targets. */
export function formatIncidentBenchJson(
  result: IncidentBenchResult, targets: readonly TargetCheck[],
): string {
  const { runs, ...summary } = result;
  const lines: object[] = runs.map((run) => ({ type: 'incident-bench-run', ...run }));
  lines.push({ type: 'incident-bench', ...summary, targets, exitCode: exitCodeOf(targets) });
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}
