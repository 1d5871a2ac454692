import type { FastifyInstance, HTTPMethods, onRequestAsyncHookHandler } from 'fastify';

// Methods that get 405 on a known path. Fastify also routes rarer methods
// such as TRACE and SEARCH, and those still get 404 on every path.
const standardMethods: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * Registers a 405 route for each standard method that `url` does not support,
 * with an `Allow` header and an `{error}` body. GET implies HEAD, because
 * Fastify adds a HEAD route for every GET route. Being real routes, the 405s
 * are counted in the metrics under the route template `url`. Register it
 * after the routes of `url`.
 */
export function rejectOtherMethods(
  app: FastifyInstance,
  url: string,
  supported: readonly HTTPMethods[],
): void {
  const allowed = supported.includes('GET') ? [...supported, 'HEAD'] : [...supported];
  const allowHeader = standardMethods.filter((method) => allowed.includes(method)).join(', ');
  const rejected = standardMethods.filter((method) => !allowed.includes(method));

  // The hook replies before the body is read, so an unsupported method gets
  // 405 whatever its body or Content-Type.
  const reject: onRequestAsyncHookHandler = async (request, reply) => {
    const message = `method ${request.method} is not allowed for ${url}, which supports ${allowHeader}`;
    return reply.code(405).header('allow', allowHeader).send({ error: message });
  };
  app.route({
    method: [...rejected],
    url,
    onRequest: reject,
    handler: async () => undefined,
  });
}
