import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CommandContext } from '../common/command.js';
import { ExitCode } from '../common/exit-codes.js';
import { writeFileAtomic } from '../common/files.js';

interface AlertRulesOptions {
  output: string;
  check?: boolean;
}

/** Adds `srekit backup alert-rules` to the `backup` command. */
export function registerAlertRules(backup: Command, context: CommandContext): void {
  backup.command('alert-rules')
    .description('print the Prometheus rules that alert on old backups, per class')
    .option('--output <file>', 'file to write, or - for stdout', '-')
    .option('--check', 'compare with --output and fail when it differs, writing nothing')
    .addHelpText('after', `
The classes and their RPOs come from src/backup/classes.ts.

Examples:
  srekit backup alert-rules --output monitoring/prometheus/rules/backup.yml
  srekit backup alert-rules --output monitoring/prometheus/rules/backup.yml --check

Exit status:
  0   success, or with --check the file is up to date
  1   with --check, the file differs or is missing`)
    .action((options: AlertRulesOptions) => runAlertRules(options, context));
}

async function runAlertRules(options: AlertRulesOptions, context: CommandContext):
  Promise<void> {
  // Imported here, because the yaml package adds about 9 MiB of RSS to every backup command.
  const { renderBackupRules } = await import('./metrics-rules.js');
  const rules = renderBackupRules();
  if (options.check) {
    const current = await readFile(options.output, 'utf8').catch(() => undefined);
    if (current === rules) {
      context.io.stdout.write(`${options.output} is up to date\n`);
      return;
    }
    context.io.stderr.write(`error: ${options.output} is stale or missing; run `
      + `\`srekit backup alert-rules --output ${options.output}\`\n`);
    context.setExitCode(ExitCode.failure);
    return;
  }
  if (options.output === '-') context.io.stdout.write(rules);
  else await writeFileAtomic(options.output, rules);
}
