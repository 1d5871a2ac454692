import type { FastifyInstance, HTTPMethods } from 'fastify';
import { errorBody } from './server-errors.js';

const standardMethods: readonly HTTPMethods[] = [
  'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS',
];

/** The methods that each route URL serves, collected while routes are added. */
export type RouteMethods = Map<string, Set<string>>;

/**
 * Records the methods of every route added to `app` from now on. Call it
 * before the routes are registered and pass the result to
 * {@link rejectOtherMethods} after them.
 */
export function collectRouteMethods(app: FastifyInstance): RouteMethods {
  const routes: RouteMethods = new Map();
  app.addHook('onRoute', (route) => {
    const methods = routes.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    // Fastify 5 adds a HEAD route for each GET route (exposeHeadRoutes is on by default).
    if (methods.has('GET')) methods.add('HEAD');
    routes.set(route.url, methods);
  });
  return routes;
}

/**
 * Registers, for each collected route URL, the methods it does not serve,
 * so that such a request gets 405 with an Allow header instead of the 404
 * of an unknown path. Call it once, after every route is registered.
 */
export function rejectOtherMethods(app: FastifyInstance, routes: RouteMethods): void {
  const known = [...routes].map(([url, methods]) => [url, [...methods]] as const);
  for (const [url, methods] of known) {
    const others = standardMethods.filter((method) => !methods.includes(method));
    if (others.length === 0) continue;
    const allow = methods.join(', ');
    app.route({
      method: [...others],
      url,
      handler: async (request, reply) => {
        const path = request.url.split('?')[0]?.slice(0, 200) ?? '';
        const message = `method ${request.method} is not allowed on ${path}`;
        return reply.code(405).header('allow', allow)
          .send(errorBody('INVALID_INPUT', message, `this path accepts ${allow}`));
      },
    });
  }
}
