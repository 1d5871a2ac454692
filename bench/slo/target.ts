import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchSlo } from './specs.js';

/** A running synthetic scrape target. */
export interface SyntheticTarget {
  /** `host:port` for a Prometheus static config. */
  address: string;
  close(): Promise<void>;
}

function sample(slo: BenchSlo, statusCode: string, value: number): string {
  const labels = `service="${slo.service}",route="${slo.route}",status_code="${statusCode}"`;
  return `http_requests_total{${labels}} ${value}`;
}

/**
 * Renders the exposition text of every SLO's request counters at
 * `elapsedSeconds` after the target started. Each counter grows at a steady
 * rate, so `increase` over any window returns the SLO's rate and error ratio.
 */
export function renderTargetMetrics(slos: readonly BenchSlo[], elapsedSeconds: number): string {
  const lines = ['# TYPE http_requests_total counter'];
  for (const slo of slos) {
    const errors = Math.floor(slo.requestRate * slo.errorRatio * elapsedSeconds);
    const successes = Math.floor(slo.requestRate * (1 - slo.errorRatio) * elapsedSeconds);
    lines.push(sample(slo, '200', successes));
    if (slo.hasErrorSeries) lines.push(sample(slo, '500', errors));
  }
  return `${lines.join('\n')}\n`;
}

/** Starts an HTTP server on a free port of 127.0.0.1 that serves the SLOs' counters at /metrics. */
export async function startSyntheticTarget(slos: readonly BenchSlo[]): Promise<SyntheticTarget> {
  const started = Date.now();
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    const body = renderTargetMetrics(slos, (Date.now() - started) / 1000);
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
