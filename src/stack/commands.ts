import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Writable } from 'node:stream';
import {
  parseDurationSeconds, parsePort, type CommandContext, type RegisterCommands,
} from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { writeJsonLine } from '../common/io.js';
import { createLogger } from '../common/logger.js';
import { defaultWorkdir, stackLayout } from './layout.js';
import { defaultBasePort, portsFromBase } from './ports.js';
import { startReceiver } from './receiver.js';
import { startStack, stopStack } from './stack.js';
import { readStackStatus, type StackStatus } from './status.js';

interface UpOptions {
  profile: string;
  workdir: string;
  basePort: number;
  timeout: number;
  json?: boolean;
}

interface DownOptions {
  workdir: string;
  grace: number;
}

interface StatusOptions {
  workdir: string;
  json?: boolean;
}

interface ReceiverCommandOptions {
  host: string;
  port: number;
  file: string;
  runbooks?: string;
}

const workdirOption = () => new Option('--workdir <dir>', 'directory with the stack\'s state, '
  + 'configs, data and logs').default(defaultWorkdir);

/** Adds the `srekit stack` commands to the program. */
export const registerStackCommands: RegisterCommands = (program, context) => {
  const stack = program.command('stack')
    .description('run Prometheus, Alertmanager, node-exporter, the service and the incident '
      + 'server on loopback ports')
    .addHelpText('after', `
Every part runs from installed binaries (Debian packages prometheus,
prometheus-alertmanager, prometheus-node-exporter) or from this repository's
dist/ on 127.0.0.1. The stack uses seven consecutive ports from ${defaultBasePort},
in this order: prometheus, alertmanager, node-exporter, service, service
admin API, alert receiver, incident server. Each up writes a new incident
API token to the file incident-token in the workdir (mode 0600).`);
  registerUp(stack, context);
  registerStatus(stack, context);
  registerDown(stack, context);
  registerReceiver(stack, context);
};

function registerUp(stack: Command, context: CommandContext): void {
  stack.command('up')
    .description('start the local stack and wait until every part is ready')
    .addOption(new Option('--profile <name>', 'timings to render the configs for')
      .choices(['production', 'gameday']).default('production'))
    .addOption(workdirOption())
    .option('--base-port <port>', 'first of the seven consecutive ports', parsePort,
      defaultBasePort)
    .addOption(new Option('--timeout <duration>', 'time each part may take to become ready: '
      + 'more than 0, in seconds, or with a unit ms, s, m or h')
      .argParser(parsePositiveDuration).default(30, '30s'))
    .option('--json', 'print one JSON object per line, tagged with "type"')
    .addHelpText('after', `
Examples:
  srekit stack up --profile gameday
  srekit stack up --base-port 29090 --workdir /tmp/stack

Exit status:
  0   every part is ready
  1   the stack runs already, a binary is missing, a port is in use, or a
      part failed to start (what was started is stopped again, and its logs
      stay in the workdir)
  2   bad usage, an invalid --workdir or an invalid state file`)
    .action(async (options: UpOptions) => runUp(options, context));
}

