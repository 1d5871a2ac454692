import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request log lines at the levels the service uses: a response
 * of 5xx at error, 4xx at info, and anything else, like each incoming
 * request, at debug. At the default info level successful requests therefore
 * cost no log line.
 */
export class ServiceLogController extends LogController {
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
