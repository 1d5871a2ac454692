import type { ToolName } from './args.js';
import type { RoundResult } from './rounds.js';
import { formatSize, mebibyte } from './size.js';
import { median } from '../slo/stats.js';

/** Medians of one tool over the rounds. */
export interface ToolSummary {
  tool: ToolName;
  rounds: number;
  backupSeconds: number;
  /** Corpus megabytes (10^6 bytes) per second of backup. */
  backupMegabytesPerSecond: number;
  restoreSeconds: number;
  verifySeconds: number | undefined;
  storedBytes: number;
  peakRssBytes: number;
  /** Program and step of the largest peak over all rounds. */
  peakProcess: string;
  peakStep: string;
  restoresMatching: number;
}

/** srekit's peak memory in the memory check, against its backup peak in the rounds. */
export interface MemoryCheckResult {
  sizeBytes: number;
  peakRssBytes: number;
  baselineSizeBytes: number;
  baselinePeakRssBytes: number;
}

/** One target line: PASS, MISS, or SKIP when a tool it needs did not run. */
export interface TargetResult {
  name: string;
  measured: string;
  goal: string;
  status: 'PASS' | 'MISS' | 'SKIP';
}

/** Largest peak memory that srekit may reach in any step. */
export const memoryLimitBytes = 200 * mebibyte;
/** Largest growth of srekit's backup peak memory from the bench size to the memory check size. */
export const memoryGrowthLimit = 0.1;

/** Returns the medians of each tool's rounds, in the order of `tools`. */
export function summarizeRounds(rounds: readonly RoundResult[], tools: readonly ToolName[],
  corpusBytes: number): ToolSummary[] {
  return tools.map((tool) => {
    const toolRounds = rounds.filter((round) => round.tool === tool);
    const seconds = (step: 'backup' | 'restore' | 'verify') =>
      median(toolRounds.flatMap((round) => round.steps[step]?.seconds ?? []));
    const largest = toolRounds.reduce<RoundResult | undefined>(
      (a, b) => (a === undefined || b.peak.bytes > a.peak.bytes ? b : a), undefined);
    const verifySeconds = seconds('verify');
    const backupSeconds = seconds('backup');
    return {
      tool,
      rounds: toolRounds.length,
      backupSeconds,
      backupMegabytesPerSecond: corpusBytes / 1e6 / backupSeconds,
      restoreSeconds: seconds('restore'),
      verifySeconds: Number.isNaN(verifySeconds) ? undefined : verifySeconds,
      storedBytes: median(toolRounds.map((round) => round.storedBytes)),
      peakRssBytes: median(toolRounds.map((round) => round.peak.bytes)),
      peakProcess: largest?.peak.process ?? '',
      peakStep: largest?.peak.step ?? '',
      restoresMatching: toolRounds.filter((round) => round.restore.matches).length,
    };
  });
}

function ratioTarget(name: string, ratio: number | undefined, minimum: number,
  detail: string): TargetResult {
  if (ratio === undefined || !Number.isFinite(ratio)) {
    return { name, measured: 'not measured', goal: `>= ${minimum}x`, status: 'SKIP' };
  }
  return {
    name, measured: `${ratio.toFixed(2)}x (${detail})`, goal: `>= ${minimum}x`,
    status: ratio >= minimum ? 'PASS' : 'MISS',
  };
}

function divide(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

function formatRate(summary: ToolSummary | undefined): string {
  return summary ? `${summary.backupMegabytesPerSecond.toFixed(0)} MB/s` : 'n/a';
}

function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? 'n/a' : `${seconds.toFixed(2)} s`;
}

function speedTargets(find: (tool: ToolName) => ToolSummary | undefined): TargetResult[] {
  const srekit = find('srekit');
  const restic = find('restic');
  const tar = find('tar-zstd');
  return [
    ratioTarget('backup throughput vs restic',
      divide(srekit?.backupMegabytesPerSecond, restic?.backupMegabytesPerSecond), 1.5,
      `${formatRate(srekit)} vs ${formatRate(restic)}`),
    ratioTarget('backup throughput vs tar | zstd -T0 -3',
      divide(srekit?.backupMegabytesPerSecond, tar?.backupMegabytesPerSecond), 0.7,
      `${formatRate(srekit)} vs ${formatRate(tar)}`),
    // Speed is the inverse of time, so restic's time comes first.
    ratioTarget('restore speed vs restic',
      divide(restic?.restoreSeconds, srekit?.restoreSeconds), 1.5,
      `${formatSeconds(srekit?.restoreSeconds)} vs ${formatSeconds(restic?.restoreSeconds)}`),
    ratioTarget('full verify speed vs restic check --read-data',
      divide(restic?.verifySeconds, srekit?.verifySeconds), 2,
      `${formatSeconds(srekit?.verifySeconds)} vs ${formatSeconds(restic?.verifySeconds)}`),
  ];
}

function memoryTargets(srekit: ToolSummary | undefined,
  memoryCheck: MemoryCheckResult | undefined): TargetResult[] {
  const limit = `< ${formatSize(memoryLimitBytes)}`;
  const peak: TargetResult = srekit
    ? { name: 'srekit peak memory, any step', measured: formatSize(srekit.peakRssBytes),
      goal: limit, status: srekit.peakRssBytes < memoryLimitBytes ? 'PASS' : 'MISS' }
    : { name: 'srekit peak memory, any step', measured: 'not measured', goal: limit,
      status: 'SKIP' };
  const name = 'srekit backup peak memory growth with corpus size';
  const goal = `<= ${memoryGrowthLimit * 100}%`;
  if (!memoryCheck) return [peak, { name, measured: 'not run', goal, status: 'SKIP' }];
  const growth = memoryCheck.peakRssBytes / memoryCheck.baselinePeakRssBytes - 1;
  return [peak, {
    name,
    measured: `${(growth * 100).toFixed(1)}% (${formatSize(memoryCheck.peakRssBytes)} at `
      + `${formatSize(memoryCheck.sizeBytes)} vs ${formatSize(memoryCheck.baselinePeakRssBytes)} `
      + `at ${formatSize(memoryCheck.baselineSizeBytes)})`,
    goal,
    status: growth <= memoryGrowthLimit ? 'PASS' : 'MISS',
  }];
}

/**
 * Returns srekit's targets against its peers, then one line per tool for
 * its restores matching the corpus, so a fast but wrong tool fails too.
 */
export function evaluateTargets(summaries: readonly ToolSummary[],
  memoryCheck: MemoryCheckResult | undefined): TargetResult[] {
  const find = (tool: ToolName) => summaries.find((summary) => summary.tool === tool);
  const restores = summaries.map((summary): TargetResult => ({
    name: `${summary.tool} restores identical to the corpus`,
    measured: `${summary.restoresMatching} of ${summary.rounds}`,
    goal: 'all',
    status: summary.restoresMatching === summary.rounds ? 'PASS' : 'MISS',
  }));
  return [...speedTargets(find), ...memoryTargets(find('srekit'), memoryCheck), ...restores];
}
