// Child process of the service benchmark. It starts the service twice on
// free loopback ports, with and without telemetry, creates one order in each
// and prints {"with": {"url", "orderId"}, "without": {…}} as one JSON line on
// stdout. Each line it then reads on stdin makes it print {"cpuMicros"}, its
// CPU time so far. It serves until SIGTERM. With --control both services run
// without telemetry, which measures the noise of the comparison itself.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/common/logger.js';
import { startService, type RunningService } from '../../src/service/index.js';

const { values } = parseArgs({
  options: {
    directory: { type: 'string' },
    control: { type: 'boolean', default: false },
  },
});
if (values.directory === undefined) throw new Error('--directory is required');
const directory = values.directory;

interface StartedVariant {
  service: RunningService;
  orderId: number;
}

async function startVariant(telemetry: boolean): Promise<StartedVariant> {
  const service = await startService({
    port: 0,
    databaseUrl: `sqlite:${join(directory, telemetry ? 'with.sqlite' : 'without.sqlite')}`,
    telemetry,
    logger: createLogger('bench-service', process.stderr, { SREKIT_LOG_LEVEL: 'warn' }),
  });
  const response = await fetch(`${service.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customer: 'bench', items: [{ sku: 'BENCH-1', quantity: 1 }] }),
  });
  if (response.status !== 201) throw new Error(`creating the benchmark order returned ${response.status}`);
  const { id } = await response.json() as { id: number };
  return { service, orderId: id };
}

// NOTE: the with-telemetry service adds prom-client's process metrics,
// whose GC observer runs for the whole process, so the without variant pays
// for it too. A CPU profile put it at about 0.2 µs per request.
const withTelemetry = await startVariant(!values.control);
const without = await startVariant(false);
process.stdout.write(`${JSON.stringify({
  with: { url: withTelemetry.service.url, orderId: withTelemetry.orderId },
  without: { url: without.service.url, orderId: without.orderId },
})}\n`);

createInterface({ input: process.stdin }).on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});

process.once('SIGTERM', () => {
  process.stdin.destroy();
  void Promise.all([withTelemetry.service.close(), without.service.close()]);
});
