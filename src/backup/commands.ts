import { Option, type Command } from 'commander';
import type { CommandContext, RegisterCommands } from '../common/command.js';
import {
  runCreate, runInit, runList, runRestore, runVerify,
} from './actions.js';
import { registerCopy } from './copy-command.js';
import { registerDrill } from './drill-command.js';
import { metricsDirVariable } from './metrics.js';
import { createWithMetrics, verifyWithRecords } from './metrics-actions.js';
import { registerAlertRules } from './metrics-command.js';
import { collectTag, keyOptions, parseClassName, parsePath } from './options.js';
import { registerPrune } from './prune-command.js';
import { registerSchedule } from './schedule-command.js';

const exitStatus = (extra: string) => `
Exit status:
  0   success
  1   failure: a backup is damaged, an entry is unsafe, or an operation failed
  2   bad usage${extra}
  10  the repository does not exist
  12  the key or passphrase is missing or wrong`;

/** Adds the `srekit backup` commands to the program. */
export const registerBackupCommands: RegisterCommands = (program, context) => {
  const backup = program.command('backup')
    .description('back up directories and databases to a directory or S3, '
      + 'and verify, prune and restore them');
  registerInit(backup, context);
  registerCreate(backup, context);
  registerList(backup, context);
  registerVerify(backup, context);
  registerRestore(backup, context);
  registerCopy(backup, context, exitStatus(''));
  registerDrill(backup, context, exitStatus(''));
  registerPrune(backup, context);
  registerSchedule(backup, context);
  registerAlertRules(backup, context);
};

const repoHelp = 'repository directory or s3://BUCKET/PREFIX';

const metricsDirHelp = 'write node-exporter textfile metrics into this directory '
  + `(default: $${metricsDirVariable})`;

function registerInit(backup: Command, context: CommandContext): void {
  backup.command('init')
    .description('create an empty backup repository in a directory or an existing S3 bucket')
    .requiredOption('--repo <dir|s3-url>', repoHelp, parsePath)
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', `
For S3 the endpoint comes from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, the
region from AWS_REGION, and credentials from the AWS SDK's usual sources.

Examples:
  srekit backup init --repo /srv/backups
  AWS_REGION=eu-west-1 srekit backup init --repo s3://acme-backups/orders
`)
    .action((options) => runInit(options, context));
}

function registerCreate(backup: Command, context: CommandContext): void {
  const command = backup.command('create')
    .description('back up a directory, a SQLite database through its online backup API, '
      + 'or a PostgreSQL database with pg_dump')
    .requiredOption('--source <path>',
      'directory to back up, sqlite:PATH for a SQLite database, or a postgres:// URL', parsePath)
    .requiredOption('--repo <dir|s3-url>', repoHelp, parsePath)
    .option('--class <name>', 'data class, used to pick backups and retention', parseClassName,
      'default')
    .addOption(new Option('--compression <kind>', 'compression of the archive')
      .choices(['zstd', 'gzip', 'none']).default('zstd'))
    .option('--tag <key=value>', 'label for the backup; repeat for more', collectTag, {})
    .option('--metrics-dir <dir>', metricsDirHelp, parsePath)
    .option('--json', 'print the result as one JSON line');
  for (const option of keyOptions()) command.addOption(option);
  command.addHelpText('after', `
Without --key-file or --passphrase-env the backup is stored unencrypted.

Examples:
  srekit backup create --source /var/lib/app --repo /srv/backups --key-file /etc/srekit/key
  srekit backup create --source sqlite:/var/lib/app/orders.db --repo /srv/backups --class db
  srekit backup create --source postgres://app@db1/orders --repo s3://backups/app --class db
${exitStatus('\n  3   the backup was written, but some source files were skipped')}`)
    .action((options) => createWithMetrics(options, context,
      () => runCreate(options, context)));
}

function registerList(backup: Command, context: CommandContext): void {
  backup.command('list')
    .description('list the backups in a repository, oldest first')
    .requiredOption('--repo <dir|s3-url>', repoHelp, parsePath)
    .option('--class <name>', 'list only backups of this class', parseClassName)
    .option('--json', 'print one JSON line per backup')
    .addHelpText('after', `\nExample:\n  srekit backup list --repo /srv/backups --class db\n${exitStatus('')}`)
    .action((options) => runList(options, context));
}

function registerVerify(backup: Command, context: CommandContext): void {
  const command = backup.command('verify')
    .description('check that stored backups are intact')
    .argument('[backup]', 'backup id, or `latest` (the default)')
    .requiredOption('--repo <dir|s3-url>', repoHelp, parsePath)
    .option('--id <id>', 'backup id, or `latest`')
    .option('--class <name>', 'with latest: the newest backup of this class', parseClassName)
    .option('--all', 'verify every backup')
    .addOption(new Option('--full',
      'decrypt and decompress everything, hash the tar stream and check every entry')
      .conflicts('sample'))
    .option('--sample <percent>', 'decrypt this share of the segments, with the last one')
    .option('--metrics-dir <dir>', metricsDirHelp, parsePath)
    .option('--json', 'print one JSON line per backup');
  for (const option of keyOptions()) command.addOption(option);
  command.addHelpText('after', `
By default (quick) the stored artifact's size and SHA-256 are checked, which
needs no key. --full and --sample need the key of an encrypted backup. Each
backup that passes gets a record in verified/, which prune reads.

Examples:
  srekit backup verify --repo /srv/backups
  srekit backup verify --repo /srv/backups --all --full --key-file /etc/srekit/key
${exitStatus('')}`)
    .action((positional: string | undefined, options) => verifyWithRecords(
      { ...options, positional }, context, () => runVerify(positional, options, context)));
}

function registerRestore(backup: Command, context: CommandContext): void {
  const command = backup.command('restore')
    .description('restore a backup into a directory, a SQLite file or a PostgreSQL database')
    .argument('[backup]', 'backup id, or `latest` (the default)')
    .requiredOption('--repo <dir|s3-url>', repoHelp, parsePath)
    .option('--id <id>', 'backup id, or `latest`')
    .option('--at <time>', 'the newest backup made at or before this ISO 8601 time')
    .option('--class <name>', 'with latest or --at: only backups of this class', parseClassName)
    .requiredOption('--to <path>', 'directory to restore into, database file for sqlite:, '
      + 'or an empty PostgreSQL database as a postgres:// URL', parsePath)
    .option('--force', 'replace a target that exists and is not empty')
    .option('--allow-setuid', 'restore files with the setuid or setgid bit')
    .option('--json', 'print the result as one JSON line');
  for (const option of keyOptions()) command.addOption(option);
  command.addHelpText('after', `
The backup is extracted beside the target, checked against its manifest and
then renamed into place; on any failure the target is left as it was.

Examples:
  srekit backup restore --repo /srv/backups --to /var/lib/app.restored
  srekit backup restore --repo /srv/backups --at 2026-12-04T17:00:00Z --to /tmp/app --force
${exitStatus('')}`)
    .action((positional: string | undefined, options) => runRestore(positional, options, context));
}
