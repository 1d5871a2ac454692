import { parseArgs } from 'node:util';
import { SrekitError } from '../../src/common/errors.js';
import { defaultSloBenchOptions, type SloBenchOptions } from './bench.js';

/** Usage text of the bench, printed with a usage error. */
export const usage = `Usage: node dist/bench/slo/run.js [options]

Options:
  --slos <n>            SLOs to generate (default 200)
  --runs <n>            library generation runs, median reported (default 5)
  --interval <s>        Prometheus scrape and evaluation interval in seconds (default 10)
  --long-interval <s>   evaluate the long-window groups every <s> seconds
                        instead of the generated 60
  --evaluations <n>     evaluations of every group before reading (default 3)
  --timeout <s>         maximum wait for the evaluations in seconds (default 600)
  --no-cli              skip the one timed run of the srekit command
  --prometheus <path>   Prometheus binary (default: prometheus on PATH)
  --json                print the result as one JSON object tagged "slo-bench"`;

function parseNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) {
    throw new SrekitError('USAGE', `invalid ${flag} "${text}": expected a number`);
  }
  return value;
}

/** Parses the command line into bench options. Throws USAGE on a bad flag or value. */
export function parseSloBenchArgs(args: string[]): { options: SloBenchOptions; json: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        slos: { type: 'string' }, runs: { type: 'string' }, interval: { type: 'string' },
        'long-interval': { type: 'string' }, evaluations: { type: 'string' },
        timeout: { type: 'string' }, 'no-cli': { type: 'boolean' },
        prometheus: { type: 'string' }, json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new SrekitError('USAGE', (error as Error).message, { hint: usage });
  }
  const defaults = defaultSloBenchOptions;
  const longInterval = values['long-interval'];
  return {
    options: {
      slos: parseNumber('--slos', values.slos, defaults.slos),
      generationRuns: parseNumber('--runs', values.runs, defaults.generationRuns),
      intervalSeconds: parseNumber('--interval', values.interval, defaults.intervalSeconds),
      evaluations: parseNumber('--evaluations', values.evaluations, defaults.evaluations),
      longIntervalSeconds: longInterval === undefined
        ? undefined : parseNumber('--long-interval', longInterval, 60),
      timeoutMs: parseNumber('--timeout', values.timeout, defaults.timeoutMs / 1000) * 1000,
      runCli: values['no-cli'] !== true,
      prometheus: values.prometheus,
      log: (line) => process.stderr.write(`${line}\n`),
    },
    json: values.json === true,
  };
}
