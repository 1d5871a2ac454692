import type { FastifyInstance } from 'fastify';
import { listenOnTcp } from '../common/http-listen.js';
import type { Logger } from '../common/logger.js';
import { defaultIncidentDatabaseUrl, openIncidentDatabase } from './database.js';
import { startNotifiers, type RunningNotifiers } from './notify.js';
import { buildIncidentServer } from './server.js';
import { systemClock, type Clock } from './service-api.js';
import { createIncidentService } from './store.js';

/** Options of {@link startIncidentServer}. */
export interface StartIncidentServerOptions {
  /** Port to listen on; 0 picks a free port, which `url` then contains. */
  port: number;
  /** Address to bind, 127.0.0.1 by default. */
  host?: string;
  /** `sqlite:PATH` or `postgres://…`; a SQLite file under .srekit/incident/ by default. */
  databaseUrl?: string;
  token: string;
  logger: Logger;
  clock?: Clock;
  /** Slack incoming webhook for incident messages; none by default. */
  slackWebhookUrl?: string;
  /** Directory that receives the static status page; no export by default. */
  statusDir?: string;
  /** Components the status page always lists. */
  statusComponents?: string[];
  /** Milliseconds between two reads of the event log by an idle notifier; 1000 by default. */
  notifierPollIntervalMs?: number;
  /** Milliseconds `close` waits for requests in flight before it closes them; 10000 by default. */
  drainTimeoutMs?: number;
}

/** A started incident server. */
export interface RunningIncidentServer {
  /** Base URL, such as `http://127.0.0.1:19096`. */
  url: string;
  /**
   * Stops accepting connections, waits for requests in flight, stops the
   * notifiers and closes the database. Calling it again returns the same
   * promise.
   */
  close(): Promise<void>;
}

/**
 * Opens and migrates the incident database, starts the notifiers and the
 * HTTP server. Raises INVALID_INPUT for a bad database URL or notifier option,
 * DATABASE_UNAVAILABLE when the database cannot be opened and PORT_IN_USE
 * when the port is taken.
 */
export async function startIncidentServer(
  options: StartIncidentServerOptions,
): Promise<RunningIncidentServer> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const db = await openIncidentDatabase(options.databaseUrl ?? defaultIncidentDatabaseUrl, logger);
  const service = createIncidentService(db, { clock });

  // The notifiers check their options as they start, so a bad option stops
  // the start before the port opens.
  // NOTE: the database file is already created by then, and stays.
  let notifiers: RunningNotifiers;
  try {
    notifiers = startNotifiers({
      store: service, clock, logger,
      slackWebhookUrl: options.slackWebhookUrl,
      statusDir: options.statusDir,
      statusComponents: options.statusComponents,
      pollIntervalMs: options.notifierPollIntervalMs ?? 1000,
    });
  } catch (error) {
    await service.close();
    throw error;
  }

  const app = buildIncidentServer({
    service, db, token: options.token, logger, clock,
    statusPage: { components: options.statusComponents ?? [] },
  });
  let url: string;
  try {
    url = await listenOnTcp(app, options.host ?? '127.0.0.1', options.port);
  } catch (error) {
    await app.close();
    await notifiers.stop();
    await service.close();
    throw error;
  }
  logger.info({ url }, 'incident server started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= shutDown(app, notifiers, () => service.close(), logger,
      options.drainTimeoutMs ?? 10_000);
    return closing;
  };
  return { url, close };
}

async function shutDown(
  app: FastifyInstance,
  notifiers: RunningNotifiers,
  closeService: () => Promise<void>,
  logger: Logger,
  drainTimeoutMs: number,
): Promise<void> {
  logger.info({ drainTimeoutMs }, 'incident server stopping');
  // Fastify's close waits for requests in flight, and the timer closes the
  // connections still open when the drain time is over.
  const deadline = setTimeout(() => app.server.closeAllConnections(), drainTimeoutMs);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
  await notifiers.stop();
  await closeService();
  logger.info('incident server stopped');
}
