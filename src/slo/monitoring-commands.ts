import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CommandContext } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { displayPath } from './generate.js';
import {
  committedMonitoringDir, runMonitoringChecks, type CheckResult,
} from './monitoring-check.js';
import { findPrometheusConfigMismatch } from './monitoring-loaded-config.js';
import { findLocalStackServers, type LocalStack } from './monitoring-local-stack.js';
import { printCheckResult, printReloadResult } from './monitoring-output.js';
import { parseServerUrl, reloadServers, type ReloadResult } from './monitoring-reload.js';
import {
  assertConfigForEachServer, resolveCheckTarget, serversFromOptions,
  type FileOptions, type ServerOptions,
} from './monitoring-targets.js';
import { findMonitoringTools } from './monitoring-tools.js';

interface CheckOptions extends FileOptions {
  json?: boolean;
}

interface ReloadOptions extends FileOptions, ServerOptions {
  workdir?: string;
  json?: boolean;
}

/**
 * Adds the `srekit monitoring` commands to the program. With `stack`,
 * `reload` without server URLs reloads the servers of the local stack.
 */
export function registerMonitoringCommands(
  program: Command,
  context: CommandContext,
  stack?: LocalStack,
): void {
  const monitoring = program.command('monitoring')
    .description('check the Prometheus and Alertmanager configs, and reload running servers');
  registerCheck(monitoring, context);
  registerReload(monitoring, context, stack);
}

const fileOptions = (dirHelp: string) => [
  new Option('--dir <dir>', dirHelp),
  new Option('--prometheus-config <file>', 'check this Prometheus config and its rule files'),
  new Option('--alertmanager-config <file>', 'check this Alertmanager config'),
];

function registerCheck(monitoring: Command, context: CommandContext): void {
  const command = monitoring.command('check')
    .description('check a monitoring directory with promtool, amtool and srekit\'s own checks');
  for (const option of fileOptions('directory laid out like monitoring/ (default: '
    + `${displayPath(committedMonitoringDir)})`)) command.addOption(option);
  command
    .option('--json', 'print one JSON object per check, tagged "check"')
    .addHelpText('after', `
With --dir, the checks are:
  promtool check config on prometheus/prometheus.yml and its rule files
  promtool test rules on every *.test.yml below prometheus/tests/
  amtool check-config on alertmanager/alertmanager.yml
  the labels in the \`equal\` list of each inhibit rule, which the alerts
    that the rule selects must carry
  the generated files, which must equal what \`srekit slo generate\` renders
With --prometheus-config or --alertmanager-config, only those files are
checked, and the inhibit rules against the policy and the committed SLO
specs. Each check prints one line with ok or failed, and a failed check
prints the tool's own output below it.

Examples:
  srekit monitoring check
  srekit monitoring check --dir /etc/srekit/monitoring --json

Exit status:
  0   every check passed
  1   a check failed (CHECK_FAILED), or promtool or amtool is not
      installed (MISSING_BINARY)
  2   bad usage, a missing directory or config file`)
    .action(async (options: CheckOptions) => {
      const tools = findMonitoringTools(context.io.env.PATH ?? '');
      const target = await resolveCheckTarget(
        hasFileOption(options) ? options : { ...options, dir: committedMonitoringDir });
      const print = (result: CheckResult) => printCheckResult(context.io.stdout, result, options);
      const results = await runMonitoringChecks(target, tools, print);
      const failed = results.filter((result) => result.status === 'failed');
      if (failed.length > 0) {
        throw new SrekitError('CHECK_FAILED', `${describeFailed(failed, results)}`, {
          hint: 'the output above shows why each check failed',
        });
      }
    });
}

function hasFileOption(options: FileOptions): boolean {
  return options.dir !== undefined || options.prometheusConfig !== undefined
    || options.alertmanagerConfig !== undefined;
}

function describeFailed(failed: readonly CheckResult[], all: readonly CheckResult[]): string {
  const list = failed.map((result) => `${result.check} ${displayPath(result.file)}`).join(', ');
  return `${failed.length} of ${all.length} monitoring checks failed: ${list}`;
}

function registerReload(monitoring: Command, context: CommandContext, stack?: LocalStack): void {
  const command = monitoring.command('reload')
    .description('check the configs, then make running servers load them without a restart')
    .addOption(new Option('--prometheus <url>', 'base URL of a Prometheus to reload; repeat '
      + 'the option for each replica').argParser(collectUrl))
    .addOption(new Option('--alertmanager <url>', 'base URL of an Alertmanager to reload; '
      + 'repeat the option for each cluster member').argParser(collectUrl));
  for (const option of fileOptions('directory laid out like monitoring/ that the servers load '
    + 'their configs from')) command.addOption(option);
  if (stack) {
    command.addOption(new Option('--workdir <dir>', 'working directory of the local stack '
      + 'to reload when no URL is given').default(stack.defaultWorkdir));
  }
  command
    .option('--json', 'print one JSON object per check and per server, tagged "check" and "reload"')
    .addHelpText('after', reloadHelp(stack !== undefined))
    .action(async (options: ReloadOptions) => runReload(options, context, stack));
}

