import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import type { CommandContext, RegisterCommands } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { writeJsonLine } from '../common/io.js';
import { registerDashboardOutput } from './dashboard-command.js';
import { formatDuration } from './duration.js';
import {
  assertRulesFileCurrent, committedRulesPath, displayPath, writeRulesFile, type GenerateCommands,
} from './generate.js';
import { getProfile, profiles, type ProfileName } from './profiles.js';
import { renderRules } from './rules.js';
import { defaultRunbookBaseUrl, scaleAlerts } from './scale.js';
import { registerRoutingOutput } from './routing-command.js';
import { registerSpecCommands } from './spec-commands.js';

interface GenerateOptions {
  check?: boolean;
  profile: string;
  output?: string;
  runbookBaseUrl: string;
}

interface AlertsOptions {
  profile: string;
  runbookBaseUrl: string;
  json?: boolean;
}

const profileOption = () => new Option('--profile <name>', 'profile to render the rules for')
  .choices(Object.keys(profiles))
  .default('production');

const runbookOption = () => new Option(
  '--runbook-base-url <url>',
  'URL that each runbook_url annotation starts with',
).default(defaultRunbookBaseUrl);

/** Adds the `srekit slo` commands to the program. */
export const registerSloCommands: RegisterCommands = (program, context) => {
  const slo = program.command('slo')
    .description('alert policy as code: render and check the Prometheus alert rules');
  registerGenerate(slo, context);
  registerAlerts(slo, context);
  registerSpecCommands(slo, context);
  registerRoutingOutput(slo, context);
  registerDashboardOutput(slo, context);
};

function registerGenerate(slo: Command, context: CommandContext): void {
  slo.command('generate')
    .description('render the alert policy as a Prometheus rule file')
    .option('--check', 'write nothing; exit 1 when the file differs from the policy')
    .addOption(profileOption())
    .option('-o, --output <file>', 'file to write, `-` for stdout '
      + '(default: monitoring/prometheus/rules/alerts.yml for production, stdout otherwise)')
    .addOption(runbookOption())
    .addHelpText('after', `
Examples:
  srekit slo generate                  rewrite the committed production rules
  srekit slo generate --check          fail when the committed rules are stale
  srekit slo generate --profile gameday -o -

Exit status:
  0   the file was written, or (--check) it is up to date
  1   (--check) the file is missing or stale
  2   bad usage, or SLO specs that are invalid, unreadable or define no SLO`)
    .action(async (options: GenerateOptions) => runGenerate(options, context));
}

async function runGenerate(options: GenerateOptions, context: CommandContext): Promise<void> {
  const { io } = context;
  const profile = getProfile(options.profile);
  const renderOptions = { runbookBaseUrl: options.runbookBaseUrl };
  const output = options.output
    ?? (profile.name === 'production' ? committedRulesPath : '-');

  if (options.check) {
    if (output === '-') throw checkWithoutFile(options, profile.name);
    const commands: GenerateCommands = {
      write: (name) => generateCommand(options, name, false),
      check: (name) => generateCommand(options, name, true),
    };
    await assertRulesFileCurrent(resolve(output), profile, commands, renderOptions);
    io.stderr.write(`${displayPath(resolve(output))} is up to date\n`);
    return;
  }

  if (output === '-') {
    io.stdout.write(renderRules(profile, renderOptions));
    return;
  }
  await writeRulesFile(resolve(output), profile, renderOptions);
  io.stderr.write(`wrote ${displayPath(resolve(output))} for the ${profile.name} profile\n`);
}

function checkWithoutFile(options: GenerateOptions, profile: ProfileName): SrekitError {
  const example = `\`${generateCommand({ ...options, output: 'FILE' }, profile, true)}\``;
  if (options.output === undefined) {
    return new SrekitError('USAGE', `--check needs a rule file to compare, and the ${profile} `
      + 'profile has no default file', { hint: `name the file with -o: ${example}` });
  }
  return new SrekitError('USAGE', '--check compares a rule file, so --output cannot be `-`', {
    hint: `name the file with -o: ${example}`,
  });
}

/**
 * Returns the `srekit slo generate` command line for `profile`, with the
 * --output and --runbook-base-url of `options` when they were given, and
 * the committed rule file as --output for another profile than production.
 */
function generateCommand(options: GenerateOptions, profile: ProfileName, check: boolean): string {
  const words = ['srekit', 'slo', 'generate'];
  if (check) words.push('--check');
  if (profile !== 'production') words.push('--profile', profile);
  // Without -o, only production has a file, so another profile needs it named.
  const output = options.output
    ?? (profile === 'production' ? undefined : displayPath(committedRulesPath));
  if (output !== undefined) words.push('-o', shellQuote(output));
  if (options.runbookBaseUrl !== defaultRunbookBaseUrl) {
    words.push('--runbook-base-url', shellQuote(options.runbookBaseUrl));
  }
  return words.join(' ');
}

/** Quotes `word` for a POSIX shell when it contains anything but safe characters. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function registerAlerts(slo: Command, context: CommandContext): void {
  slo.command('alerts')
    .description('list the alerts of the policy with their durations scaled for a profile')
    .addOption(profileOption())
    .addOption(runbookOption())
    .option('--json', 'print one JSON object per alert, tagged "alert"')
    .addHelpText('after', `
Example:
  srekit slo alerts --profile gameday`)
    .action((options: AlertsOptions) => {
      const alerts = scaleAlerts(getProfile(options.profile), options);
      const { stdout } = context.io;
      for (const alert of alerts) {
        if (options.json) {
          writeJsonLine(stdout, 'alert', { ...alert });
          continue;
        }
        const windows = Object.entries(alert.windows)
          .map(([name, seconds]) => `${name}=${formatDuration(seconds)}`)
          .join(' ');
        const line = [alert.name.padEnd(16), alert.severity.padEnd(7),
          `for=${formatDuration(alert.for)}`.padEnd(10), windows].join(' ');
        stdout.write(`${line.trimEnd()}\n`);
      }
    });
}
