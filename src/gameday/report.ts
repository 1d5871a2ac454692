import {
  formatIncidentLines, renderIncidentsMarkdown, type IncidentsSeen,
} from './incident-report.js';
import type { TrafficStats } from './traffic.js';

/** The outcome of one game day check. Times are in seconds from the fault or the fix. */
export interface CheckResult {
  scenario: string;
  /** The checked outcome, e.g. "InstanceDown firing at the page receiver". */
  name: string;
  /** The bound, or undefined for a check that expects no notification at all. */
  expectedMaxSeconds: number | undefined;
  /**
   * When the outcome was seen. Undefined when it was not seen before the
   * deadline, or when a check that expects no notification saw none.
   */
  observedSeconds: number | undefined;
  /**
   * The expected outcome of a check that is not a time, such as
   * "2300 to 2340 orders"; the report shows it in place of the bound.
   */
  expectedValue?: string;
  /** The observed outcome of a check that is not a time, such as "2318 orders". */
  observedValue?: string;
  passed: boolean;
}

/** Everything a game day report shows. */
export interface GamedayReport {
  startedAt: Date;
  finishedAt: Date;
  profile: { name: string; scrapeInterval: number; evaluationInterval: number };
  /** The scenarios in the order they were to run, including any the run did not reach. */
  scenarios: Array<{ id: string; title: string }>;
  checks: CheckResult[];
  traffic: TrafficStats;
  /** The incidents at the incident server at the end; unset when they could not be read. */
  incidents?: IncidentsSeen;
  /** Set when the game day stopped early, for example because the stack failed to start. */
  error?: string;
}

/** Returns true when every check passed and the game day ran to the end. */
export function reportPassed(report: GamedayReport): boolean {
  if (report.error !== undefined || report.checks.length === 0) return false;
  return report.checks.every((check) => check.passed);
}

function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? 'not seen' : `${seconds.toFixed(1)} s`;
}

function checkRows(report: GamedayReport): string[][] {
  return report.checks.map((check) => {
    if (check.expectedValue !== undefined) {
      return [check.scenario, check.name, check.expectedValue, check.observedValue ?? 'not seen',
        check.passed ? 'pass' : 'FAIL'];
    }
    const expectsNone = check.expectedMaxSeconds === undefined;
    return [
      check.scenario,
      check.name,
      expectsNone ? 'none' : `≤ ${formatSeconds(check.expectedMaxSeconds)}`,
      expectsNone && check.observedSeconds === undefined
        ? 'none'
        : formatSeconds(check.observedSeconds),
      check.passed ? 'pass' : 'FAIL',
    ];
  });
}

const headings = ['scenario', 'check', 'expected', 'observed', 'result'];

/** Formats the checks as a plain-text table for a terminal. */
export function formatTable(report: GamedayReport): string {
  const rows = [headings, ...checkRows(report)];
  const widths = headings.map((_, column) =>
    Math.max(...rows.map((row) => [...(row[column] ?? '')].length)));
  const line = (row: string[]) =>
    row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const verdict = reportPassed(report) ? 'game day passed' : 'game day FAILED';
  const incidents = formatIncidentLines(report.incidents);
  return [line(rows[0] ?? []), ...rows.slice(1).map(line), '', ...incidents, verdict, '']
    .join('\n');
}

function trafficSummary(traffic: TrafficStats): string {
  const statuses = Object.entries(traffic.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  return `${traffic.sent} requests sent (${statuses || 'no responses'}); `
    + `${traffic.transportErrors} without a response, ${traffic.skipped} skipped`;
}

/** Renders the whole report as Markdown. */
export function renderMarkdown(report: GamedayReport): string {
  const seconds = (report.finishedAt.getTime() - report.startedAt.getTime()) / 1000;
  const lines = [
    '# Game day report',
    '',
    `- Result: **${reportPassed(report) ? 'passed' : 'failed'}**`,
    `- Started: ${report.startedAt.toISOString()}, took ${seconds.toFixed(0)} s`,
    `- Profile: \`${report.profile.name}\` (scrape every ${report.profile.scrapeInterval} s, `
      + `rules evaluated every ${report.profile.evaluationInterval} s)`,
    `- Traffic: ${trafficSummary(report.traffic)}`,
  ];
  if (report.error) lines.push(`- Stopped early: ${report.error}`);
  lines.push(
    '',
    '## Scenarios',
    '',
    ...report.scenarios.map((scenario) => `- ${scenario.id}: ${scenario.title}`),
    '',
    '## Checks',
    '',
    '| scenario | check | expected | observed | result |',
    '|---|---|---|---|---|',
    ...checkRows(report).map((row) => `| ${row.join(' | ')} |`),
    '',
    'Times run from the moment the fault was injected (or removed) to the arrival of',
    'the notification at the local receiver, or to the moment Alertmanager showed the',
    "alert in the checked state. The expected figure is the worst case from the profile's",
    'scrape and evaluation intervals, the rule\'s `for` and windows, the traffic before',
    'the fault, and Alertmanager\'s group timings. It allows 3 standard deviations for',
    'the failures the service injects at random, and a fixed time for delivery.',
    'A check with the expected figure "none" passes when no such notification arrived',
    'from the act of the scenario it names until the end of its own scenario.',
    'The restore scenario measures its own times: the restore time runs from the',
    'destruction of the database to the first read of an order from before the backup,',
    'and the data loss window from the start of the backup to the destruction.',
    'Incident times run to the time the incident server recorded: the creation of the',
    'incident, or its move to monitoring.',
    '',
    ...renderIncidentsMarkdown(report.incidents),
  );
  return lines.join('\n');
}
