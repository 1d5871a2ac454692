import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SrekitError } from '../../src/common/errors.js';
import type { ToolName } from './args.js';
import type { Corpus } from './corpus.js';
import { measureStep, type StepMeasurement } from './measure.js';
import { formatSize } from './size.js';
import { benchTools, type ToolContext } from './tools.js';
import { digestTree } from './tree-hash.js';

/** The steps that the bench times, in the order it runs them. */
export type StepName = 'init' | 'backup' | 'restore' | 'verify';

/** One tool's run in one round. */
export interface RoundResult {
  tool: ToolName;
  round: number;
  steps: Partial<Record<StepName, StepMeasurement>>;
  /** Bytes of the repository or archive after the backup, as `du -sb` counts them. */
  storedBytes: number;
  /**
   * The largest peak RSS over the backup, restore and verify steps, and where
   * it was. Init is left out, because it does not read the corpus.
   */
  peak: { bytes: number; process: string; step: StepName };
  restore: { files: number; fileBytes: number; matches: boolean };
}

/** Settings shared by every round: the corpus, directories, key and progress log. */
export interface RoundSettings {
  corpus: Corpus;
  /** Directory that receives the round's repository and restore, removed afterwards. */
  roundsDir: string;
  keyFile: string;
  srekitBin: string;
  rounds: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

function storedBytes(path: string): number {
  const result = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  const bytes = Number(result.stdout.split('\t')[0]);
  if (result.status !== 0 || !Number.isFinite(bytes)) {
    throw new SrekitError('CHECK_FAILED', `du -sb ${path} failed: ${result.stderr.trim()}`);
  }
  return bytes;
}

function largestPeak(steps: RoundResult['steps']): RoundResult['peak'] {
  let peak: RoundResult['peak'] = { bytes: 0, process: '', step: 'backup' };
  for (const [step, measurement] of Object.entries(steps)) {
    if (step !== 'init' && measurement.peakRssBytes > peak.bytes) {
      peak = { bytes: measurement.peakRssBytes, process: measurement.peakProcess,
        step: step as StepName };
    }
  }
  return peak;
}

async function timeStep(name: StepName, tool: ToolName, settings: RoundSettings, round: number,
  step: Parameters<typeof measureStep>[0]): Promise<StepMeasurement> {
  const label = `round ${round}/${settings.rounds} ${tool}`;
  settings.log(`${label}: ${name}`);
  const measurement = await measureStep(step, settings.signal);
  settings.log(`${label}: ${name} took ${measurement.seconds.toFixed(2)} s, peak memory `
    + `${formatSize(measurement.peakRssBytes)} (${measurement.peakProcess})`);
  return measurement;
}

/**
 * Runs one round of `tool` on a fresh repository: init, backup, restore
 * into an empty directory, and the full verify where the tool has one.
 * Compares the restored tree with the corpus, then removes the round's files.
 */
export async function runToolRound(toolName: ToolName, round: number,
  settings: RoundSettings): Promise<RoundResult> {
  const tool = benchTools[toolName];
  const dir = join(settings.roundsDir, `${round}-${toolName}`);
  const context: ToolContext = {
    source: settings.corpus.tree,
    repository: join(dir, toolName === 'tar-zstd' ? 'corpus.tar.zst' : 'repository'),
    home: join(dir, 'home'),
    keyFile: settings.keyFile,
    srekitBin: settings.srekitBin,
  };
  const target = join(dir, 'restored');
  await mkdir(context.home, { recursive: true });
  await mkdir(target);
  try {
    const steps: RoundResult['steps'] = {};
    const time = (name: StepName, step: Parameters<typeof measureStep>[0]) =>
      timeStep(name, toolName, settings, round, step);
    if (tool.init) steps.init = await time('init', tool.init(context));
    steps.backup = await time('backup', tool.backup(context));
    const stored = storedBytes(context.repository);
    steps.restore = await time('restore', tool.restore(context, target));
    const restored = await digestTree(target);
    const matches = restored.sha256 === settings.corpus.digest.sha256
      && restored.files === settings.corpus.digest.files;
    settings.log(`round ${round}/${settings.rounds} ${toolName}: restored ${restored.files} `
      + `files, ${matches ? 'identical to' : 'DIFFERENT from'} the corpus`);
    if (tool.verify) steps.verify = await time('verify', tool.verify(context));
    return {
      tool: toolName, round, steps, storedBytes: stored, peak: largestPeak(steps),
      restore: { files: restored.files, fileBytes: restored.fileBytes, matches },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
