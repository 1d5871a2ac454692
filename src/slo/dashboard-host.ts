import {
  DashboardBuilder, RowBuilder, type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  buildDashboard, dashboardTag, datasourceVariable, labelVariable, policyRunbookLink, policyWindow,
  thresholds, timeseriesPanel, type DashboardItem, type DashboardOptions,
} from './dashboard-panels.js';
import { formatDuration } from './duration.js';
import {
  cpuBusyThreshold, diskAvailableThreshold, memoryAvailableThreshold, pseudoFilesystemTypes,
} from './host-alerts.js';

/** The stable uid of the host dashboard. */
export const hostDashboardUid = 'srekit-host';

const instance = 'instance=~"$instance"';
const filesystems = `{${instance}, fstype!~"${pseudoFilesystemTypes.join('|')}"}`;

function hostRow(options: DashboardOptions): DashboardItem[] {
  return [
    new RowBuilder('CPU and memory'),
    timeseriesPanel({
      title: 'CPU busy',
      description: 'Share of CPU time not idle or waiting for I/O, averaged over all cores. The '
        + 'dashed line is the HighCpuUsage threshold.',
      unit: units.PercentUnit,
      min: 0,
      thresholds: thresholds('green', [[cpuBusyThreshold, 'orange']]),
      links: [policyRunbookLink('HighCpuUsage', options)],
      queries: [{
        expr: `sum by (instance) (rate(node_cpu_seconds_total{${instance}, mode!~"idle|iowait"}`
          + '[$__rate_interval]))\n/\n'
          + `count by (instance) (node_cpu_seconds_total{${instance}, mode="idle"})`,
        legend: '{{instance}}',
      }],
    }),
    timeseriesPanel({
      title: 'Memory available',
      description: 'MemAvailable as a share of MemTotal. HighMemoryUsage warns below the dashed '
        + 'line.',
      unit: units.PercentUnit,
      min: 0,
      thresholds: thresholds('orange', [[memoryAvailableThreshold, 'green']]),
      links: [policyRunbookLink('HighMemoryUsage', options)],
      queries: [{
        expr: `node_memory_MemAvailable_bytes{${instance}}\n/\n`
          + `node_memory_MemTotal_bytes{${instance}}`,
        legend: '{{instance}}',
      }],
    }),
  ];
}

function diskRow(options: DashboardOptions): DashboardItem[] {
  const trend = formatDuration(policyWindow('DiskWillFillIn4Hours', 'trend'));
  const horizonSeconds = policyWindow('DiskWillFillIn4Hours', 'horizon');
  const horizon = formatDuration(horizonSeconds);
  const link = policyRunbookLink('DiskWillFillIn4Hours', options);
  return [
    new RowBuilder('Disk space'),
    timeseriesPanel({
      title: 'Disk space available',
      description: 'Available bytes as a share of the filesystem size, without memory-backed '
        + 'and virtual filesystems. DiskWillFillIn4Hours can page below the dashed line.',
      unit: units.PercentUnit,
      min: 0,
      thresholds: thresholds('red', [[diskAvailableThreshold, 'green']]),
      links: [link],
      queries: [{
        expr: `node_filesystem_avail_bytes${filesystems}\n/\n`
          + `node_filesystem_size_bytes${filesystems}`,
        legend: '{{instance}} {{mountpoint}}',
      }],
    }),
    timeseriesPanel({
      title: `Disk space predicted in ${horizon}`,
      description: `Available bytes in ${horizon}, extrapolated from the trend over the last `
        + `${trend} as DiskWillFillIn4Hours does. Below 0 the filesystem fills up first.`,
      unit: units.BytesIEC,
      thresholds: thresholds('red', [[0, 'green']]),
      links: [link],
      queries: [{
        expr: `predict_linear(node_filesystem_avail_bytes${filesystems}[${trend}], `
          + `${horizonSeconds})`,
        legend: '{{instance}} {{mountpoint}}',
      }],
    }),
  ];
}

function networkRow(): DashboardItem[] {
  const devices = `{${instance}, device!="lo"}`;
  return [
    new RowBuilder('Network'),
    timeseriesPanel({
      title: 'Network traffic',
      description: 'Bytes received and sent per second by each network interface but loopback.',
      unit: units.BytesPerSecondSI,
      width: 24,
      queries: [
        {
          expr: `rate(node_network_receive_bytes_total${devices}[$__rate_interval])`,
          legend: 'received {{instance}} {{device}}',
        },
        {
          expr: `rate(node_network_transmit_bytes_total${devices}[$__rate_interval])`,
          legend: 'sent {{instance}} {{device}}',
        },
      ],
    }),
  ];
}

/** Panels on cAdvisor's container metrics. `name!=""` drops cgroups that belong to no container. */
function containerRow(): DashboardItem[] {
  const containers = '{name!=""}';
  return [
    new RowBuilder('Containers'),
    timeseriesPanel({
      title: 'Container CPU',
      description: 'CPU time used per second by each container, where 100% is one core.',
      unit: units.PercentUnit,
      min: 0,
      width: 8,
      queries: [{
        expr: 'sum by (name) '
          + `(rate(container_cpu_usage_seconds_total${containers}[$__rate_interval]))`,
        legend: '{{name}}',
      }],
    }),
    timeseriesPanel({
      title: 'Container memory',
      description: 'Working set of each container: the memory the kernel cannot reclaim easily, '
        + 'which is what an out-of-memory kill is decided on.',
      unit: units.BytesIEC,
      min: 0,
      width: 8,
      queries: [{
        expr: `sum by (name) (container_memory_working_set_bytes${containers})`,
        legend: '{{name}}',
      }],
    }),
    timeseriesPanel({
      title: 'Container network',
      description: 'Bytes received and sent per second by each container.',
      unit: units.BytesPerSecondSI,
      width: 8,
      queries: [
        {
          expr: 'sum by (name) '
            + `(rate(container_network_receive_bytes_total${containers}[$__rate_interval]))`,
          legend: 'received {{name}}',
        },
        {
          expr: 'sum by (name) '
            + `(rate(container_network_transmit_bytes_total${containers}[$__rate_interval]))`,
          legend: 'sent {{name}}',
        },
      ],
    }),
  ];
}

/**
 * Builds the host dashboard: CPU, memory, disk space with its predicted
 * fill and network from node-exporter, and containers from cAdvisor.
 */
export function buildHostDashboard(options: DashboardOptions = {}): Dashboard {
  const builder = new DashboardBuilder('Hosts and containers')
    .uid(hostDashboardUid)
    .description('Host metrics from node-exporter and container metrics from cAdvisor.')
    .tags([dashboardTag, 'host'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .withVariable(datasourceVariable())
    .withVariable(labelVariable('instance', 'node_uname_info', 'instance'));
  return buildDashboard(builder, [
    ...hostRow(options), ...diskRow(options), ...networkRow(), ...containerRow(),
  ]);
}
