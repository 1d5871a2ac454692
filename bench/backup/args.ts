import { parseArgs } from 'node:util';
import { SrekitError } from '../../src/common/errors.js';
import { parseSize, formatSize, gibibyte, mebibyte } from './size.js';

/** The tools the bench can run, in the order of the table. */
export const toolNames = ['srekit', 'restic', 'borg', 'tar-zstd'] as const;

/** A tool the bench can run. */
export type ToolName = (typeof toolNames)[number];

/** Settings of one bench run, as parsed from the command line. */
export interface BackupBenchOptions {
  /** Corpus size in bytes. */
  sizeBytes: number;
  smallFiles: number;
  rounds: number;
  tools: ToolName[];
  seed: number;
  /** Work directory, or undefined for a new one under the system's temporary directory. */
  workdir: string | undefined;
  /** Directory that contains the corpus or receives it, kept at the end. */
  corpus: string | undefined;
  keep: boolean;
  json: boolean;
  memoryCheck: boolean;
  /** Corpus size of the memory check, in bytes. */
  memorySizeBytes: number;
  /** srekit entry script, or undefined for dist/src/bin.js of this checkout. */
  srekitBin: string | undefined;
}

/** Usage text of the bench, printed by --help and with a usage error. */
export const usage = `Usage: node dist/bench/backup/run.js [options]

Backs up, restores and verifies one generated corpus with srekit, restic,
borg and tar piped to zstd, and compares the medians with srekit's targets.

Options:
  --size <size>         corpus size, such as 200MiB or 4GiB (default 1GiB)
  --small-files <n>     files of 1 to 8 KiB in the corpus (default 20000)
  --rounds <n>          rounds, each on a fresh repository (default 3)
  --tools <list>        comma-separated subset of ${toolNames.join(',')}
  --seed <n>            seed of the generated corpus (default 1)
  --workdir <dir>       work directory (default: a new srekit-bench-backup-*
                        directory under the system's temporary directory)
  --corpus <dir>        reuse the corpus in <dir>, or generate it there;
                        the bench never removes it
  --keep                keep the work directory at the end
  --memory-check        also back up a --memory-size corpus with srekit and
                        compare its peak memory (default on from 1GiB)
  --no-memory-check     skip that check
  --memory-size <size>  corpus size of the memory check (default 4GiB)
  --srekit <file>       srekit entry script to run (default: dist/src/bin.js
                        of this checkout)
  --json                print one JSON object per line, tagged with "type"
  -h, --help            print this help

Exit status: 0 every target passes, 1 a target is missed or a step fails,
2 bad usage.`;

const maxSize = 1024 * gibibyte;
const minSize = mebibyte;

function parseWholeNumber(flag: string, text: string | undefined, fallback: number,
  min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new SrekitError('USAGE',
      `invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`,
      { hint: usage });
  }
  return value;
}

function parseSizeOption(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const bytes = parseSize(text);
  if (bytes === undefined || bytes < minSize || bytes > maxSize) {
    throw new SrekitError('USAGE',
      `invalid ${flag} "${text}": expected a size from ${formatSize(minSize)} to `
      + `${formatSize(maxSize)} with a unit B, KiB, MiB, GiB or TiB, such as 200MiB`,
      { hint: usage });
  }
  return bytes;
}

function parseTools(text: string | undefined): ToolName[] {
  if (text === undefined) return [...toolNames];
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const known = new Set<string>(toolNames);
  const unknown = names.filter((name) => !known.has(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new SrekitError('USAGE',
      `invalid --tools "${text}": unknown tool ${unknown.join(', ') || '(none given)'}; `
      + `expected a comma-separated list of ${toolNames.join(', ')}`);
  }
  return toolNames.filter((name) => names.includes(name));
}

/** The largest share of the corpus that the small files may take at their maximum size. */
const maxSmallFileShare = 0.5;

function checkSmallFilesFit(sizeBytes: number, smallFiles: number, flag: string): void {
  const maxBytes = smallFiles * 8 * 1024;
  if (maxBytes > sizeBytes * maxSmallFileShare) {
    throw new SrekitError('USAGE',
      `${flag} ${formatSize(sizeBytes)} is too small for ${smallFiles} small files of up to `
      + '8 KiB, which may take at most half of the corpus',
      { hint: `give a --size of at least ${formatSize(maxBytes / maxSmallFileShare)} or fewer `
        + '--small-files' });
  }
}

function parseValues(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        size: { type: 'string' }, 'small-files': { type: 'string' },
        rounds: { type: 'string' }, tools: { type: 'string' }, seed: { type: 'string' },
        workdir: { type: 'string' }, corpus: { type: 'string' }, keep: { type: 'boolean' },
        'memory-check': { type: 'boolean' }, 'no-memory-check': { type: 'boolean' },
        'memory-size': { type: 'string' }, json: { type: 'boolean' }, srekit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new SrekitError('USAGE', (error as Error).message, { hint: usage });
  }
}

function parsePathOption(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new SrekitError('USAGE', `invalid ${flag}: the path is empty`);
  return text;
}

/**
 * Parses the command line into bench options, or returns 'help' for --help.
 * Throws USAGE on an unknown flag or a bad value.
 */
export function parseBackupBenchArgs(args: string[]): BackupBenchOptions | 'help' {
  const values = parseValues(args);
  if (values.help === true) return 'help';
  if (values['memory-check'] === true && values['no-memory-check'] === true) {
    throw new SrekitError('USAGE', '--memory-check and --no-memory-check exclude each other');
  }
  const sizeBytes = parseSizeOption('--size', values.size, gibibyte);
  const smallFiles = parseWholeNumber('--small-files', values['small-files'], 20_000, 1, 1_000_000);
  checkSmallFilesFit(sizeBytes, smallFiles, '--size');
  const memorySizeBytes = parseSizeOption('--memory-size', values['memory-size'], 4 * gibibyte);
  const memoryCheck = values['memory-check'] === true
    || (values['no-memory-check'] !== true && sizeBytes >= gibibyte);
  if (memoryCheck) checkSmallFilesFit(memorySizeBytes, smallFiles, '--memory-size');
  return {
    sizeBytes,
    smallFiles,
    rounds: parseWholeNumber('--rounds', values.rounds, 3, 1, 100),
    tools: parseTools(values.tools),
    seed: parseWholeNumber('--seed', values.seed, 1, 0, 2 ** 32 - 1),
    workdir: parsePathOption('--workdir', values.workdir),
    corpus: parsePathOption('--corpus', values.corpus),
    keep: values.keep === true,
    json: values.json === true,
    memoryCheck,
    memorySizeBytes,
    srekitBin: parsePathOption('--srekit', values.srekit),
  };
}
