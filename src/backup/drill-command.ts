import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationSeconds, type CommandContext } from '../common/command.js';
import { ExitCode } from '../common/exit-codes.js';
import { runInterruptible } from '../common/interrupt.js';
import { writeJsonLine } from '../common/io.js';
import { drillBackup, type DrillResult } from './drill.js';
import { keyOptions, parseClassName, parsePath, readKey, type KeyOptions } from './options.js';
import { isPostgresUrl, parsePostgresUrl, redactPassword } from './postgres.js';
import { openRepository } from './repository.js';
import { selectBackup } from './select.js';

interface DrillCommandOptions extends KeyOptions {
  repo: string;
  class?: string;
  rto: number;
  scratchServer?: string;
  json?: boolean;
}

/** The recovery time objective of the application, 30 minutes, used unless --rto is given. */
const defaultRtoSeconds = 30 * 60;

/** Adds `srekit backup drill` to the `backup` command. */
export function registerDrill(backup: Command, context: CommandContext, exitStatus: string): void {
  const command = backup.command('drill')
    .description('restore the latest backup to a scratch directory, check it and time it')
    .requiredOption('--repo <dir|s3-url>', 'repository directory or s3://bucket/prefix',
      parsePath)
    .option('--class <name>', 'drill the newest backup of this class', parseClassName)
    .option('--rto <duration>', 'recovery time objective, such as 90s, 30m or 2h (default 30m)',
      parseDurationSeconds, defaultRtoSeconds)
    .option('--scratch-server <url>', 'postgres:// URL of a server where a PostgreSQL dump is '
      + 'loaded into a scratch database, which is dropped afterwards', parseServerUrl)
    .option('--json', 'print the result as one JSON line');
  for (const option of keyOptions()) command.addOption(option);
  command.addHelpText('after', `
The backup is restored into a new directory under the system's temporary
directory, every file is compared with the manifest, and the directory is
removed. A PostgreSQL backup is restored as its dump file, which
\`pg_restore --list\` must read. With --scratch-server the dump is also
loaded into a new database there, which is dropped afterwards.
The exit status is 1 when the drill fails or takes longer than the RTO.

Examples:
  srekit backup drill --repo /srv/backups --key-file /etc/srekit/key
  srekit backup drill --repo s3://backups/app --class db --rto 15m --json
${exitStatus}`)
    .action((options: DrillCommandOptions) => runDrill(options, context));
}

/** Runs `srekit backup drill`. */
export async function runDrill(options: DrillCommandOptions, context: CommandContext):
  Promise<void> {
  const { io } = context;
  const key = await readKey(options, io);
  const repository = await openRepository(options.repo);
  const { manifests } = await repository.listManifests();
  const manifest = selectBackup(manifests, { kind: 'latest', className: options.class });
  const result = await runInterruptible('backup drill', (signal) => drillBackup(repository,
    manifest, { rtoSeconds: options.rto, key, scratchServer: options.scratchServer, signal }));
  if (options.json) writeJsonLine(io.stdout, 'drill', { ...result });
  else io.stdout.write(`${describeDrill(result)}\n`);
  if (!result.ok) context.setExitCode(ExitCode.failure);
}

function parseServerUrl(value: string): string {
  if (!isPostgresUrl(value)) {
    throw new InvalidArgumentError(`invalid --scratch-server "${redactPassword(value)}": `
      + 'expected a postgres:// URL, such as postgres://drill@db1/postgres');
  }
  parsePostgresUrl(value);
  return value;
}

function describeDrill(result: DrillResult): string {
  const head = `drill of backup ${result.id} (class ${result.class}, ${result.source})`;
  if (result.error !== undefined) {
    return `${head}: failed after ${result.totalSeconds} s: ${result.error}`;
  }
  const verdict = result.ok ? 'within' : 'over';
  return `${head}: restored and checked ${result.filesChecked} entries `
    + `(${result.bytesChecked} bytes) in ${result.totalSeconds} s `
    + `(restore ${result.restoreSeconds} s, checks ${result.checkSeconds} s`
    + `${result.databaseLoaded ? ', including a scratch database load' : ''}), `
    + `${verdict} the RTO of ${result.rtoSeconds} s`;
}
