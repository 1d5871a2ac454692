import type { Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram, type HistogramSeries } from './series-histogram.js';

/**
 * Upper bounds, in seconds, of `http_request_duration_seconds`. They are dense
 * between 0.2 s and 1 s so that `histogram_quantile` resolves a p95 near the
 * 500 ms latency alert to within about 50 ms.
 */
export const requestDurationBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 2.5, 5, 10,
];

/** The `route` label of requests that matched no route. */
export const unmatchedRoute = 'unmatched';

type HttpLabel = 'method' | 'route' | 'status_code';

/**
 * The request counter and latency histogram of one registry. Alert rules and
 * dashboards query these names and labels, so they must not change.
 * `http_requests_total` is the observation count of the histogram's series,
 * so one observation updates both.
 */
export class HttpMetrics {
  readonly duration: SeriesHistogram<HttpLabel>;
  readonly requests: SeriesCounter<HttpLabel>;

  constructor(registry: Registry) {
    const labelNames: HttpLabel[] = ['method', 'route', 'status_code'];
    this.duration = new SeriesHistogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
      labelNames,
      buckets: requestDurationBuckets,
      registry,
    });
    this.requests = new SeriesCounter({
      name: 'http_requests_total',
      help: 'HTTP requests completed, by method, route template and status code.',
      labelNames,
      registry,
    }, this.duration);
  }

  /** Creates the recorder for one route template, such as `/orders/:id`. */
  recorderFor(route: string): RouteRecorder {
    return new RouteRecorder(this.duration, route);
  }
}

/**
 * Records the responses of one route. It looks up the series of each method
 * and status code once, so recording a response allocates nothing.
 */
export class RouteRecorder {
  private readonly seriesByMethod = new Map<string, Map<number, HistogramSeries<HttpLabel>>>();

  constructor(
    private readonly duration: SeriesHistogram<HttpLabel>,
    readonly route: string,
  ) {}

  /** Counts one response and observes its duration in seconds. */
  record(method: string, statusCode: number, seconds: number): void {
    let byStatus = this.seriesByMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.seriesByMethod.set(method, byStatus);
    }

    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = this.duration.series({ method, route: this.route, status_code: String(statusCode) });
      byStatus.set(statusCode, series);
    }

    series.observe(seconds);
  }
}
