import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { listenOnTcp } from '../common/http-listen.js';
import { createLogger, type Logger } from '../common/logger.js';
import { createTelemetry, untimedQueries } from '../telemetry/index.js';
import { buildAdminApp, defaultAdminPort } from './admin.js';
import { buildOrdersApp } from './app.js';
import { openDatabase } from './database.js';
import { defaultDatabaseUrl, describeDatabase, parseDatabaseUrl } from './database-url.js';
import { FaultState } from './faults.js';
import { OrdersStore } from './orders-store.js';
import { recordNewSqliteFiles } from './sqlite-files.js';
import type { OrdersSchema } from './schema.js';

/** Options of {@link startService}. */
export interface StartServiceOptions {
  /** Port of the orders API; 0 picks a free port, which `url` then contains. */
  port: number;
  /** Address to bind, 127.0.0.1 by default. */
  host?: string;
  /** `sqlite:PATH` or `postgres://…`; {@link defaultDatabaseUrl} by default. */
  databaseUrl?: string;
  /** Whether to serve the fault admin API on 127.0.0.1; false by default. */
  faults?: boolean;
  /** Port of the fault admin API, {@link defaultAdminPort} by default; 0 picks a free port. */
  adminPort?: number;
  /** Logger of the servers; JSON lines on stderr by default. */
  logger?: Logger;
  /** Whether to record metrics and serve /metrics; true by default. */
  telemetry?: boolean;
  /**
   * Time in milliseconds that `close` waits for requests in flight before it
   * closes their connections, 10000 by default.
   */
  drainTimeoutMs?: number;
}

/** A started service. */
export interface RunningService {
  /** Base URL of the orders API, such as `http://127.0.0.1:8080`. */
  url: string;
  /** Base URL of the fault admin API, present when faults are enabled. */
  adminUrl?: string;
  /**
   * Stops accepting connections, waits for requests in flight (up to the
   * drain timeout), then closes the database. Calling it again returns the
   * same promise.
   */
  close(): Promise<void>;
}

/** The service port when none is given. */
export const defaultServicePort = 8080;

/**
 * Opens and migrates the database, then starts the orders API and, when
 * `faults` is set, the fault admin API. Raises SrekitError with
 * INVALID_INPUT for a bad database URL, DATABASE_UNAVAILABLE when the
 * database cannot be opened and PORT_IN_USE when a port is taken.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const logger = options.logger ?? createLogger('service');
  const host = options.host ?? '127.0.0.1';
  const location = parseDatabaseUrl(options.databaseUrl ?? defaultDatabaseUrl);
  // A failed start removes the SQLite file and directories it created, so
  // a retry with other flags does not find a stray empty database.
  const removeNewFiles = recordNewSqliteFiles(location, logger);
  let db: Kysely<OrdersSchema>;
  try {
    db = await openDatabase(location, logger);
  } catch (error) {
    removeNewFiles();
    throw error;
  }

  const faults = options.faults === true ? new FaultState() : undefined;
  const telemetry = options.telemetry === false ? undefined : createTelemetry();
  const store = new OrdersStore(db, telemetry?.database ?? untimedQueries, faults);
  const app = buildOrdersApp({ store, logger, telemetry, faults });
  const admin = faults === undefined ? undefined : buildAdminApp(faults, logger);

  try {
    const url = await listenOnTcp(app, host, options.port, '--port');
    const adminUrl = admin === undefined
      ? undefined
      : await listenOnTcp(admin, '127.0.0.1', options.adminPort ?? defaultAdminPort,
        '--admin-port');
    logger.info({ url, adminUrl, database: describeDatabase(location) }, 'service started');

    let closing: Promise<void> | undefined;
    const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    const close = () => {
      closing ??= shutDown({ app, admin, db, logger, drainTimeoutMs });
      return closing;
    };
    return adminUrl === undefined ? { url, close } : { url, adminUrl, close };
  } catch (error) {
    await Promise.allSettled([app.close(), admin?.close()]);
    await db.destroy();
    removeNewFiles();
    throw error;
  }
}

async function shutDown(parts: {
  app: FastifyInstance;
  admin: FastifyInstance | undefined;
  db: Kysely<OrdersSchema>;
  logger: Logger;
  drainTimeoutMs: number;
}): Promise<void> {
  const { app, admin, db, logger, drainTimeoutMs } = parts;
  logger.info({ drainTimeoutMs }, 'service stopping');

  // Fastify's close waits for requests in flight, and the timer closes the
  // connections that are still open when the drain time is over.
  const deadline = setTimeout(() => {
    logger.warn({ drainTimeoutMs }, 'drain timed out; closing open connections');
    app.server.closeAllConnections();
  }, drainTimeoutMs);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }

  await admin?.close();
  await db.destroy();
  logger.info('service stopped');
}
