import { InvalidArgumentError, Option, type Command } from 'commander';
import { isIP } from 'node:net';
import type { CommandContext, RegisterCommands } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { createLogger } from '../common/logger.js';
import { defaultAdminPort } from './admin.js';
import { defaultDatabaseUrl, parseDatabaseUrl } from './database-url.js';
import { defaultServicePort, startService } from './start.js';

interface StartFlags {
  port: number;
  host: string;
  databaseUrl: string;
  faults: boolean;
  adminPort?: number;
}

/**
 * Accepts an IP address or `localhost`. Other names are rejected rather than
 * looked up, so starting the service never sends a DNS query.
 */
function parseHost(value: string): string {
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new InvalidArgumentError(`invalid address "${value}": expected an IPv4 or IPv6 address, `
    + 'such as 127.0.0.1, ::1 or 0.0.0.0, or localhost');
}

const startHelp = `
Examples:
  $ srekit service start
  $ srekit service start --port 9000 \\
      --database-url sqlite:/var/lib/srekit/orders.sqlite
  $ SREKIT_DATABASE_URL=postgres://orders:secret@127.0.0.1:5432/orders \\
      srekit service start
  $ srekit service start --faults --admin-port 8081
  $ curl -X PUT -d '{"errorRate": 0.1}' -H 'content-type: application/json' \\
      http://127.0.0.1:8081/faults

Routes: POST /orders, GET /orders?limit=&cursor=, GET /orders/:id,
POST /orders/:id/cancel, /healthz, /readyz and /metrics. With --faults the
admin API serves GET, PUT and DELETE /faults, whose body is any subset of
{"latencyMs": integer 0-60000, "errorRate": 0-1, "databaseDown": true|false}.
SIGTERM or SIGINT stops accepting connections, waits up to 10 s for requests
in flight, closes the database and exits 0.

Exit status:
  0   stopped by SIGTERM or SIGINT after draining
  1   the database cannot be opened (DATABASE_UNAVAILABLE) or a port is in use
      (PORT_IN_USE)
  2   bad usage, such as an unknown flag or an unsupported database URL`;

/** Adds `srekit service start` to the program. */
export const registerServiceCommands: RegisterCommands = (program, context) => {
  const service = program
    .command('service')
    .description('run the reference orders API')
    .addHelpText('after', `
Examples:
  $ srekit service start --port 8080
  $ srekit service start --help

Exit status:
  0   success
  2   bad usage`);

  service
    .command('start')
    .description('start the orders API and serve it until SIGTERM or SIGINT')
    .option('--port <port>', 'TCP port of the orders API; 0 picks a free port', parseListenPort, defaultServicePort)
    .option('--host <address>', 'IP address to bind; 0.0.0.0 accepts remote connections',
      parseHost, '127.0.0.1')
    .addOption(new Option('--database-url <url>', 'sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE; '
      + 'a relative PATH is relative to the working directory')
      .env('SREKIT_DATABASE_URL')
      .argParser(parseDatabaseUrlFlag)
      .default(defaultDatabaseUrl))
    .option('--faults', 'serve the fault admin API on 127.0.0.1, for tests and game days only', false)
    .option('--admin-port <port>', `TCP port of the fault admin API (default: ${defaultAdminPort}); `
      + '0 picks a free port; needs --faults', parseListenPort)
    .addHelpText('after', startHelp)
    .action(async (flags: StartFlags, command: Command) => {
      if (flags.adminPort !== undefined && !flags.faults) {
        command.error('error: --admin-port needs --faults, because without it no admin API runs', {
          exitCode: ExitCode.usage,
          code: 'srekit.usage',
        });
      }
      // With port 0 the OS picks a free port for each server, so both may use it.
      if (flags.faults && flags.adminPort === flags.port && flags.port !== 0) {
        command.error('error: --admin-port must differ from --port, because the orders API '
          + `already listens on port ${flags.port}`, {
          exitCode: ExitCode.usage,
          code: 'srekit.usage',
        });
      }
      await serveUntilSignal(flags, context);
    });
};

async function serveUntilSignal(flags: StartFlags, context: CommandContext): Promise<void> {
  const logger = createLogger('service', context.io.stderr, context.io.env);
  const service = await startService({
    port: flags.port,
    host: flags.host,
    databaseUrl: flags.databaseUrl,
    faults: flags.faults,
    adminPort: flags.adminPort,
    logger,
  });

  const signal = await waitForSignal();

  // A second signal during the drain is logged rather than ignored silently,
  // so the operator knows the service is still stopping.
  const onRepeat = (repeated: NodeJS.Signals) => logger.warn({ signal: repeated }, 'already stopping');
  process.on('SIGTERM', onRepeat);
  process.on('SIGINT', onRepeat);
  try {
    logger.info({ signal }, 'signal received');
    await service.close();
  } finally {
    process.off('SIGTERM', onRepeat);
    process.off('SIGINT', onRepeat);
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function parseListenPort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(`invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return port;
}

function parseDatabaseUrlFlag(value: string): string {
  try {
    parseDatabaseUrl(value);
  } catch (error) {
    if (error instanceof SrekitError) {
      throw new InvalidArgumentError(`${error.message}; ${error.hint ?? ''}`);
    }
    throw error;
  }
  return value;
}
