import { collectDefaultMetrics, Registry } from 'prom-client';
import { DatabaseMetrics } from './database-metrics.js';
import { HttpMetrics } from './http-metrics.js';

/** The metrics of one app, kept in a registry of their own. */
export interface Telemetry {
  registry: Registry;
  http: HttpMetrics;
  database: DatabaseMetrics;
}

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** Whether to add prom-client's Node.js process metrics; true by default. */
  processMetrics?: boolean;
}

/**
 * Creates a registry with the HTTP and database metrics. Each call gets a new
 * registry rather than prom-client's global one, so two apps in one process
 * keep separate series and do not clash over metric names.
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    http: new HttpMetrics(registry),
    database: new DatabaseMetrics(registry),
  };
}
