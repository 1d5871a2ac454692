import { parseArgs } from 'node:util';
import { SrekitError } from '../../src/common/errors.js';
import { describeDatabase, parseDatabaseUrl } from '../../src/common/database-url.js';

/** Settings of the incident bench, as parsed from the command line. */
export interface IncidentBenchOptions {
  /** Distinct webhook messages; each is delivered three times. */
  messages: number;
  /** Messages sent to each new server before the measurement; 0 for none. */
  warmupMessages: number;
  concurrency: number;
  runs: number;
  seed: number;
  /** A PostgreSQL URL; undefined for a new SQLite file per run. */
  databaseUrl: string | undefined;
  /** Directory for a CPU profile of the server per run; none when undefined. */
  cpuProfileDir: string | undefined;
  json: boolean;
  help: boolean;
}

/** Usage text of the bench, printed by --help and with a usage error. */
export const usage = `Usage: node dist/bench/incident/run.js [options]

Starts \`srekit incident serve\` and sends it generated Alertmanager webhook
messages, each delivered three times (twice the same body, once as the
second Alertmanager of an HA pair would send it). Prints deliveries per
second, latency percentiles and the duplicates found in the database.

Options:
  --messages <n>        distinct messages per run (default 5000)
  --warmup <n>          messages sent before each run's measurement to warm
                        up the server, 0 for none (default 500)
  --concurrency <n>     requests in flight at once (default 16)
  --runs <n>            runs, each on a new SQLite file; medians are reported
                        (default 3)
  --seed <n>            seed of the generated messages (default 1)
  --database-url <url>  run once against this PostgreSQL database instead,
                        which must hold no incident events
  --cpu-prof <dir>      write a V8 CPU profile of the server to <dir> per run
  --json                print one JSON object per line, tagged with "type"
  -h, --help            print this help

Exit status: 0 every target passes, 1 a target is missed or a step fails,
2 bad usage.`;

/**
 * The largest --messages and --warmup. The bench keeps every body in memory,
 * about 3 KB per message, so 100,000 messages take about 300 MB.
 */
const maxMessages = 100_000;

function usageError(message: string): SrekitError {
  return new SrekitError('USAGE', message, { hint: usage });
}

function parseWholeNumber(
  flag: string, text: string | undefined, fallback: number, max: number, min = 1,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw usageError(`invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function parsePostgresUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let location;
  try {
    location = parseDatabaseUrl(text);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  if (location.kind !== 'postgres') {
    throw usageError(`invalid --database-url "${describeDatabase(location)}": expected a `
      + 'postgres:// URL, because the bench makes its own SQLite file for each run');
  }
  return location.url;
}

/** Parses the command line into bench options. Throws USAGE on a bad flag or value. */
export function parseIncidentBenchArgs(args: string[]): IncidentBenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        messages: { type: 'string' }, warmup: { type: 'string' }, concurrency: { type: 'string' }, runs: { type: 'string' },
        seed: { type: 'string' }, 'database-url': { type: 'string' },
        'cpu-prof': { type: 'string' }, json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const databaseUrl = parsePostgresUrl(values['database-url']);
  const runs = parseWholeNumber('--runs', values.runs, databaseUrl === undefined ? 3 : 1, 20);
  if (databaseUrl !== undefined && runs > 1) {
    throw usageError(`invalid --runs ${runs} with --database-url: a PostgreSQL run `
      + 'needs an empty database, so it runs once');
  }
  return {
    messages: parseWholeNumber('--messages', values.messages, 5000, maxMessages),
    warmupMessages: parseWholeNumber('--warmup', values.warmup, 500, maxMessages, 0),
    concurrency: parseWholeNumber('--concurrency', values.concurrency, 16, 1024),
    runs,
    seed: parseWholeNumber('--seed', values.seed, 1, 2 ** 31),
    databaseUrl,
    cpuProfileDir: values['cpu-prof'],
    json: values.json === true,
    help: values.help === true,
  };
}
