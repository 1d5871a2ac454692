import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.js';
import { healthPlugin, telemetryPlugin, type Telemetry } from '../telemetry/index.js';
import type { FaultState } from './faults.js';
import { handleError, handleNotFound } from './error-handler.js';
import { replaceJsonParser } from './json-parser.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { ordersRouteMethods, ordersRoutes } from './orders-routes.js';
import { RequestLogController } from '../common/http-logging.js';
import type { OrdersStore } from './orders-store.js';

/** Largest request body the API reads, in bytes (1 MiB); larger bodies get 413. */
export const bodyLimitBytes = 1_048_576;

/** Options of {@link buildOrdersApp}. */
export interface OrdersAppOptions {
  store: OrdersStore;
  logger: Logger;
  /** Metrics to record and serve on /metrics; no /metrics route when absent. */
  telemetry?: Telemetry;
  /** Faults applied to the /orders routes; none when absent. */
  faults?: FaultState;
}

/**
 * Builds the orders API with its probes, and /metrics when telemetry is
 * given. Errors are returned as `{error: message}`. Responses of 5xx are
 * logged at error level and 4xx at info.
 */
export function buildOrdersApp(options: OrdersAppOptions): FastifyInstance {
  // Typed as Fastify's base logger so the app is a plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    logController: new RequestLogController(),
    bodyLimit: bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  replaceJsonParser(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  if (options.telemetry !== undefined) {
    void app.register(telemetryPlugin, { telemetry: options.telemetry });
  }
  void app.register(healthPlugin, { checkReadiness: () => options.store.ping() });
  void app.register(ordersRoutes, { store: options.store, faults: options.faults });
  // A sibling plugin, so that the injected faults of the orders routes do
  // not delay or fail the 405 responses.
  void app.register((instance, _options, done) => {
    for (const [url, methods] of Object.entries(ordersRouteMethods)) {
      rejectOtherMethods(instance, url, methods);
    }
    done();
  });
  return app;
}
