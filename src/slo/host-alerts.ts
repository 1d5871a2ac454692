import { defineAlert, type AlertDefinition } from './alert-definition.js';

/**
 * Filesystem types that hold no persistent user data, or whose size is not a
 * disk's: memory-backed, kernel-provided, container layers and read-only
 * images. node-exporter 1.5 already skips most of them by default but not
 * tmpfs, and an exporter started with other flags may report any of them.
 */
export const pseudoFilesystemTypes: readonly string[] = [
  'tmpfs', 'devtmpfs', 'ramfs', 'overlay', 'squashfs', 'nsfs', 'proc', 'sysfs',
  'cgroup', 'cgroup2', 'autofs', 'fuse.lxcfs', 'devpts', 'debugfs', 'tracefs',
];

/** Share of a filesystem still available below which a predicted fill pages. */
export const diskAvailableThreshold = 0.2;

/** Share of CPU time spent busy, over all cores, above which the host warns. */
export const cpuBusyThreshold = 0.9;

/** Share of memory available (MemAvailable / MemTotal) below which the host warns. */
export const memoryAvailableThreshold = 0.1;

/**
 * Builds `fstype!~` matchers that exclude {@link pseudoFilesystemTypes}, a
 * few types each, so the rendered rule keeps its lines short.
 */
function fstypeMatchers(): string[] {
  const groups: string[][] = [[]];
  for (const type of pseudoFilesystemTypes) {
    const current = groups[groups.length - 1] ?? [];
    if (current.length > 0 && [...current, type].join('|').length > 60) groups.push([type]);
    else current.push(type);
  }
  return groups.map((types) => `fstype!~"${types.join('|')}"`);
}

const diskWillFillIn4Hours = defineAlert({
  name: 'DiskWillFillIn4Hours',
  severity: 'page',
  windows: { trend: 6 * 3_600, horizon: 4 * 3_600 },
  // Log rotation, a build or a backup that writes and then deletes can bend
  // the trend for a few minutes. Half an hour of a steady prediction is a
  // real fill, and still leaves hours to act at the 4-hour horizon.
  for: 1_800,
  runbook: 'disk-will-fill.md',
  // The fstype filter on the first operand is enough: `/` and `and` keep
  // only series whose labels match it.
  expression: ({ trend }, seconds) => [
    '(',
    '  node_filesystem_avail_bytes{',
    ...fstypeMatchers().map((matcher) => `    ${matcher},`),
    '  }',
    '  / node_filesystem_size_bytes',
    `) < ${diskAvailableThreshold}`,
    'and',
    `predict_linear(node_filesystem_avail_bytes[${trend}], ${seconds.horizon}) < 0`,
    'and',
    'node_filesystem_readonly == 0',
  ].join('\n'),
  summary: (durations) => 'Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} '
    + `will fill within ${durations.horizon}`,
  description: (durations) => `{{ $labels.device }} ({{ $labels.fstype }}) mounted at `
    + '{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} '
    + `of its space available, and its trend over the last ${durations.trend} reaches zero `
    + `within ${durations.horizon}. Writes fail once it is full.`,
});

const highCpuUsage = defineAlert({
  name: 'HighCpuUsage',
  severity: 'warn',
  windows: { usage: 300 },
  // The five-minute rate smooths bursts. Ten minutes of it above the
  // threshold is load that does not pass by itself.
  for: 600,
  runbook: 'high-cpu-usage.md',
  expression: ({ usage }) => [
    `sum by (job, instance) (rate(node_cpu_seconds_total{mode!~"idle|iowait"}[${usage}]))`,
    '/',
    'count by (job, instance) (node_cpu_seconds_total{mode="idle"})',
    `> ${cpuBusyThreshold}`,
  ].join('\n'),
  summary: () => 'CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy',
  description: (durations) => `The CPUs of {{ $labels.instance }} have been more than `
    + `${cpuBusyThreshold * 100}% busy, averaged over all cores, for at least ${durations.for}. `
    + 'Processes wait for CPU time, so request latency grows.',
});

const highMemoryUsage = defineAlert({
  name: 'HighMemoryUsage',
  severity: 'warn',
  windows: {},
  // A short peak is normal while a large job runs. Ten minutes is a process
  // that keeps its memory, or a leak.
  for: 600,
  runbook: 'high-memory-usage.md',
  expression: () => [
    'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
    `< ${memoryAvailableThreshold}`,
  ].join('\n'),
  summary: () => '{{ $labels.instance }} has {{ $value | humanizePercentage }} of its memory '
    + 'available',
  description: (durations) => `Less than ${memoryAvailableThreshold * 100}% of the memory of `
    + `{{ $labels.instance }} has been available for at least ${durations.for}. The kernel `
    + 'is reclaiming page cache, and the OOM killer ends a process when it runs out.',
});

/** Alerts on the host metrics of node-exporter: disk, CPU and memory. */
export const hostAlerts: readonly AlertDefinition[] = [
  diskWillFillIn4Hours, highCpuUsage, highMemoryUsage,
];
