import { Option, type Command } from 'commander';
import { SrekitError } from '../common/errors.js';
import type { Io } from '../common/io.js';
import { createLogger } from '../common/logger.js';
import { defaultIncidentDatabaseUrl, openIncidentDatabase } from './database.js';
import { HttpIncidentClient } from './http-client.js';
import { readIncidentToken, tokenVariable } from './server-token.js';
import type { Actor, IncidentService } from './service-api.js';
import { createIncidentService } from './store.js';

/** The environment variable with the URL of `srekit incident serve`. */
export const serverUrlVariable = 'SREKIT_INCIDENT_URL';

/** The flags that choose where the incident commands run. */
export interface ConnectionFlags {
  server?: string;
  tokenFile?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** The flags of commands that change an incident. */
export interface WriteFlags extends ConnectionFlags {
  author?: string;
}

/** Adds --server, --token-file, --database-url and --json to `command`. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>',
      `URL of srekit incident serve (default: $${serverUrlVariable})`)
      .conflicts('databaseUrl'))
    .option('--token-file <file>', `file with the API token for --server (default: $${tokenVariable})`)
    .option('--database-url <url>', 'use the database directly: sqlite:PATH or postgres://... '
      + '(default: a SQLite file under .srekit/incident/)')
    .option('--json', 'print one JSON object per line, tagged with "type"');
}

/** Adds the connection options and --author to a command that changes an incident. */
export function addWriteOptions(command: Command): Command {
  return addConnectionOptions(command)
    .option('--author <name>', 'name for the timeline (default: $USER)');
}

/**
 * Opens the incident service that `flags` choose: the server at --server or
 * SREKIT_INCIDENT_URL with a token, else the database at --database-url or
 * the default SQLite file. Runs `work` with it and closes it afterwards.
 */
export async function withService<T>(
  flags: ConnectionFlags,
  io: Io,
  work: (service: IncidentService) => Promise<T>,
): Promise<T> {
  const service = await openService(flags, io);
  try {
    return await work(service);
  } finally {
    await service.close();
  }
}

async function openService(flags: ConnectionFlags, io: Io): Promise<IncidentService> {
  const server = flags.databaseUrl === undefined
    ? flags.server ?? nonEmpty(io.env[serverUrlVariable])
    : undefined;
  if (server !== undefined) {
    const token = readIncidentToken(flags.tokenFile, io.env);
    if (token === undefined) {
      throw new SrekitError('INCIDENT_UNAUTHORIZED', `missing API token for the server ${server}`, {
        hint: `set ${tokenVariable} or pass --token-file FILE`,
      });
    }
    return new HttpIncidentClient({ baseUrl: checkServerUrl(server), token });
  }

  // The CLI logs only warnings unless SREKIT_LOG_LEVEL sets another level, so
  // a command prints its result and not the opening of the database.
  const env = { ...io.env, SREKIT_LOG_LEVEL: io.env.SREKIT_LOG_LEVEL ?? 'warn' };
  const logger = createLogger('incident', io.stderr, env);
  const db = await openIncidentDatabase(flags.databaseUrl ?? defaultIncidentDatabaseUrl, logger);
  return createIncidentService(db);
}

/** Returns the author from --author or $USER, raising USAGE when neither is set. */
export function actorFrom(flags: WriteFlags, io: Io): Actor {
  const author = nonEmpty(flags.author) ?? nonEmpty(io.env.USER);
  if (author === undefined) {
    throw new SrekitError('USAGE', 'missing author for the timeline', {
      hint: 'pass --author NAME or set USER',
    });
  }
  return { author, source: 'cli' };
}

function checkServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SrekitError('INVALID_INPUT', `invalid server URL "${value}": it must start with `
      + 'http:// or https://', { hint: 'pass --server http://HOST:PORT' });
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
