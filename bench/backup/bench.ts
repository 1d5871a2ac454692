import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SrekitError } from '../../src/common/errors.js';
import { describeFileError, isPathError } from '../../src/common/files.js';
import { findExecutable } from '../../src/common/process.js';
import type { BackupBenchOptions, ToolName } from './args.js';
import { prepareCorpus, type Corpus } from './corpus.js';
import { currentLoadAverage, describeMachine, type MachineInfo } from './machine.js';
import { gnuTime, measureStep } from './measure.js';
import { runToolRound, type RoundResult, type RoundSettings } from './rounds.js';
import {
  evaluateTargets, summarizeRounds, type MemoryCheckResult, type TargetResult, type ToolSummary,
} from './targets.js';
import { formatSize } from './size.js';
import { benchTools, defaultSrekitBin } from './tools.js';
import { median } from '../slo/stats.js';

/** Everything one bench run measured. */
export interface BackupBenchResult {
  corpus: { sizeBytes: number; files: number; fileBytes: number; reused: boolean };
  machine: MachineInfo;
  rounds: RoundResult[];
  summaries: ToolSummary[];
  memoryCheck: MemoryCheckResult | undefined;
  targets: TargetResult[];
  /** The work directory, when --keep left it in place. */
  keptWorkdir: string | undefined;
}

/** Throws MISSING_BINARY, before anything is created, when a program a tool needs is missing. */
export function checkPrograms(tools: readonly ToolName[],
  srekitBin: string = defaultSrekitBin): void {
  if (tools.includes('srekit') && !existsSync(srekitBin)) {
    throw new SrekitError('MISSING_BINARY', `the srekit entry script ${srekitBin} does not exist`,
      { hint: 'build it with `npx tsc -p .`, or give the right --srekit' });
  }
  const needed = [{ program: gnuTime, debianPackage: 'time' },
    { program: 'du', debianPackage: 'coreutils' },
    ...tools.flatMap((tool) => benchTools[tool].programs)];
  const missing = needed.filter(({ program }) => findExecutable([program]) === undefined);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((entry) => entry.debianPackage))];
    throw new SrekitError('MISSING_BINARY',
      `the backup bench needs ${missing.map((entry) => entry.program).join(', ')}, `
      + `which ${missing.length === 1 ? 'is' : 'are'} not installed`,
      { hint: `run \`scripts/install-system-deps.sh bench\` or apt-get install ${packages.join(' ')}, `
        + 'or leave the tool out with --tools' });
  }
}

async function openWorkdir(options: BackupBenchOptions):
  Promise<{ dir: string; created: boolean }> {
  if (options.workdir === undefined) {
    return { dir: await mkdtemp(join(tmpdir(), 'srekit-bench-backup-')), created: true };
  }
  const dir = resolve(options.workdir);
  const created = !existsSync(dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not create work directory ${dir}: ${describeFileError(error)}`,
      { hint: 'give a --workdir that is a directory or can be created' });
  }
  return { dir, created };
}

async function runRounds(options: BackupBenchOptions, settings: RoundSettings):
  Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    // Each round starts with the next tool, so none always runs first or last.
    const order = options.tools.map((_, index) =>
      options.tools[(index + round - 1) % options.tools.length] as ToolName);
    for (const tool of order) results.push(await runToolRound(tool, round, settings));
  }
  return results;
}

async function runMemoryCheck(options: BackupBenchOptions, workdir: string,
  settings: RoundSettings, rounds: readonly RoundResult[]): Promise<MemoryCheckResult> {
  const spec = { sizeBytes: options.memorySizeBytes, smallFiles: options.smallFiles,
    seed: options.seed };
  const corpus = await prepareCorpus(join(workdir, 'corpus-memory-check'), spec, settings.log);
  const repository = join(settings.roundsDir, 'memory-check');
  const srekit = benchTools.srekit;
  const context = { source: corpus.tree, repository, home: settings.roundsDir,
    keyFile: settings.keyFile, srekitBin: settings.srekitBin };
  try {
    settings.log(`memory check: srekit backup of ${formatSize(corpus.digest.fileBytes)}`);
    if (srekit.init) await measureStep(srekit.init(context), settings.signal);
    const measurement = await measureStep(srekit.backup(context), settings.signal);
    settings.log(`memory check: took ${measurement.seconds.toFixed(2)} s, peak memory `
      + formatSize(measurement.peakRssBytes));
    return {
      sizeBytes: options.memorySizeBytes,
      peakRssBytes: measurement.peakRssBytes,
      baselineSizeBytes: options.sizeBytes,
      baselinePeakRssBytes: median(rounds.filter((round) => round.tool === 'srekit')
        .map((round) => round.steps.backup?.peakRssBytes ?? Number.NaN)),
    };
  } finally {
    await rm(repository, { recursive: true, force: true });
  }
}

async function measure(options: BackupBenchOptions, workdir: string, corpus: Corpus,
  log: (line: string) => void, signal: AbortSignal | undefined) {
  const keyFile = join(workdir, 'srekit.key');
  await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
  const settings: RoundSettings = { corpus, roundsDir: join(workdir, 'rounds'), keyFile,
    srekitBin: options.srekitBin ?? defaultSrekitBin, rounds: options.rounds, log, signal };
  await rm(settings.roundsDir, { recursive: true, force: true });
  await mkdir(settings.roundsDir);
  try {
    const rounds = await runRounds(options, settings);
    const memoryCheck = options.memoryCheck && options.tools.includes('srekit')
      ? await runMemoryCheck(options, workdir, settings, rounds) : undefined;
    return { rounds, memoryCheck };
  } finally {
    await rm(settings.roundsDir, { recursive: true, force: true });
  }
}

/**
 * Generates or reuses the corpus, runs every round and the memory check,
 * and returns the measurements with the targets evaluated. Removes the work
 * directory at the end when it created it, unless `keep` is set. A given
 * work directory that existed keeps its corpus, so the next run reuses it.
 */
export async function runBackupBench(options: BackupBenchOptions,
  log: (line: string) => void, signal?: AbortSignal): Promise<BackupBenchResult> {
  checkPrograms(options.tools, options.srekitBin);
  const workdir = await openWorkdir(options);
  try {
    const corpusDir = options.corpus === undefined
      ? join(workdir.dir, 'corpus') : resolve(options.corpus);
    const corpus = await prepareCorpus(corpusDir, options, log);
    const machine = describeMachine(options.tools);
    const { rounds, memoryCheck } = await measure(options, workdir.dir, corpus, log, signal);
    machine.loadAverage.end = currentLoadAverage();
    const summaries = summarizeRounds(rounds, options.tools, corpus.digest.fileBytes);
    return {
      corpus: { sizeBytes: options.sizeBytes, files: corpus.digest.files,
        fileBytes: corpus.digest.fileBytes, reused: corpus.reused },
      machine,
      rounds,
      summaries,
      memoryCheck,
      targets: evaluateTargets(summaries, memoryCheck),
      keptWorkdir: options.keep ? workdir.dir : undefined,
    };
  } finally {
    if (!options.keep && workdir.created) await rm(workdir.dir, { recursive: true, force: true });
  }
}
