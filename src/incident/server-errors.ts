import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SrekitError, type ErrorCode } from '../common/errors.js';
import { describeFastifyClientError } from '../common/http-logging.js';

/** The JSON body of every error response of the incident API. */
export interface ErrorBody {
  error: string;
  /** The SrekitError code, so that the HTTP client can raise the same error. */
  code: ErrorCode;
  hint?: string;
}

/** An error response: its status code and body. */
export interface ErrorResponse {
  statusCode: number;
  body: ErrorBody;
}

const statusByCode: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  INVALID_INPUT: 400,
  INCIDENT_UNAUTHORIZED: 401,
  INCIDENT_NOT_FOUND: 404,
  INCIDENT_INVALID_CHANGE: 409,
  DATABASE_UNAVAILABLE: 503,
};

/**
 * Returns the response for an error that the client caused, or undefined
 * for any other error, which is a server failure and gets 500.
 */
export function clientErrorResponse(error: unknown): ErrorResponse | undefined {
  if (error instanceof SrekitError) {
    const statusCode = statusByCode[error.code];
    if (statusCode === undefined || statusCode >= 500) return undefined;
    return { statusCode, body: errorBody(error.code, error.message, error.hint) };
  }
  return undefined;
}

/** Builds an error body, leaving `hint` out when there is none. */
export function errorBody(code: ErrorCode, message: string, hint?: string): ErrorBody {
  return hint === undefined ? { error: message, code } : { error: message, code, hint };
}

/**
 * Sends every error as an {@link ErrorBody}: SrekitErrors by their code,
 * Fastify's own client errors (body too large, bad Content-Type) with their
 * status, and anything else as 500 without details, logged at error level.
 */
export function handleServerError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = clientErrorResponse(error);
  if (known !== undefined) {
    void reply.code(known.statusCode).send(known.body);
    return;
  }

  if (error instanceof SrekitError && error.code === 'DATABASE_UNAVAILABLE') {
    request.log.error({ err: error }, 'database unavailable');
    void reply.code(503).send(errorBody(error.code, 'database unavailable'));
    return;
  }

  const statusCode = error.statusCode ?? 500;
  if (statusCode < 500) {
    void reply.code(statusCode).send(errorBody('INVALID_INPUT', describeFastifyClientError(error, request)));
    return;
  }

  request.log.error({ err: error }, 'request handler failed');
  void reply.code(500).send(errorBody('INCIDENT_SERVER_UNAVAILABLE', 'internal server error'));
}

/** Sends 404 for a request that matches no route. */
export function handleUnknownRoute(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send(errorBody('INVALID_INPUT', `no route for ${request.method} ${request.url}`,
    'the API serves /v1/incidents and /v1/webhooks/alertmanager'));
}

/**
 * Responds to a request that Node.js could not parse (an invalid header
 * character, headers over the size limit, a timeout) with an
 * {@link ErrorBody}, like every other error of the API, and closes the
 * connection. Fastify's default sends a body without `code`.
 */
export function handleClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  // The client closed a reset connection, so no response can reach it.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;

  const [status, reason, message] = describeClientError(error.code);
  this.log.info({ code: error.code, statusCode: status }, 'malformed request rejected');
  if (socket.writable) {
    const body = JSON.stringify(errorBody('INVALID_INPUT', message));
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

function describeClientError(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'the request was not received in time'];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large',
        'the request headers are larger than the server accepts'];
    case 'HPE_INVALID_HEADER_TOKEN':
      return [400, 'Bad Request', 'malformed HTTP request: a header contains an invalid character'];
    default:
      return [400, 'Bad Request', `malformed HTTP request (${code ?? 'unknown parser error'})`];
  }
}
