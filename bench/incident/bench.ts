import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SrekitError } from '../../src/common/errors.js';
import { describeDatabase } from '../../src/common/database-url.js';
import { median, quantile } from '../slo/stats.js';
import type { IncidentBenchOptions } from './args.js';
import { checkDatabase, countExistingRows, type DatabaseCheck } from './check.js';
import { sendWaves, type LoadResult } from './load.js';
import { startBenchServer, type BenchServer } from './server.js';
import {
  combineExpected, generateWorkload, warmupFirstGroup, type Workload,
} from './workload.js';

/** The measurements and checks of one run. */
export interface IncidentBenchRun {
  run: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU time per delivery, in milliseconds. */
  serverCpuMsPerDelivery: number;
  /** CPU time of the bench process, which sends the requests, per delivery in milliseconds. */
  loadCpuMsPerDelivery: number;
  /** Deliveries that got a status other than 200, or no response. */
  failedDeliveries: number;
  /**
   * The machine's 1-minute load average when the run ended. Far above the
   * number of CPUs, other processes took CPU time from the server and the
   * latencies measure the machine more than the server.
   */
  loadAverage: number;
  /** Statuses and the first connection error of the failed deliveries. */
  failures: string[];
  check: DatabaseCheck;
}

/** The result of every run, with the workload's shape. */
export interface IncidentBenchResult {
  database: 'sqlite' | 'postgres';
  /** CPUs that this process may use, for comparison with the load average. */
  cpus: number;
  messages: number;
  /** Messages sent before the measurement, to let the JIT compile the intake path. */
  warmupMessages: number;
  deliveries: number;
  concurrency: number;
  waves: number;
  runs: IncidentBenchRun[];
  medians: Pick<IncidentBenchRun, 'deliveriesPerSecond' | 'p50Ms' | 'p99Ms' | 'maxMs'
    | 'serverCpuMsPerDelivery' | 'loadCpuMsPerDelivery'>;
}