function reloadHelp(withStack: boolean): string {
  const stackText = withStack ? `
Without --prometheus and --alertmanager, the Prometheus and Alertmanager of
the local stack in --workdir are reloaded, after a check of the configs
they load: the ones \`srekit stack up\` rendered into WORKDIR/config, not
monitoring/. Edits to monitoring/ reach the stack only through a new
\`srekit stack up\`.
` : '';
  return `
Every check of \`srekit monitoring check\` runs first on the configs that
the servers load, which --dir or --prometheus-config and
--alertmanager-config name. When any check fails, no server is contacted.
Then srekit reads each server's reload gauges from /metrics, sends
POST /-/reload (Prometheus needs --web.enable-lifecycle), and confirms from
the gauges that the server loaded its config. A server whose reload fails
keeps running its previous config. A warning on stderr names a Prometheus
whose --config.file, from /api/v1/status/flags, is not the checked file.
${stackText}
Examples:
  srekit monitoring reload --prometheus http://127.0.0.1:9090 --dir monitoring
  srekit monitoring reload --alertmanager http://am-0:9093 --alertmanager http://am-1:9093 \\
    --alertmanager-config /etc/alertmanager/alertmanager.yml

Exit status:
  0   every check passed and every server loaded its config
  1   a check failed and nothing was reloaded (CHECK_FAILED), a server could
      not be reached or did not load its config (RELOAD_FAILED), the local
      stack is not running (STACK_NOT_RUNNING), or promtool or amtool is
      not installed (MISSING_BINARY)
  2   bad usage, an invalid URL, a missing directory or config file`;
}

/** Adds one --prometheus or --alertmanager URL to those given before it. */
function collectUrl(value: string, previous: string[] | undefined): string[] {
  const url = parseServerUrl(value);
  if (url === undefined) {
    throw new InvalidArgumentError(`invalid URL "${value}": expected http:// or https://, `
      + 'a host and a port, and no query, such as http://127.0.0.1:9090');
  }
  return [...(previous ?? []), url];
}

async function runReload(
  options: ReloadOptions,
  context: CommandContext,
  stack: LocalStack | undefined,
): Promise<void> {
  const { stdout } = context.io;
  const plan = await planReload(options, stack);
  const tools = findMonitoringTools(context.io.env.PATH ?? '');

  const print = (result: CheckResult) => printCheckResult(stdout, result, options);
  const results = await runMonitoringChecks(plan.target, tools, print);
  const failed = results.filter((result) => result.status === 'failed');
  if (failed.length > 0) {
    const message = `did not reload any server: ${describeFailed(failed, results)}`;
    throw new SrekitError('CHECK_FAILED', message, {
      hint: 'nothing was sent to the servers; fix the files and run the command again',
    });
  }

  // Alertmanager reports no config file path, so only Prometheus is compared.
  const { prometheusConfig } = plan.target;
  for (const server of plan.servers) {
    if (server.kind !== 'prometheus' || prometheusConfig === undefined) continue;
    const warning = await findPrometheusConfigMismatch(server, prometheusConfig);
    if (warning !== undefined) context.io.stderr.write(`warning: ${warning}\n`);
  }

  const reloadPrint = (result: ReloadResult) => printReloadResult(stdout, result, options);
  const reloads = await reloadServers(plan.servers, reloadPrint);
  const failures = reloads.flatMap((result) => (result.status === 'failed'
    ? [`${result.server.kind} at ${result.server.url}: ${result.reason}`] : []));
  if (failures.length > 0) {
    const message = failures.length === 1
      ? `could not reload ${failures[0]}`
      : `could not reload ${failures.length} servers:\n${failures.join('\n')}`;
    throw new SrekitError('RELOAD_FAILED', message, {
      hint: 'a server whose reload failed keeps running its previous config; '
        + 'its log names the problem',
    });
  }
}

async function planReload(options: ReloadOptions, stack: LocalStack | undefined) {
  const servers = serversFromOptions(options);
  if (servers.length > 0) {
    assertConfigForEachServer(options);
    return { servers, target: await resolveCheckTarget(options) };
  }
  if (!stack) {
    throw new SrekitError('USAGE', 'no server to reload', {
      hint: 'name each server with --prometheus URL or --alertmanager URL',
    });
  }
  if (hasFileOption(options)) {
    throw new SrekitError('USAGE', '--dir, --prometheus-config and --alertmanager-config apply '
      + 'only with --prometheus or --alertmanager', {
      hint: 'the local stack loads the configs that `srekit stack up` rendered into its '
        + 'workdir; leave these options out to check those',
    });
  }
  return findLocalStackServers(stack, options.workdir ?? stack.defaultWorkdir);
}
