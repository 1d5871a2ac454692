import type { SloBenchResult, Spread } from './bench.js';

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 0.001) return `${(seconds * 1000).toFixed(2)} ms`;
  return `${(seconds * 1_000_000).toFixed(0)} µs`;
}

function formatSpread(spread: Spread): string {
  return `${formatSeconds(spread.median)} / ${formatSeconds(spread.p99)}`;
}

/** Formats the range of `values` as `13` or `12–13`. */
function formatRange(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? String(min) : `${min}–${max}`;
}

function measurementRows(result: SloBenchResult): string[][] {
  const { generation, group } = result;
  const perSloMs = generation.medianMs / result.slos;
  const firing = Object.entries(result.firing).map(([name, count]) => `${name} ${count}`);
  const rows = [
    [`slo generate, library (median of ${generation.runsMs.length} runs)`,
      `${formatSeconds(generation.medianMs / 1000)} (${formatSeconds(perSloMs / 1000)} per SLO)`],
  ];
  if (result.cliMs !== undefined) {
    rows.push(['slo generate, CLI once (with Node.js start-up)', formatSeconds(result.cliMs / 1000)]);
  }
  const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;
  rows.push(
    ['generated rules / promtool tests',
      `${megabytes(result.fileBytes.rules)} / ${megabytes(result.fileBytes.tests)}`],
    ['rule evaluation per SLO (short + long group), median / p99', formatSpread(result.perSlo)],
    [`short-window group (every ${result.intervalSeconds} s), median / p99`,
      formatSpread(result.shortGroups)],
    [`long-window group (every ${result.longIntervalSeconds} s), median / p99`,
      formatSpread(result.longGroups)],
    ['one rule, Prometheus summary p50 / p99',
      `${formatSeconds(group.ruleDurationQuantiles['0.5'] ?? Number.NaN)} / `
      + formatSeconds(group.ruleDurationQuantiles['0.99'] ?? Number.NaN)],
    ['group evaluations measured', String(result.samples)],
    ['rules loaded (prometheus_rule_group_rules)', String(group.rules)],
    ['failed rule evaluations', String(group.failures)],
    ['alerts firing at the end', firing.length > 0 ? firing.join(', ') : 'none'],
  );
  return rows;
}

function countRows(result: SloBenchResult): string[][] {
  const counts = result.ruleCounts;
  return [
    ['srekit', formatRange(counts.map((count) => count.recording)),
      formatRange(counts.map((count) => count.alerting)),
      formatRange(counts.map((count) => count.tests)), 'generated and loaded here'],
    ...result.peers.map((peer) => [
      peer.tool, String(peer.recording), String(peer.alerting), '0', peer.source,
    ]),
  ];
}

function table(header: string[], rows: string[][]): string {
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

/** Renders the result as a heading line and two Markdown tables. */
export function formatSloBench(result: SloBenchResult): string {
  return [
    `SLO bench: ${result.slos} SLOs over ${result.services} services, Prometheus evaluating `
      + `every ${result.intervalSeconds} s (long-window groups every `
      + `${result.longIntervalSeconds} s).`,
    '',
    table(['measure', 'value'], measurementRows(result)),
    '',
    table(['tool', 'recording rules per SLO', 'alerts per SLO', 'promtool tests per SLO', 'source'],
      countRows(result)),
    '',
    'Sloth and Pyrra were not run: neither is packaged in Debian or on npm. Their counts',
    'are for the same SLO with default options, derived from their rule generators.',
    '',
  ].join('\n');
}
