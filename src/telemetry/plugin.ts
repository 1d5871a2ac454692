import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginCallback, onResponseHookHandler } from 'fastify';
import { unmatchedRoute } from './http-metrics.js';
import { createTelemetry, type Telemetry } from './telemetry.js';

/** Options of {@link telemetryPlugin}. */
export interface TelemetryPluginOptions {
  /** The metrics to record into and serve; a new set is created when absent. */
  telemetry?: Telemetry;
  /** Path of the Prometheus scrape endpoint, `/metrics` by default. */
  metricsPath?: string;
  /**
   * Route templates whose requests are not counted, besides the metrics path.
   * By default the health probes, `/healthz` and `/readyz`.
   */
  uncountedRoutes?: readonly string[];
}

/** Route templates left out of the request metrics unless the options specify others. */
export const defaultUncountedRoutes: readonly string[] = ['/healthz', '/readyz'];

const telemetryPluginCallback: FastifyPluginCallback<TelemetryPluginOptions> = (
  app,
  options,
  done,
) => {
  const telemetry = options.telemetry ?? createTelemetry();
  const metricsPath = options.metricsPath ?? '/metrics';
  const uncounted = new Set([metricsPath, ...(options.uncountedRoutes ?? defaultUncountedRoutes)]);

  // A route-level hook per route carries its template in a closure, which is
  // cheaper than reading `request.routeOptions` (a new object on each access).
  app.addHook('onRoute', (route) => {
    if (uncounted.has(route.url)) return;
    const recorder = telemetry.http.recorderFor(route.url);
    const recordResponse: onResponseHookHandler = (request, reply, hookDone) => {
      recorder.record(request.method, reply.statusCode, reply.elapsedTime / 1000);
      hookDone();
    };
    const existing = route.onResponse;
    if (existing === undefined) route.onResponse = recordResponse;
    else if (Array.isArray(existing)) route.onResponse = [...existing, recordResponse];
    else route.onResponse = [existing, recordResponse];
  });

  const unmatched = telemetry.http.recorderFor(unmatchedRoute);
  app.addHook('onResponse', (request, reply, hookDone) => {
    if (request.is404) {
      unmatched.record(request.method, reply.statusCode, reply.elapsedTime / 1000);
    }
    hookDone();
  });

  app.get(metricsPath, async (_request, reply) => {
    const body = await telemetry.registry.metrics();
    return reply.type(telemetry.registry.contentType).send(body);
  });

  done();
};

/**
 * Serves `/metrics` and records `http_requests_total` and
 * `http_request_duration_seconds` for every route registered after it.
 * Register it before the routes it should measure.
 *
 * The `route` label is the route template, such as `/orders/:id`. Requests
 * that match no route are counted under `route="unmatched"`, so that random
 * URLs cannot grow the number of series. Scrapes and health probes are left
 * out by default, because they are frequent, cheap and nearly always
 * succeed, so counting them would dilute the 5xx ratio and the latency
 * percentiles.
 */
export const telemetryPlugin = fastifyPlugin(telemetryPluginCallback, {
  name: 'srekit-telemetry',
  fastify: '5.x',
});
