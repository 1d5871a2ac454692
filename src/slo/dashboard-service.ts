import {
  DashboardBuilder, RowBuilder, type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  buildDashboard, dashboardTag, datasourceVariable, labelVariable, policyRunbookLink, policyWindow,
  statPanel, thresholds, timeseriesPanel, type DashboardItem, type DashboardOptions,
} from './dashboard-panels.js';
import { formatDuration } from './duration.js';
import { errorRatioThreshold, latencyP95Threshold } from './policy.js';

/** The stable uid of the service health dashboard. */
export const serviceHealthUid = 'srekit-service-health';

const requests = 'http_requests_total{job=~"$job", route=~"$route"}';
const errors = 'http_requests_total{job=~"$job", route=~"$route", status_code=~"5.."}';
const durationBuckets = 'http_request_duration_seconds_bucket{job=~"$job", route=~"$route"}';

function latencyQuantile(quantile: number): string {
  return `histogram_quantile(${quantile}, sum by (job, route, le) `
    + `(rate(${durationBuckets}[$__rate_interval])))`;
}

function trafficRow(options: DashboardOptions): DashboardItem[] {
  const ratioWindow = formatDuration(policyWindow('HighErrorRatio', 'ratio'));
  const errorSteps = thresholds('green', [[errorRatioThreshold, 'red']]);
  return [
    new RowBuilder('Traffic and errors'),
    timeseriesPanel({
      title: 'Request rate by route',
      description: 'Requests completed per second, by job and route template.',
      unit: units.RequestsPerSecond,
      min: 0,
      queries: [{
        expr: `sum by (job, route) (rate(${requests}[$__rate_interval]))`,
        legend: '{{job}} {{route}}',
      }],
    }),
    timeseriesPanel({
      title: '5xx ratio by route',
      description: 'Share of requests answered with a 5xx status, by job and route. The dashed '
        + 'line is the HighErrorRatio threshold.',
      unit: units.PercentUnit,
      min: 0,
      width: 8,
      thresholds: errorSteps,
      links: [policyRunbookLink('HighErrorRatio', options)],
      queries: [{
        expr: `sum by (job, route) (rate(${errors}[$__rate_interval]))\n/\n`
          + `sum by (job, route) (rate(${requests}[$__rate_interval]))`,
        legend: '{{job}} {{route}}',
      }],
    }),
    statPanel({
      title: `5xx ratio over ${ratioWindow}`,
      description: `Share of all requests answered with a 5xx status over ${ratioWindow}, `
        + 'the window of the HighErrorRatio alert, which pages above the red threshold.',
      unit: units.PercentUnit,
      width: 4,
      thresholds: errorSteps,
      links: [policyRunbookLink('HighErrorRatio', options)],
      queries: [{
        expr: `sum by (job) (increase(${errors}[${ratioWindow}]))\n/\n`
          + `sum by (job) (increase(${requests}[${ratioWindow}]))`,
        legend: '{{job}}',
      }],
    }),
  ];
}

function latencyRow(options: DashboardOptions): DashboardItem[] {
  const latencySteps = thresholds('green', [[latencyP95Threshold, 'orange']]);
  return [
    new RowBuilder('Latency'),
    timeseriesPanel({
      title: 'p95 latency by route',
      description: 'The 95th percentile of request duration, by job and route. The dashed line '
        + 'is the HighLatencyP95 threshold.',
      unit: units.Seconds,
      min: 0,
      thresholds: latencySteps,
      links: [policyRunbookLink('HighLatencyP95', options)],
      queries: [{ expr: latencyQuantile(0.95), legend: '{{job}} {{route}}' }],
    }),
    timeseriesPanel({
      title: 'p99 latency by route',
      description: 'The 99th percentile of request duration, by job and route.',
      unit: units.Seconds,
      min: 0,
      queries: [{ expr: latencyQuantile(0.99), legend: '{{job}} {{route}}' }],
    }),
  ];
}

function saturationRow(): DashboardItem[] {
  const dbBuckets = 'db_query_duration_seconds_bucket{job=~"$job"}';
  return [
    new RowBuilder('Saturation'),
    timeseriesPanel({
      title: 'Process CPU',
      description: 'CPU time used per second by each service process, where 100% is one core.',
      unit: units.PercentUnit,
      min: 0,
      width: 8,
      queries: [{
        expr: 'rate(process_cpu_seconds_total{job=~"$job"}[$__rate_interval])',
        legend: '{{job}} {{instance}}',
      }],
    }),
    timeseriesPanel({
      title: 'Event loop lag p99',
      description: 'The 99th percentile of Node.js event loop delay, as sampled by prom-client. '
        + 'It grows when synchronous work blocks the loop.',
      unit: units.Seconds,
      min: 0,
      width: 8,
      queries: [{
        expr: 'nodejs_eventloop_lag_p99_seconds{job=~"$job"}',
        legend: '{{job}} {{instance}}',
      }],
    }),
    timeseriesPanel({
      title: 'Memory',
      description: 'Resident memory of each process and the part of the V8 heap in use.',
      unit: units.BytesIEC,
      min: 0,
      width: 8,
      queries: [
        { expr: 'process_resident_memory_bytes{job=~"$job"}', legend: 'resident {{instance}}' },
        { expr: 'nodejs_heap_size_used_bytes{job=~"$job"}', legend: 'heap used {{instance}}' },
      ],
    }),
    timeseriesPanel({
      title: 'Database query p95 by operation',
      description: 'The 95th percentile of database query duration, by operation.',
      unit: units.Seconds,
      min: 0,
      queries: [{
        expr: 'histogram_quantile(0.95, sum by (job, operation, le) '
          + `(rate(${dbBuckets}[$__rate_interval])))`,
        legend: '{{job}} {{operation}}',
      }],
    }),
    timeseriesPanel({
      title: 'Database query rate by operation',
      description: 'Database queries per second, by operation.',
      unit: units.OpsPerSecond,
      min: 0,
      queries: [{
        expr: 'sum by (job, operation) '
          + '(rate(db_query_duration_seconds_count{job=~"$job"}[$__rate_interval]))',
        legend: '{{job}} {{operation}}',
      }],
    }),
  ];
}

/**
 * Builds the service health dashboard: request rate, 5xx ratio and latency
 * by route from the service's HTTP metrics, and the saturation of its
 * process and database.
 */
export function buildServiceHealthDashboard(options: DashboardOptions = {}): Dashboard {
  const builder = new DashboardBuilder('Service health')
    .uid(serviceHealthUid)
    .description('Request rate, errors, latency and saturation of the services that srekit '
      + 'instruments.')
    .tags([dashboardTag, 'service'])
    .time({ from: 'now-3h', to: 'now' })
    .refresh('1m')
    .withVariable(datasourceVariable())
    .withVariable(labelVariable('job', 'http_requests_total', 'job'))
    .withVariable(labelVariable('route', 'http_requests_total{job=~"$job"}', 'route'));
  return buildDashboard(builder, [
    ...trafficRow(options), ...latencyRow(options), ...saturationRow(),
  ]);
}
