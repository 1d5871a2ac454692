import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './server-errors.js';

/**
 * Creates an onRequest hook that rejects with 401 a /v1 request without
 * `Authorization: Bearer TOKEN`. Other paths pass. Both sides are hashed
 * before the constant-time comparison, so that neither the token's content
 * nor its length shows in the response time.
 */
export function createBearerCheck(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!isApiRequest(request)) return;

    const problem = findTokenProblem(request.headers.authorization, expected);
    if (problem === undefined) return;

    // The response logger records the 401 at info level, with the URL.
    await reply.code(401).header('www-authenticate', 'Bearer realm="srekit-incident"')
      .send(errorBody('INCIDENT_UNAUTHORIZED', `${problem}: send the header `
        + '"Authorization: Bearer TOKEN" with the token the server was started with'));
  };
}

/** Returns what is wrong with an Authorization header, or undefined when it carries the token. */
function findTokenProblem(header: string | undefined, expected: Buffer): string | undefined {
  if (header === undefined || header.trim() === '') return 'missing bearer token';

  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) return 'invalid Authorization header, which must be "Bearer" and one token';

  return timingSafeEqual(digest(match[1] ?? ''), expected) ? undefined : 'invalid bearer token';
}

// The matched route decides, and the raw URL covers requests that match none,
// so that an unknown /v1 path gives 401 rather than revealing a 404.
function isApiRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined && route.startsWith('/v1/')) return true;
  return request.url === '/v1' || request.url.startsWith('/v1/') || request.url.startsWith('/v1?');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
