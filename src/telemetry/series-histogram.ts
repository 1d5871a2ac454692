import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The observations of one label set. Observing updates three numbers and
 * allocates nothing, where prom-client hashes the label set on every call.
 */
export class HistogramSeries<Label extends string = string> {
  count = 0;
  sum = 0;
  /** Observations per bucket, not cumulative. Values above the last bound are only in `count`. */
  readonly bucketCounts: number[];

  constructor(
    readonly labels: Readonly<Record<Label, string>>,
    private readonly upperBounds: readonly number[],
  ) {
    this.bucketCounts = upperBounds.map(() => 0);
  }

  /** Adds one observation. */
  observe(value: number): void {
    this.count += 1;
    this.sum += value;
    let index = 0;
    for (const bound of this.upperBounds) {
      if (value <= bound) {
        this.bucketCounts[index] = (this.bucketCounts[index] ?? 0) + 1;
        return;
      }
      index += 1;
    }
  }

  /** Sets every value back to zero in place, so references to the series stay valid. */
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.bucketCounts.fill(0);
  }
}

/** One line of prom-client's histogram export, before it merges the two label sets. */
interface ExportedSample {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** Always empty, because exemplars are not supported: null on buckets, else undefined. */
  exemplar: null | undefined;
}

/**
 * A prom-client Histogram whose series are created once with `series()` and
 * then observed directly. Record only through the returned series, because
 * the inherited `observe` and `startTimer` write to storage this class ignores.
 *
 * NOTE: prom-client 15's Registry reads histograms through the undocumented
 * `getForPromString`, which this class replaces. The telemetry tests compare
 * the output with a stock prom-client Histogram so that a change shows up.
 */
export class SeriesHistogram<Label extends string> extends Histogram<Label> {
  private readonly seriesByKey = new Map<string, HistogramSeries<Label>>();
  private readonly labelOrder: Label[];
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly upperBounds: readonly number[];

  constructor(config: {
    name: string;
    help: string;
    labelNames: Label[];
    buckets: readonly number[];
    registry: Registry;
  }) {
    super({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      buckets: [...config.buckets],
      registers: [config.registry],
    });
    this.metricName = config.name;
    this.metricHelp = config.help;
    this.upperBounds = [...config.buckets];
    this.labelOrder = config.labelNames;
  }

  /** Returns the series of a label set, creating it on first use. */
  series(labels: Readonly<Record<Label, string>>): HistogramSeries<Label> {
    const key = this.labelOrder.map((name) => labels[name]).join('\u0000');
    let found = this.seriesByKey.get(key);
    if (found === undefined) {
      // A frozen copy, because prom-client caches formatted labels per object.
      found = new HistogramSeries<Label>(Object.freeze({ ...labels }), this.upperBounds);
      this.seriesByKey.set(key, found);
    }
    return found;
  }

  /** Returns every series created so far, in creation order. */
  allSeries(): HistogramSeries<Label>[] {
    return [...this.seriesByKey.values()];
  }

  override reset(): void {
    super.reset();
    // The constructor of the base class calls reset before the map exists.
    for (const series of this.seriesByKey?.values() ?? []) series.reset();
  }

  /** Exports the series in the form prom-client's Registry formats. */
  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: ExportedSample[];
    aggregator: 'sum';
  }> {
    const values: ExportedSample[] = [];
    for (const series of this.seriesByKey.values()) values.push(...this.exportSeries(series));
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      values,
      aggregator: 'sum',
    };
  }

  private exportSeries(series: HistogramSeries<Label>): ExportedSample[] {
    const sample = (
      labels: Record<string, string | number>,
      value: number,
      suffix: string,
      exemplar: null | undefined,
    ): ExportedSample => ({
      labels,
      sharedLabels: series.labels,
      value,
      metricName: `${this.metricName}${suffix}`,
      exemplar,
    });

    const samples: ExportedSample[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((bound, index) => {
      cumulative += series.bucketCounts[index] ?? 0;
      samples.push(sample({ le: bound }, cumulative, '_bucket', null));
    });
    samples.push(
      sample({ le: '+Inf' }, series.count, '_bucket', null),
      sample({}, series.sum, '_sum', undefined),
      sample({}, series.count, '_count', undefined),
    );
    return samples;
  }
}

/**
 * A prom-client Counter that reports the observation count of each series of
 * a {@link SeriesHistogram}, so that one observation updates both metrics.
 * Its own `inc` has no effect on what it reports.
 */
export class SeriesCounter<Label extends string> extends Counter<Label> {
  constructor(
    config: { name: string; help: string; labelNames: Label[]; registry: Registry },
    private readonly source: SeriesHistogram<Label>,
  ) {
    super({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: [config.registry],
    });
  }

  override async get(): ReturnType<Counter<Label>['get']> {
    const base = await super.get();
    const values = this.source.allSeries().map((series) => ({
      labels: { ...series.labels },
      value: series.count,
    }));
    return { ...base, values };
  }
}
