import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request log lines at the levels srekit's servers use: a
 * response of 5xx at error, 4xx at info, and anything else, like each
 * incoming request, at debug. At the default info level successful requests
 * therefore cost no log line.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'request received');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const statusCode = reply.statusCode;
    const facts = {
      method: request.method,
      url: request.url,
      statusCode,
      durationMs: Math.round(reply.elapsedTime),
      err: error ?? undefined,
    };
    if (statusCode >= 500 || error) request.log.error(facts, 'request failed');
    else if (statusCode >= 400) request.log.info(facts, 'request rejected');
    else request.log.debug(facts, 'request completed');
  }
}

/**
 * Returns the message for a client error that Fastify raised before a route
 * ran: a body over the limit, an unsupported Content-Type, or Fastify's own
 * message for the rest.
 */
export function describeFastifyClientError(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type: send the request body as application/json';
    default:
      return error.message;
  }
}
