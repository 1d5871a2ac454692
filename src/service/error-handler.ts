import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { describeFastifyClientError } from '../common/http-logging.js';
import { HttpError, isDatabaseUnavailable } from './http-errors.js';

/**
 * Returns errors as `{error: message}`: HttpError with its status, database
 * outages as 503, Fastify's client errors (bad body, 413, 415) with their
 * status, and anything else as 500 without details, logged at error level.
 * Use it on every Fastify server of the service, so that all of them return
 * errors in the same form.
 */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error instanceof HttpError) {
    void reply.code(error.statusCode).send({ error: error.message });
    return;
  }

  if (isDatabaseUnavailable(error)) {
    // RequestLogController logs the 503 response at error level, and this
    // record adds the cause.
    request.log.warn({ err: error }, 'database unavailable');
    void reply.code(503).send({ error: 'database unavailable' });
    return;
  }

  const statusCode = error.statusCode ?? 500;
  if (statusCode < 500) {
    void reply.code(statusCode).send({ error: describeFastifyClientError(error, request) });
    return;
  }

  request.log.error({ err: error }, 'request handler failed');
  void reply.code(500).send({ error: 'internal server error' });
}

/**
 * Returns 404 `{error: "no route for METHOD URL"}` for a request that matches
 * no route. Use it on every Fastify server of the service, as with
 * {@link handleError}.
 */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ error: `no route for ${request.method} ${request.url}` });
}
