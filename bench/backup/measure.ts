import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SrekitError } from '../../src/common/errors.js';

/** Path of GNU time, which reports the peak resident set size of what it runs. */
export const gnuTime = '/usr/bin/time';

/** One program of a step: a command and its arguments. */
export interface Stage {
  command: string;
  args: string[];
  /** Name shown as the process with the peak memory (default: the command's file name). */
  label?: string;
}

/** A timed command line: one program, or several joined by pipes. */
export interface Step {
  stages: Stage[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Wall time and peak memory of one step. */
export interface StepMeasurement {
  seconds: number;
  /** The largest peak resident set size among the step's processes, in bytes. */
  peakRssBytes: number;
  /** Name of the program with that peak. */
  peakProcess: string;
}

const stderrKeptBytes = 4000;

/**
 * Builds a bash script that runs every stage under GNU time, piped into the
 * next. Every value is a positional parameter, so nothing needs quoting:
 * $1..$n are the time output files, then each stage's words follow.
 */
function pipelineScript(step: Step, outputFiles: string[]): { script: string; words: string[] } {
  const words = [...outputFiles];
  const commands = step.stages.map((stage, index) => {
    const first = words.length + 1;
    words.push(stage.command, ...stage.args);
    const refs = Array.from({ length: stage.args.length + 1 }, (_, offset) => `"\${${first + offset}}"`);
    return `${gnuTime} -f %M -o "\${${index + 1}}" ${refs.join(' ')}`;
  });
  return { script: `set -o pipefail; ${commands.join(' | ')}`, words };
}

/** Reads the peak RSS in KiB that GNU time wrote last into `path`. */
async function readPeakKib(path: string): Promise<number> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  const value = Number(lines.at(-1));
  return Number.isFinite(value) ? value : 0;
}

function runBash(step: Step, script: string, words: string[], signal: AbortSignal | undefined):
  Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', ...words], {
      cwd: step.cwd, env: step.env ?? process.env, detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-stderrKeptBytes);
    });
    // The tools run in their own process group, so an interrupt stops the whole pipeline.
    const stop = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // The group has already exited.
      }
    };
    signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('close', (code) => {
      signal?.removeEventListener('abort', stop);
      resolve({ code, stderr });
    });
  });
}

function stageLabel(stage: Stage | undefined): string {
  return stage?.label ?? basename(stage?.command ?? '');
}

function describeStep(step: Step): string {
  return step.stages.map((stage) => [stageLabel(stage), ...stage.args].join(' '))
    .join(' | ');
}

/**
 * Runs `step` and returns its wall time and the largest peak RSS of its
 * programs. Throws CHECK_FAILED, with the end of the step's stderr, when a
 * program exits with a status other than 0, and rethrows an abort reason.
 */
export async function measureStep(step: Step, signal?: AbortSignal): Promise<StepMeasurement> {
  // Not in step.cwd, which may be the tree being backed up.
  const scratch = await mkdtemp(join(tmpdir(), 'srekit-bench-time-'));
  try {
    const outputFiles = step.stages.map((_, index) => join(scratch, `stage-${index}`));
    const { script, words } = pipelineScript(step, outputFiles);
    const started = performance.now();
    const { code, stderr } = await runBash(step, script, words, signal);
    const seconds = (performance.now() - started) / 1000;
    if (signal?.aborted) throw signal.reason;
    if (code !== 0) {
      throw new SrekitError('CHECK_FAILED',
        `${describeStep(step)} failed with exit status ${code}: ${stderr.trim() || 'no output'}`);
    }
    const peaks = await Promise.all(outputFiles.map(readPeakKib));
    const largest = peaks.indexOf(Math.max(...peaks));
    return {
      seconds,
      peakRssBytes: (peaks[largest] ?? 0) * 1024,
      peakProcess: stageLabel(step.stages[largest]),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
