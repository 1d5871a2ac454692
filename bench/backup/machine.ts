import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { ToolName } from './args.js';

/** The machine and program versions of a bench run, printed with the results. */
export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  /** First line of each peer tool's version output. */
  versions: Partial<Record<ToolName, string>>;
  /** One-minute load average when the rounds started and when they ended. */
  loadAverage: { start: number; end: number | undefined };
}

const versionCommands: Partial<Record<ToolName, string[]>> = {
  'restic': ['restic', 'version'],
  'borg': ['borg', '--version'],
  'tar-zstd': ['zstd', '--version'],
};

function firstLine(command: string[]): string {
  const [program = '', ...args] = command;
  const result = spawnSync(program, args, { encoding: 'utf8' });
  const line = (result.stdout ?? '').split('\n')[0] ?? '';
  // zstd frames its version line with asterisks.
  return line.replace(/^[\s*]+|[\s*]+$/g, '') || 'unknown';
}

/** Describes this machine and the installed versions of `tools`. */
export function describeMachine(tools: readonly ToolName[]): MachineInfo {
  const versions: MachineInfo['versions'] = {};
  for (const tool of tools) {
    const command = versionCommands[tool];
    if (command) versions[tool] = firstLine(command);
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    versions,
    loadAverage: { start: loadavg()[0] ?? 0, end: undefined },
  };
}

/** Returns the one-minute load average. */
export function currentLoadAverage(): number {
  return loadavg()[0] ?? 0;
}
