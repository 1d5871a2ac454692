import type { Command } from 'commander';
import type { CommandContext } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { runInterruptible } from '../common/interrupt.js';
import { writeJsonLine, type Io } from '../common/io.js';
import { parseClassName, parsePath } from './options.js';
import { printRemovedLeftovers } from './output.js';
import { pruneBackups } from './prune.js';
import {
  isEmptyPolicy, parseKeepCount, parseSpan, type RetentionDecision, type RetentionPolicy,
} from './prune-policy.js';
import { openRepository } from './repository.js';

interface PruneCommandOptions {
  repo: string;
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepWithin?: string;
  class?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Adds `srekit backup prune` to the `backup` command. */
export function registerPrune(backup: Command, context: CommandContext): void {
  backup.command('prune')
    .description('remove the backups that no retention rule keeps, for each class')
    .requiredOption('--repo <dir>', 'repository directory', parsePath)
    .option('--keep-last <n>', 'keep the n newest backups')
    .option('--keep-hourly <n>', 'keep the newest backup of each of the n newest hours')
    .option('--keep-daily <n>', 'keep the newest backup of each of the n newest days')
    .option('--keep-weekly <n>', 'keep the newest backup of each of the n newest ISO weeks')
    .option('--keep-monthly <n>', 'keep the newest backup of each of the n newest months')
    .option('--keep-within <duration>', 'keep backups made this long before the newest, '
      + 'such as 36h or 1w2d')
    .option('--class <name>', 'prune only this class', parseClassName)
    .option('--dry-run', 'print what each rule keeps and what would go, and change nothing')
    .option('--json', 'print one JSON line per backup and a summary')
    .addHelpText('after', `
Rules apply to each class on its own, with hours, days, weeks and months in
UTC. The newest backup of a class that \`backup verify\` passed is always
kept. Prune holds the repository's exclusive lock while it removes backups.

Examples:
  srekit backup prune --repo /srv/backups --keep-last 4 --keep-daily 7 --dry-run
  srekit backup prune --repo /srv/backups --class db --keep-within 2d \\
    --keep-weekly 8

Exit status:
  0   success
  1   a backup could not be removed
  2   bad usage, or no --keep-* option above zero
  10  the repository does not exist
  11  another process holds the repository's lock`)
    .action((options: PruneCommandOptions) => runPrune(options, context));
}

/** Runs `srekit backup prune`. */
export async function runPrune(options: PruneCommandOptions, context: CommandContext):
  Promise<void> {
  const { io } = context;
  const policy = policyOf(options);
  const repository = await openRepository(options.repo);
  const dryRun = options.dryRun === true;
  const decisions = await runInterruptible('backup prune', (signal) => pruneBackups(repository, {
    policy, className: options.class, dryRun, signal,
    warn: (message) => io.stderr.write(`warning: ${message}\n`),
    onLeftoverRemoved: (key) => printRemovedLeftovers(io, [key]),
  }));
  printDecisions(io, decisions, dryRun, options.json === true);
}

function policyOf(options: PruneCommandOptions): RetentionPolicy {
  const count = (option: string, value: string | undefined) =>
    value === undefined ? 0 : parseKeepCount(option, value);
  const policy: RetentionPolicy = {
    last: count('--keep-last', options.keepLast),
    hourly: count('--keep-hourly', options.keepHourly),
    daily: count('--keep-daily', options.keepDaily),
    weekly: count('--keep-weekly', options.keepWeekly),
    monthly: count('--keep-monthly', options.keepMonthly),
    withinSeconds: options.keepWithin === undefined
      ? 0
      : parseSpan('--keep-within', options.keepWithin),
  };
  if (isEmptyPolicy(policy)) {
    throw new SrekitError('USAGE', 'no retention rule was given, so every backup would go', {
      hint: 'set at least one --keep-* option above zero, such as --keep-last 3',
    });
  }
  return policy;
}

function printDecisions(
  io: Io, decisions: RetentionDecision[], dryRun: boolean, json: boolean,
): void {
  const removed = decisions.filter((decision) => decision.reasons.length === 0).length;
  const kept = decisions.length - removed;
  for (const { manifest, reasons } of decisions) {
    const action = reasons.length > 0 ? 'keep' : 'remove';
    if (json) {
      writeJsonLine(io.stdout, action, {
        id: manifest.id, class: manifest.class, time: manifest.time, reasons, dryRun,
      });
      continue;
    }
    let verb = 'keep';
    if (action === 'remove') verb = dryRun ? 'would remove' : 'removed';
    const why = reasons.length > 0 ? `  (${reasons.join(', ')})` : '';
    io.stdout.write(`${verb.padEnd(12)}  ${manifest.id}  ${manifest.class}${why}\n`);
  }
  if (json) {
    writeJsonLine(io.stdout, 'prune', { kept, removed, dryRun });
    return;
  }
  const summary = dryRun
    ? `dry run: would remove ${removed} backups and keep ${kept}; nothing was changed`
    : `removed ${removed} backups, kept ${kept}`;
  io.stdout.write(`${summary}\n`);
}
