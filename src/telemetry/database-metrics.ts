import type { Registry } from 'prom-client';
import { performance } from 'node:perf_hooks';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';

/** Upper bounds, in seconds, of `db_query_duration_seconds`. */
export const queryDurationBuckets: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Runs database queries and records how long each took. */
export interface QueryTimer {
  /**
   * Runs `query` and records its duration under `operation`, whether it
   * resolves or rejects. `operation` should be one of a few fixed names,
   * because each distinct value becomes a time series.
   */
  time<T>(operation: string, query: () => Promise<T>): Promise<T>;
}

/** A {@link QueryTimer} that records nothing, for apps without telemetry. */
export const untimedQueries: QueryTimer = {
  time: (_operation, query) => query(),
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

  time<T>(operation: string, query: () => Promise<T>): Promise<T> {
    const series = this.seriesFor(operation);
    const start = performance.now();
    // then() with two callbacks rather than async/await, which would add a
    // promise and a microtask to every query.
    return query().then(
      (result) => {
        series.observe((performance.now() - start) / 1000);
        return result;
      },
      (error: unknown) => {
        series.observe((performance.now() - start) / 1000);
        throw error;
      },
    );
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
