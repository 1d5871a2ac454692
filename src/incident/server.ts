import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { RequestLogController } from '../common/http-logging.js';
import type { Logger } from '../common/logger.js';
import { IdempotencyStore } from './idempotency.js';
import { IncidentMetrics } from './metrics.js';
import type { IncidentState } from './model.js';
import { createBearerCheck } from './server-auth.js';
import { handleClientError, handleServerError, handleUnknownRoute } from './server-errors.js';
import { useJsonParser } from './server-json.js';
import { collectRouteMethods, rejectOtherMethods } from './server-methods.js';
import { registerIncidentRoutes } from './server-routes.js';
import { registerStatusRoutes, type StatusPageSettings } from './server-status.js';
import { registerWebhookRoute } from './server-webhook.js';
import type { IncidentSchema } from './schema.js';
import { systemClock, type Clock, type IncidentService } from './service-api.js';

/** Largest request body the server reads, in bytes (1 MiB); larger bodies get 413. */
export const incidentBodyLimitBytes = 1_048_576;

/** Options of {@link buildIncidentServer}. */
export interface IncidentServerOptions {
  service: IncidentService;
  /** The incident database, for idempotency keys and the incident gauge. */
  db: Kysely<IncidentSchema>;
  /** The bearer token that /v1 requests must carry. */
  token: string;
  logger: Logger;
  /** The time source of idempotency keys and the status page; the system clock by default. */
  clock?: Clock;
  /** The status page served on /status; components default to none. */
  statusPage?: StatusPageSettings;
  /** Largest request body in bytes; {@link incidentBodyLimitBytes} by default. */
  bodyLimitBytes?: number;
  /** Whether /metrics includes Node.js process metrics; true by default. */
  processMetrics?: boolean;
}

/**
 * Builds the incident server without starting it. Routes:
 * - /v1/incidents and its commands and /v1/webhooks/alertmanager, which
 *   need `Authorization: Bearer TOKEN`;
 * - /healthz, /status, /status.json and /metrics, which are public, because
 *   probes, browsers and Prometheus scrape them without a token and they
 *   show nothing that the public status page does not.
 * Errors are JSON `{error, code, hint?}`. Responses of 5xx are logged at
 * error level and 4xx at info.
 */
export function buildIncidentServer(options: IncidentServerOptions): FastifyInstance {
  const clock = options.clock ?? systemClock;
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    logController: new RequestLogController(),
    bodyLimit: options.bodyLimitBytes ?? incidentBodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler: handleClientError,
  });
  const metrics = new IncidentMetrics({
    countIncidentsByState: () => countIncidentsByState(options.db),
    onCountError: (error) => options.logger.error({ err: error }, 'could not count incidents'),
    processMetrics: options.processMetrics,
  });
  const idempotency = new IdempotencyStore(options.db, clock);

  useJsonParser(app);
  app.setErrorHandler(handleServerError);
  app.setNotFoundHandler(handleUnknownRoute);
  app.addHook('onRequest', createBearerCheck(options.token));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  const routes = collectRouteMethods(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  registerIncidentRoutes(app, { service: options.service, idempotency });
  registerWebhookRoute(app, { service: options.service, idempotency, metrics });
  registerStatusRoutes(app, {
    service: options.service, clock, settings: options.statusPage ?? { components: [] },
  });
  rejectOtherMethods(app, routes);
  return app;
}

async function countIncidentsByState(
  db: Kysely<IncidentSchema>,
): Promise<Partial<Record<IncidentState, number>>> {
  const rows = await db
    .selectFrom('incidents')
    .select(['state', (builder) => builder.fn.countAll<number | string>().as('count')])
    .groupBy('state')
    .execute();
  const counts: Partial<Record<string, number>> = {};
  for (const row of rows) counts[row.state] = Number(row.count);
  return counts;
}