async function runUp(options: UpOptions, context: CommandContext): Promise<void> {
  const { io } = context;
  const controller = new AbortController();
  // The handlers stay until startStack returns, so a second Ctrl-C does
  // not kill the process while it stops the parts it started.
  const interrupt = (signal: NodeJS.Signals) => controller.abort(new SrekitError('INTERRUPTED',
    `stack up was interrupted by ${signal}; the parts it had started are stopped again`));
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    await startStack({
      workdir: options.workdir,
      profile: options.profile,
      ports: portsFromBase(options.basePort),
      readyTimeoutMs: options.timeout * 1000,
      env: io.env,
      onProgress: (message) => io.stderr.write(`${message}\n`),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  const status = await readStackStatus(options.workdir);
  if (status) printStatus(io.stdout, status, options.json ?? false);
}

function registerStatus(stack: Command, context: CommandContext): void {
  stack.command('status')
    .description('show each part of the local stack with its pid, port and health')
    .addOption(workdirOption())
    .option('--json', 'print one JSON object per line, tagged with "type"')
    .addHelpText('after', `
Exit status:
  0   every part is ready
  1   the stack is not running, or some part is not ready
  2   bad usage, an invalid --workdir or an invalid state file`)
    .action(async (options: StatusOptions) => {
      const status = await readStackStatus(options.workdir);
      if (!status) throw notRunning(options.workdir);
      printStatus(context.io.stdout, status, options.json ?? false);
      const notReady = status.components.filter((component) => component.health !== 'ready');
      if (notReady.length > 0) {
        const names = notReady.map((component) => `${component.name} (${component.health})`);
        context.io.stderr.write(`not ready: ${names.join(', ')}\n`);
        context.setExitCode(1);
      }
    });
}

function registerDown(stack: Command, context: CommandContext): void {
  stack.command('down')
    .description('stop every part of the local stack; logs and data stay in the workdir')
    .addOption(workdirOption())
    .addOption(new Option('--grace <duration>', 'time between SIGTERM and SIGKILL: in seconds, '
      + 'or with a unit ms, s, m or h; 0 sends SIGKILL right after SIGTERM')
      .argParser(parseDurationSeconds).default(10, '10s'))
    .addHelpText('after', `
Exit status:
  0   every part is stopped, or the stack was not running
  1   a part survived SIGKILL or could not be signalled
  2   bad usage, an invalid --workdir or an invalid state file`)
    .action(async (options: DownOptions) => {
      const { io } = context;
      const report = await stopStack(options.workdir, {
        graceMs: options.grace * 1000,
        onProgress: (message) => io.stderr.write(`${message}\n`),
      });
      if (!report.found) {
        io.stderr.write(`the local stack is not running in ${options.workdir}: nothing to stop\n`);
        return;
      }
      io.stderr.write(`stopped the local stack in ${options.workdir}\n`);
    });
}

function registerReceiver(stack: Command, context: CommandContext): void {
  stack.command('receiver', { hidden: true })
    .description('record Alertmanager webhooks until SIGTERM (run by `stack up`)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .requiredOption('--port <port>', 'port to listen on', parsePort)
    .requiredOption('--file <path>', 'JSON lines file that each notification is appended to')
    .option('--runbooks <dir>', 'directory of runbooks to serve under /runbooks/')
    .action(async (options: ReceiverCommandOptions) => {
      const logger = createLogger('receiver', context.io.stderr, context.io.env);
      const receiver = await startReceiver({
        host: options.host,
        port: options.port,
        file: options.file,
        runbooksDir: options.runbooks,
        logger,
      });
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      logger.info({ signal }, 'receiver stopping');
      await receiver.close();
    });
}

/** Parses a duration like {@link parseDurationSeconds}, rejecting 0. */
function parsePositiveDuration(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds <= 0) {
    throw new InvalidArgumentError('it must be more than 0, such as 30 (seconds) or 2m');
  }
  return seconds;
}

function notRunning(workdir: string): SrekitError {
  return new SrekitError('STACK_NOT_RUNNING', `the local stack is not running in ${workdir}`, {
    hint: 'start it with `srekit stack up`, or pass the --workdir it was started with',
  });
}

function printStatus(out: Writable, status: StackStatus, json: boolean): void {
  if (json) {
    const { components, ...stack } = status;
    writeJsonLine(out, 'stack', stack);
    for (const component of components) writeJsonLine(out, 'component', { ...component });
    return;
  }
  out.write(`stack in ${status.workdir}, profile ${status.profile}, started ${status.startedAt}\n`);
  out.write(`${row('COMPONENT', 'PID', 'PORT', 'HEALTH', 'URL')}\n`);
  for (const component of status.components) {
    out.write(`${row(component.name, String(component.pid ?? '-'), String(component.port),
      component.health, component.url)}\n`);
  }
  out.write(`service admin API: ${status.endpoints.serviceAdmin}\n`);
  out.write(`incident API token: ${stackLayout(status.workdir).incidentTokenFile}\n`);
}

function row(name: string, pid: string, port: string, health: string, url: string): string {
  return `${name.padEnd(14)} ${pid.padEnd(8)} ${port.padEnd(6)} ${health.padEnd(12)} ${url}`;
}
