// Request metrics and health probes for any Fastify app.
export { createTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.js';
export {
  telemetryPlugin,
  defaultUncountedRoutes,
  type TelemetryPluginOptions,
} from './plugin.js';
export { healthPlugin, type HealthPluginOptions } from './health.js';
export { HttpMetrics, requestDurationBuckets, unmatchedRoute } from './http-metrics.js';
export {
  DatabaseMetrics,
  queryDurationBuckets,
  untimedQueries,
  type QueryTimer,
} from './database-metrics.js';
