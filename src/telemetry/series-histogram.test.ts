import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series-histogram.js';

type Label = 'method' | 'route';

const buckets = [0.01, 0.1, 0.5, 1];
const observations: [Record<Label, string>, number][] = [
  [{ method: 'GET', route: '/a' }, 0.004],
  [{ method: 'GET', route: '/a' }, 0.01],
  [{ method: 'GET', route: '/a' }, 0.3],
  [{ method: 'POST', route: '/b "quoted"\n' }, 0.7],
  [{ method: 'POST', route: '/b "quoted"\n' }, 12],
  [{ method: 'GET', route: '/a' }, 1],
];

function stockRegistry(): Registry {
  const registry = new Registry();
  const histogram = new Histogram<Label>({
    name: 'latency_seconds', help: 'Latency.', labelNames: ['method', 'route'], buckets, registers: [registry],
  });
  const counter = new Counter<Label>({
    name: 'requests_total', help: 'Requests.', labelNames: ['method', 'route'], registers: [registry],
  });
  for (const [labels, value] of observations) {
    histogram.observe(labels, value);
    counter.inc(labels);
  }
  return registry;
}

function seriesRegistry(): Registry {
  const registry = new Registry();
  const histogram = new SeriesHistogram<Label>({
    name: 'latency_seconds', help: 'Latency.', labelNames: ['method', 'route'], buckets, registry,
  });
  new SeriesCounter<Label>({
    name: 'requests_total', help: 'Requests.', labelNames: ['method', 'route'], registry,
  }, histogram);
  for (const [labels, value] of observations) histogram.series(labels).observe(value);
  return registry;
}

test('text export matches stock prom-client', async () => {
  assert.equal(await seriesRegistry().metrics(), await stockRegistry().metrics());
});

test('JSON export matches stock prom-client', async () => {
  const expected = await stockRegistry().getMetricsAsJSON();
  assert.deepEqual(await seriesRegistry().getMetricsAsJSON(), expected);
});

test('series survive a registry reset', async () => {
  const registry = new Registry();
  const histogram = new SeriesHistogram<'operation'>({
    name: 'query_seconds', help: 'Queries.', labelNames: ['operation'], buckets, registry,
  });
  const series = histogram.series({ operation: 'read' });
  series.observe(0.2);
  registry.resetMetrics();
  series.observe(0.05);

  assert.equal(series.count, 1);
  assert.equal(series.sum, 0.05);
  assert.equal(histogram.series({ operation: 'read' }), series);
  assert.match(await registry.metrics(), /^query_seconds_count\{operation="read"\} 1$/m);
});
