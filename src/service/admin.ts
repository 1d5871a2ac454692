import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.js';
import { handleError, handleNotFound } from './error-handler.js';
import type { FaultState } from './faults.js';
import { replaceJsonParser } from './json-parser.js';
import { RequestLogController } from '../common/http-logging.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Port of the fault admin API when `--admin-port` is not given. */
export const defaultAdminPort = 8081;

/**
 * Builds the fault admin API. `GET /faults` returns the settings,
 * `PUT /faults` merges any subset of them and returns the result, and
 * `DELETE /faults` clears them. The caller must bind it to loopback only,
 * because anyone who reaches it can break the service.
 */
export function buildAdminApp(faults: FaultState, logger: Logger): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = logger.child({ server: 'admin' });
  const app = Fastify({
    loggerInstance,
    logController: new RequestLogController(),
    bodyLimit: 16_384,
    forceCloseConnections: true,
  });
  replaceJsonParser(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  app.get('/faults', async () => faults.snapshot());

  app.put('/faults', async (request) => {
    const settings = faults.update(request.body);
    request.log.warn({ faults: settings }, 'faults changed');
    return settings;
  });

  app.delete('/faults', async (request) => {
    const settings = faults.clear();
    request.log.warn({ faults: settings }, 'faults cleared');
    return settings;
  });

  rejectOtherMethods(app, '/faults', ['GET', 'PUT', 'DELETE']);
  return app;
}
