import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDurationSeconds, type CommandContext } from '../common/command.js';
import { writeJsonLine } from '../common/io.js';
import { parseClassName, parsePath } from './options.js';
import {
  assertDirectoryOrMissing, defaultBackupScript, renderUnits, writeUnits,
} from './schedule.js';

interface ScheduleCommandOptions {
  class: string;
  every: number;
  outputDir: string;
  script: string;
  settingsFile?: string;
  force?: boolean;
  json?: boolean;
}

/** Adds `srekit backup schedule` to the `backup` command. */
export function registerSchedule(backup: Command, context: CommandContext): void {
  backup.command('schedule')
    .description('write a systemd service and timer that back up one class on a schedule')
    .requiredOption('--class <name>', 'data class to back up', parseClassName)
    .requiredOption('--every <duration>', 'interval, such as 15m or 2h; at most the RPO',
      parseDurationSeconds)
    .option('--output-dir <dir>', 'directory for the unit files', parsePath, '.')
    .option('--script <path>', 'backup.sh that the service runs', parsePath,
      defaultBackupScript)
    // Not --env-file: Node.js 20 reads that flag even after the script name
    // and exits 9 when the file is missing.
    .option('--settings-file <path>', 'env file with the SREKIT_BACKUP_* settings that the '
      + 'service passes to backup.sh --env-file (default: /etc/srekit/backup-CLASS.env)', parsePath)
    .option('--force', 'replace unit files that exist')
    .option('--json', 'print the written files as JSON lines')
    .addHelpText('after', `
The timer uses OnCalendar with Persistent=true, so a run missed while the
host was off happens at boot, and a RandomizedDelaySec of a tenth of the
interval. Start it with \`systemctl enable --now srekit-backup-CLASS.timer\`.

Example:
  srekit backup schedule --class db --every 15m --output-dir /etc/systemd/system

Exit status:
  0   success
  2   bad usage: an unknown class, an interval longer than its RPO, or
      unit files that exist without --force`)
    .action((options: ScheduleCommandOptions) => runSchedule(options, context));
}

/** Runs `srekit backup schedule`. */
export async function runSchedule(options: ScheduleCommandOptions, context: CommandContext):
  Promise<void> {
  const units = renderUnits({
    className: options.class,
    everySeconds: options.every,
    script: resolve(options.script),
    envFile: resolve(options.settingsFile ?? `/etc/srekit/backup-${options.class}.env`),
  });
  await assertDirectoryOrMissing(options.outputDir);
  const written = await writeUnits(options.outputDir, units, options.force === true);
  for (const path of written) {
    if (options.json) writeJsonLine(context.io.stdout, 'unit', { path });
    else context.io.stdout.write(`wrote ${path}\n`);
  }
}
