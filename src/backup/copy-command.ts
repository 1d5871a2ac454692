import type { Command } from 'commander';
import type { CommandContext } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { writeJsonLine } from '../common/io.js';
import { runInterruptible } from '../common/interrupt.js';
import { copyBackup } from './copy.js';
import { removeLeftovers } from './leftovers.js';
import { parseClassName, parsePath, selectorOf, type SelectOptions } from './options.js';
import { printRemovedLeftovers } from './output.js';
import { Progress } from './progress.js';
import { openRepository } from './repository.js';
import { selectBackup } from './select.js';

interface CopyCommandOptions extends SelectOptions {
  repo: string;
  to: string;
  all?: boolean;
  json?: boolean;
}

/** Adds `srekit backup copy` to the `backup` command. */
export function registerCopy(backup: Command, context: CommandContext, exitStatus: string): void {
  backup.command('copy')
    .description('copy backups to another repository, directory or S3, skipping those it has')
    .argument('[backup]', 'backup id, or `latest` (the default)')
    .requiredOption('--repo <dir|s3-url>', 'repository to copy from', parsePath)
    .requiredOption('--to <dir|s3-url>', 'repository to copy to, created with backup init',
      parsePath)
    .option('--id <id>', 'backup id, or `latest`')
    .option('--class <name>', 'with latest: the newest backup of this class', parseClassName)
    .option('--all', 'copy every backup')
    .option('--json', 'print one JSON line per backup')
    .addHelpText('after', `
Each artifact is read back from the target and its SHA-256 checked before
the manifest is written there. No key is needed: the data is copied as stored.

Examples:
  srekit backup copy --repo /srv/backups --to s3://backups/app --all
  srekit backup copy --repo s3://backups/app --to /mnt/nfs/backups --class db
${exitStatus}`)
    .action((positional: string | undefined, options: CopyCommandOptions) =>
      runCopy(positional, options, context));
}

/** Runs `srekit backup copy`. */
export async function runCopy(
  positional: string | undefined, options: CopyCommandOptions, context: CommandContext,
): Promise<void> {
  const { io } = context;
  if (options.all && (positional !== undefined || options.id !== undefined)) {
    throw new SrekitError('USAGE', '--all cannot be combined with a backup id');
  }
  const source = await openRepository(options.repo);
  const target = await openRepository(options.to);
  if (source.store.location === target.store.location) {
    throw new SrekitError('USAGE', `--repo and --to both name ${source.store.location}`);
  }
  const { manifests } = await source.listManifests();
  const chosen = options.all
    ? manifests
    : [selectBackup(manifests, selectorOf(positional, options))];
  printRemovedLeftovers(io, await removeLeftovers(target));
  await runInterruptible('backup copy', async (signal) => {
    for (const manifest of chosen) {
      const progress = new Progress(io, `copied ${manifest.id}:`);
      const result = await copyBackup(source, target, manifest, progress.add, signal)
        .finally(() => progress.end());
      const detail = result.status === 'copied'
        ? ` (${result.bytes} bytes)`
        : ', already in the target';
      if (options.json) writeJsonLine(io.stdout, 'copy', { ...result });
      else io.stdout.write(`backup ${result.id}: ${result.status}${detail}\n`);
    }
  });
}
