import { InvalidArgumentError, type Command } from 'commander';
import { isIP } from 'node:net';
import type { CommandContext } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { interruptSignals } from '../common/interrupt.js';
import { createLogger } from '../common/logger.js';
import { startIncidentServer } from './server-start.js';
import {
  readIncidentToken, readSlackWebhookUrl, slackWebhookVariable, tokenVariable,
} from './server-token.js';

/** The port of `srekit incident serve` when none is given. */
export const defaultIncidentPort = 19096;

/** The flags of `srekit incident serve`. */
export interface ServeFlags {
  host: string;
  port: number;
  databaseUrl?: string;
  tokenFile?: string;
  slackWebhookFile?: string;
  statusDir?: string;
  component: string[];
}

const serveHelp = `
Examples:
  $ SREKIT_INCIDENT_TOKEN=$(cat ~/.srekit-token) srekit incident serve
  $ srekit incident serve --port 19096 --token-file /etc/srekit/incident-token \\
      --database-url postgres://incident:secret@127.0.0.1:5432/incident
  $ srekit incident serve --slack-webhook-file /etc/srekit/slack-webhook \\
      --status-dir /var/www/status --component orders-api --component checkout

Routes: GET and POST /v1/incidents, GET /v1/incidents/INC-N, POST
/v1/incidents/INC-N/{state,severity,roles,notes,updates,milestones,
action-items,snooze,resolve,cancel}, POST
/v1/incidents/INC-N/action-items/N/done, POST /v1/webhooks/alertmanager (the
receiver's webhook_configs url, with http_config.authorization set to the
token), GET /healthz, /metrics, /status and /status.json. Every POST
accepts an Idempotency-Key header: a repeat within 24 hours gets the first
response again without running the command twice.

The token comes from ${tokenVariable} or --token-file and is never a flag,
so it does not show in the process list. The Slack webhook URL is a secret
too: it comes from ${slackWebhookVariable} or --slack-webhook-file. Requests to /v1 need the header
"Authorization: Bearer TOKEN". /healthz, /metrics, /status and /status.json
need no token. SIGINT, SIGTERM or SIGHUP stops accepting connections, waits
for requests in flight, closes the database and exits 0.

Exit status:
  0   stopped by a signal after draining
  1   the database cannot be opened or the port is in use
  2   bad usage, such as a missing token or an invalid flag`;

/**
 * Adds `serve` to the `srekit incident` command: the HTTP API with the
 * Alertmanager webhook, /metrics and the status page, until a signal.
 */
export function addServeCommand(incidentCommand: Command, context: CommandContext): void {
  incidentCommand
    .command('serve')
    .description('serve the incident HTTP API and the Alertmanager webhook until a signal')
    .option('--host <address>', 'IP address to bind; 0.0.0.0 accepts remote connections',
      parseHost, '127.0.0.1')
    .option('--port <port>', 'TCP port to listen on; 0 picks a free port', parseListenPort,
      defaultIncidentPort)
    .option('--database-url <url>', 'sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE '
      + '(default: a SQLite file under .srekit/incident/)')
    .option('--token-file <file>', `file holding the API token (default: $${tokenVariable})`)
    .option('--slack-webhook-file <file>', 'file holding the Slack incoming webhook URL that '
      + `receives incident messages (default: $${slackWebhookVariable}; none: no chat messages)`)
    .option('--status-dir <dir>', 'directory that receives the static status page on each change')
    .option('--component <name>', 'a component the status page always lists, operational when '
      + 'no open incident names it; repeat for more', collect, [])
    .addHelpText('after', serveHelp)
    .action(async (flags: ServeFlags) => {
      const token = requireToken(flags, context.io.env);
      await serve(flags, token, context);
    });
}

function requireToken(flags: ServeFlags, env: NodeJS.ProcessEnv): string {
  const token = readIncidentToken(flags.tokenFile, env);
  if (token === undefined) {
    throw new SrekitError('USAGE',
      'missing API token: the incident server does not start without one', {
        hint: `set ${tokenVariable} or pass --token-file FILE`,
      });
  }
  return token;
}

async function serve(flags: ServeFlags, token: string, context: CommandContext): Promise<void> {
  const logger = createLogger('incident', context.io.stderr, context.io.env);
  const server = await startIncidentServer({
    host: flags.host,
    port: flags.port,
    databaseUrl: flags.databaseUrl,
    token,
    logger,
    slackWebhookUrl: readSlackWebhookUrl(flags.slackWebhookFile, context.io.env),
    statusDir: flags.statusDir,
    statusComponents: flags.component,
  });

  const signal = await waitForSignal();

  // A second signal during the drain is logged, so the operator sees that
  // the server is still stopping.
  const onRepeat = (repeated: NodeJS.Signals) => {
    logger.warn({ signal: repeated }, 'already stopping');
  };
  for (const name of interruptSignals) process.on(name, onRepeat);
  try {
    logger.info({ signal }, 'signal received');
    await server.close();
  } finally {
    for (const name of interruptSignals) process.off(name, onRepeat);
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const name of interruptSignals) process.off(name, onSignal);
      resolve(signal);
    };
    for (const name of interruptSignals) process.on(name, onSignal);
  });
}

/**
 * Accepts an IP address or `localhost`. Other names are rejected rather than
 * looked up, so that starting the server sends no DNS query.
 */
function parseHost(value: string): string {
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new InvalidArgumentError(`invalid address "${value}": expected an IPv4 or IPv6 address, `
    + 'such as 127.0.0.1, ::1 or 0.0.0.0, or localhost');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseListenPort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(`invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return port;
}
