// Measures what the telemetry plugin costs. Each round starts a child
// process that runs the service twice, with and without telemetry, and
// autocannon in this process loads each in turn, in one-second slices. The
// route is GET /orders/:id, which reads one order and its items from SQLite.
// Rounds alternate which variant goes first, and the verdict is the median
// of the per-round throughput ratios, because single runs on a shared
// machine differ by up to 20%. `--control` runs both slots without
// telemetry, which shows how far the ratio strays when nothing differs.
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinLoadGenerator, ServerPair, type Target, type Variant } from './target.js';

interface Measurement {
  requestsPerSecond: number;
  p99Ms: number;
  /** Server CPU time per request, in microseconds. */
  cpuMicrosPerRequest: number;
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    slice: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '5' },
    control: { type: 'boolean', default: false },
    connections: { type: 'string', default: '20' },
    'min-ratio': { type: 'string', default: '0.97' },
  },
});
const rounds = Number(values.rounds);
const durationSeconds = Number(values.duration);
const sliceSeconds = Number(values.slice);
const warmupSeconds = Number(values.warmup);
const connections = Number(values.connections);
const minRatio = Number(values['min-ratio']);
const control = values.control;

/** One autocannon run against one variant. */
interface Slice {
  requests: number;
  seconds: number;
  p99Ms: number;
  cpuMicros: number;
}

async function measureSlice(server: ServerPair, target: Target, seconds: number): Promise<Slice> {
  const cpuBefore = await server.cpuMicros();
  const result = await autocannon({ url: target.url, connections, duration: seconds });
  const cpuAfter = await server.cpuMicros();
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${target.url}: ${result.errors} connection errors, ${result.non2xx} non-2xx responses`);
  }
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p99Ms: result.latency.p99,
    cpuMicros: cpuAfter - cpuBefore,
  };
}

/** Combines slices: total requests over total time, and the median of the slices' p99. */
function combineSlices(slices: Slice[]): Measurement {
  const requests = slices.reduce((sum, slice) => sum + slice.requests, 0);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  const cpuMicros = slices.reduce((sum, slice) => sum + slice.cpuMicros, 0);
  return {
    requestsPerSecond: requests / seconds,
    p99Ms: median(slices.map((slice) => slice.p99Ms)),
    cpuMicrosPerRequest: cpuMicros / requests,
  };
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

function medianOf(measurements: Measurement[]): Measurement {
  return {
    requestsPerSecond: median(measurements.map((measurement) => measurement.requestsPerSecond)),
    p99Ms: median(measurements.map((measurement) => measurement.p99Ms)),
    cpuMicrosPerRequest: median(measurements.map((measurement) => measurement.cpuMicrosPerRequest)),
  };
}

function printRow(round: string, variant: Variant, measurement: Measurement, ratio: string): void {
  const cells = [
    round,
    variant,
    measurement.requestsPerSecond.toFixed(0),
    measurement.p99Ms.toFixed(1),
    measurement.cpuMicrosPerRequest.toFixed(1),
    ratio,
  ];
  console.log(cells.map((cell, index) => cell.padStart(index === 0 ? 8 : 12)).join(''));
}

async function runRounds(directory: string, serverCpus: string | undefined): Promise<number> {
  const results: Record<Variant, Measurement[]> = { with: [], without: [] };
  const ratios: number[] = [];
  if (control) console.log('control run: both variants run without telemetry');
  console.log(`GET /orders/:id on SQLite, ${connections} connections, `
    + `${durationSeconds} s per variant in ${sliceSeconds} s slices, `
    + `a new server process warmed up for ${warmupSeconds} s per variant each round`);
  printHeader();
  for (let round = 1; round <= rounds; round += 1) {
    const withFirst = round % 2 === 1;
    const measured = await measureRound(withFirst, join(directory, `round-${round}`), serverCpus);
    results.with.push(measured.with);
    results.without.push(measured.without);
    ratios.push(measured.with.requestsPerSecond / measured.without.requestsPerSecond);
    printRow(String(round), 'with', measured.with, (ratios.at(-1) ?? Number.NaN).toFixed(3));
    printRow(String(round), 'without', measured.without, '');
  }

  const medians = { with: medianOf(results.with), without: medianOf(results.without) };
  const ratioOfMedians = medians.with.requestsPerSecond / medians.without.requestsPerSecond;
  const medianRatio = median(ratios);
  console.log('');
  printRow('median', 'with', medians.with, medianRatio.toFixed(3));
  printRow('median', 'without', medians.without, '');
  console.log(`ratio of median req/s with/without telemetry: ${ratioOfMedians.toFixed(3)}`);
  console.log(`median per-round ratio with/without telemetry: ${medianRatio.toFixed(3)} `
    + `(target >= ${minRatio})`);
  return medianRatio >= minRatio ? 0 : 1;
}

/**
 * Starts a new server process with both variants, warms both up and
 * measures them in alternating slices, the with-telemetry variant first when
 * `withFirst` is set. A new process each round keeps one process's quirks
 * from deciding every round.
 */
async function measureRound(
  withFirst: boolean,
  directory: string,
  serverCpus: string | undefined,
): Promise<Record<Variant, Measurement>> {
  mkdirSync(directory);
  const server = await ServerPair.start(directory, serverCpus, control);
  try {
    const { targets } = server;
    const [first, second] = withFirst
      ? [targets.with, targets.without]
      : [targets.without, targets.with];
    await measureSlice(server, first, warmupSeconds);
    await measureSlice(server, second, warmupSeconds);

    // Short runs in turn (ABBAAB…) expose both variants to the same bursts
    // of load from other tenants of the machine, which last a few seconds.
    const slices: Record<Variant, Slice[]> = { with: [], without: [] };
    const sliceCount = Math.max(1, Math.round(durationSeconds / sliceSeconds));
    for (let index = 0; index < sliceCount; index += 1) {
      for (const target of index % 2 === 0 ? [first, second] : [second, first]) {
        slices[target.variant].push(await measureSlice(server, target, sliceSeconds));
      }
    }
    return { with: combineSlices(slices.with), without: combineSlices(slices.without) };
  } finally {
    await server.stop();
  }
}

function printHeader(): void {
  const cells = ['round', 'variant', 'req/s', 'p99 ms', 'cpu us/req', 'ratio'];
  console.log(cells.map((cell, index) => cell.padStart(index === 0 ? 8 : 12)).join(''));
}

async function main(): Promise<number> {
  const serverCpus = pinLoadGenerator();
  const loadCpu = serverCpus === undefined ? 'any' : '0';
  process.stderr.write(`server on CPUs ${serverCpus ?? 'any'}, autocannon on CPU ${loadCpu}\n`);
  const directory = mkdtempSync(join(tmpdir(), 'srekit-bench-'));
  try {
    return await runRounds(directory, serverCpus);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

process.exitCode = await main();