/** Options of {@link runIncidentBench}; the parsed command line plus a log and a signal. */
export interface RunIncidentBenchOptions
  extends Omit<IncidentBenchOptions, 'json' | 'help'> {
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs the bench: per run a new server and database, the warm-up messages,
 * then the measured workload's waves at the given concurrency, then the
 * database check after the server has stopped. Raises INVALID_INPUT when a
 * PostgreSQL database already contains incident events, and INTERRUPTED
 * when `signal` aborts.
 */
export async function runIncidentBench(
  options: RunIncidentBenchOptions,
): Promise<IncidentBenchResult> {
  const log = options.log ?? (() => undefined);
  if (options.databaseUrl !== undefined) await ensureEmpty(options.databaseUrl);
  const workload = generateWorkload(options.messages, options.seed);
  const warmup = options.warmupMessages === 0
    ? undefined : generateWorkload(options.warmupMessages, options.seed, warmupFirstGroup);
  log(`${workload.messages} messages of ${workload.pageGroups.size} page groups and others, `
    + `${workload.deliveries} deliveries in ${workload.waves.length} waves, after `
    + `${warmup?.deliveries ?? 0} deliveries to warm up`);

  const runs: IncidentBenchRun[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    runs.push(await runOnce(run, { measured: workload, warmup }, options, log));
    throwIfAborted(options.signal);
  }
  const medianOf = (pick: (run: IncidentBenchRun) => number) => median(runs.map(pick));
  return {
    database: options.databaseUrl === undefined ? 'sqlite' : 'postgres',
    cpus: availableParallelism(),
    messages: workload.messages,
    warmupMessages: warmup?.messages ?? 0,
    deliveries: workload.deliveries,
    concurrency: options.concurrency,
    waves: workload.waves.length,
    runs,
    medians: {
      deliveriesPerSecond: medianOf((run) => run.deliveriesPerSecond),
      p50Ms: medianOf((run) => run.p50Ms),
      p99Ms: medianOf((run) => run.p99Ms),
      maxMs: medianOf((run) => run.maxMs),
      serverCpuMsPerDelivery: medianOf((run) => run.serverCpuMsPerDelivery),
      loadCpuMsPerDelivery: medianOf((run) => run.loadCpuMsPerDelivery),
    },
  };
}

/** The workload to measure and the one that warms the server up first, if any. */
interface Workloads {
  measured: Workload;
  warmup: Workload | undefined;
}

/** The measurements of one server process, before the database check. */
interface Measurement {
  warmup: LoadResult | undefined;
  load: LoadResult;
  serverCpuMs: number;
  loadCpu: NodeJS.CpuUsage;
  loadAverage: number;
}

async function runOnce(
  run: number,
  workloads: Workloads,
  options: RunIncidentBenchOptions,
  log: (line: string) => void,
): Promise<IncidentBenchRun> {
  const workdir = await mkdtemp(join(tmpdir(), 'srekit-bench-incident-'));
  try {
    const databaseUrl = options.databaseUrl ?? `sqlite:${join(workdir, 'incidents.sqlite')}`;
    const server = await startBenchServer({
      databaseUrl, workdir, cpuProfileDir: options.cpuProfileDir,
    });
    let measurement: Measurement;
    try {
      log(`run ${run}: server ${server.url}, log ${server.logFile}`);
      measurement = await measure(server, workloads, options);
    } finally {
      await server.stop();
    }
    throwIfAborted(options.signal);

    const expected = combineExpected([workloads.measured, workloads.warmup]);
    const result = summarize(run, workloads, measurement,
      await checkDatabase(databaseUrl, expected));
    log(`run ${run}: ${result.deliveriesPerSecond.toFixed(0)} deliveries/s, `
      + `p99 ${result.p99Ms.toFixed(1)} ms, ${result.check.incidents} incidents`);
    return result;
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

/** Sends the warm-up deliveries, then the measured ones with the CPU time they take. */
async function measure(
  server: BenchServer, workloads: Workloads, options: RunIncidentBenchOptions,
): Promise<Measurement> {
  const loadOptions = {
    url: server.url, token: server.token, concurrency: options.concurrency,
    signal: options.signal,
  };
  const warmup = workloads.warmup === undefined
    ? undefined : await sendWaves(workloads.warmup.waves, loadOptions);
  const serverCpuBefore = server.cpuMs();
  const loadCpuBefore = process.cpuUsage();
  const load = await sendWaves(workloads.measured.waves, loadOptions);
  return {
    warmup,
    load,
    serverCpuMs: server.cpuMs() - serverCpuBefore,
    loadCpu: process.cpuUsage(loadCpuBefore),
    loadAverage: loadavg()[0] ?? Number.NaN,
  };
}

function summarize(
  run: number, workloads: Workloads, measurement: Measurement, check: DatabaseCheck,
): IncidentBenchRun {
  const { load, warmup } = measurement;
  const responses = load.latenciesMs.length;
  const perResponse = (value: number) => value / Math.max(1, responses);
  const failures = describeFailures(load, '');
  let failedDeliveries = countFailures(load, workloads.measured.deliveries);
  if (warmup !== undefined && workloads.warmup !== undefined) {
    failures.push(...describeFailures(warmup, 'warm-up: '));
    failedDeliveries += countFailures(warmup, workloads.warmup.deliveries);
  }
  return {
    run,
    deliveries: workloads.measured.deliveries,
    seconds: load.seconds,
    deliveriesPerSecond: responses / load.seconds,
    p50Ms: quantile(load.latenciesMs, 0.5),
    p99Ms: quantile(load.latenciesMs, 0.99),
    maxMs: maxOf(load.latenciesMs),
    serverCpuMsPerDelivery: perResponse(measurement.serverCpuMs),
    loadCpuMsPerDelivery: perResponse(
      (measurement.loadCpu.user + measurement.loadCpu.system) / 1000),
    failedDeliveries,
    loadAverage: measurement.loadAverage,
    failures,
    check,
  };
}

/**
 * Returns the largest value, or NaN when there is none. It loops, because
 * spreading millions of latencies into Math.max overflows the stack.
 */
function maxOf(values: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max) max = value;
  return values.length === 0 ? Number.NaN : max;
}

/** Counts the deliveries that got no response or a status other than 200. */
function countFailures(load: LoadResult, deliveries: number): number {
  const rejected = Object.values(load.failedByStatus).reduce((sum, count) => sum + count, 0);
  return deliveries - load.latenciesMs.length + rejected;
}

function describeFailures(load: LoadResult, prefix: string): string[] {
  const lines = Object.entries(load.failedByStatus)
    .map(([status, count]) => `${prefix}${count} × HTTP ${status}`);
  if (load.errors > 0) lines.push(`${prefix}${load.errors} × ${load.firstError ?? 'no response'}`);
  return lines;
}

async function ensureEmpty(databaseUrl: string): Promise<void> {
  const events = await countExistingRows(databaseUrl);
  if (events === 0) return;
  throw new SrekitError('INVALID_INPUT',
    `the database ${describeDatabase({ kind: 'postgres', url: databaseUrl })} already contains `
      + `${events} incident events, so the bench could not tell its own incidents and duplicates `
      + 'from those', {
      hint: 'create an empty database for the bench, such as `createdb srekit_bench`',
    });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
