import type { Registry } from 'prom-client';
import { performance } from 'node:perf_hooks';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';

/** Upper bounds, in seconds, of `db_query_duration_seconds`. */
export const queryDurationBuckets: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** A sink for the durations of database operations. */
export interface QueryTimer {
  /**
   * Records one operation that took `seconds`, whether it succeeded or not.
   * `operation` should be one of a few fixed names, because each distinct
   * value becomes a time series.
   */
  record(operation: string, seconds: number): void;
}

/** A {@link QueryTimer} that records nothing, for apps without telemetry. */
export const untimedQueries: QueryTimer = {
  record: () => undefined,
};

/** The `db_query_duration_seconds` histogram, labelled by `operation`. */
export class DatabaseMetrics implements QueryTimer {
  readonly duration: SeriesHistogram<'operation'>;
  private readonly seriesByOperation = new Map<string, HistogramSeries<'operation'>>();

  constructor(registry: Registry) {
    this.duration = new SeriesHistogram({
      name: 'db_query_duration_seconds',
      help: 'Time spent in database queries, in seconds, by operation.',
      labelNames: ['operation'],
      buckets: queryDurationBuckets,
      registry,
    });
  }

  record(operation: string, seconds: number): void {
    this.seriesFor(operation).observe(seconds);
  }

  /**
   * Runs `query` and records its duration under `operation`, whether it
   * resolves or rejects. Callers that already await in a function of their
   * own save a promise per query by timing it there and calling `record`.
   */
  async time<T>(operation: string, query: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await query();
    } finally {
      this.record(operation, (performance.now() - start) / 1000);
    }
  }

  private seriesFor(operation: string): HistogramSeries<'operation'> {
    let series = this.seriesByOperation.get(operation);
    if (series === undefined) {
      series = this.duration.series({ operation });
      this.seriesByOperation.set(operation, series);
    }
    return series;
  }
}
