import type { Writable } from 'node:stream';
import { writeJsonLine } from '../../src/common/io.js';
import type { BackupBenchResult } from './bench.js';
import type { MachineInfo } from './machine.js';
import { formatSize } from './size.js';
import type { ToolSummary } from './targets.js';
import { benchTools } from './tools.js';

const toolLabels: Record<string, string> = {
  'srekit': 'srekit (zstd, AES-256-GCM)',
  'restic': 'restic 0.14',
  'borg': 'borg 1.2 (zstd,3)',
  // A bare pipe would end the Markdown table cell.
  'tar-zstd': 'tar \\| zstd -T0 -3',
};

function seconds(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)} s`;
}

function summaryRow(summary: ToolSummary): string[] {
  const verify = benchTools[summary.tool].verifyCommand;
  return [
    toolLabels[summary.tool] ?? summary.tool,
    seconds(summary.backupSeconds),
    `${summary.backupMegabytesPerSecond.toFixed(0)} MB/s`,
    seconds(summary.restoreSeconds),
    verify ? `${seconds(summary.verifySeconds)}` : 'none',
    formatSize(summary.storedBytes),
    `${formatSize(summary.peakRssBytes)} (${summary.peakProcess}, ${summary.peakStep})`,
  ];
}

function table(header: string[], rows: string[][]): string {
  const lines = [header, header.map(() => '---'), ...rows];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function describeMachineLines(machine: MachineInfo): string[] {
  const load = machine.loadAverage;
  const versions = Object.values(machine.versions);
  return [
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${formatSize(machine.memoryBytes)} memory, `
      + `Linux ${machine.kernel}, Node.js ${machine.node}.`,
    `Load average (1 min): ${load.start.toFixed(1)} at the start, `
      + `${load.end?.toFixed(1) ?? 'n/a'} at the end.`,
    ...(versions.length > 0 ? [`Peers: ${versions.join('; ')}.`] : []),
  ];
}

/** Renders the result as a heading, a table of medians and the target lines. */
export function formatBackupBench(result: BackupBenchResult): string {
  const { corpus } = result;
  const rounds = result.summaries[0]?.rounds ?? 0;
  const lines = [
    `Backup bench: ${corpus.files} files, ${formatSize(corpus.fileBytes)} `
      + `(${(corpus.fileBytes / 1e6).toFixed(0)} MB), medians of ${rounds} rounds.`,
    ...describeMachineLines(result.machine),
    '',
    table(['tool', 'backup', 'backup throughput', 'restore', 'full verify', 'stored',
      'peak memory (largest process, step)'], result.summaries.map(summaryRow)),
    '',
    'Targets:',
    ...result.targets.map((target) =>
      `  ${target.status.padEnd(4)}  ${target.name}: ${target.measured} (target ${target.goal})`),
    '',
  ];
  if (result.keptWorkdir) lines.push(`Work directory kept: ${result.keptWorkdir}`, '');
  return lines.join('\n');
}

/**
 * Writes the result as JSON lines: the corpus, every step of every round,
 * one summary per tool, the memory check and one line per target.
 */
export function writeBackupBenchJson(out: Writable, result: BackupBenchResult): void {
  writeJsonLine(out, 'corpus', result.corpus);
  writeJsonLine(out, 'machine', { ...result.machine });
  for (const round of result.rounds) {
    for (const [step, measurement] of Object.entries(round.steps)) {
      writeJsonLine(out, 'step', { tool: round.tool, round: round.round, step, ...measurement });
    }
    writeJsonLine(out, 'round', { tool: round.tool, round: round.round,
      storedBytes: round.storedBytes, peak: round.peak, restore: round.restore });
  }
  for (const summary of result.summaries) writeJsonLine(out, 'summary', { ...summary });
  if (result.memoryCheck) writeJsonLine(out, 'memory-check', { ...result.memoryCheck });
  for (const target of result.targets) writeJsonLine(out, 'target', { ...target });
}
