// Measures the Alertmanager webhook of `srekit incident serve`: deliveries
// per second and latency with every message delivered three times, then
// checks that the database contains one incident per page group and one event
// per alert firing and resolution. Exits 0 when every target passes, 1 when
// one is missed or a step fails, 2 on bad usage.
import { SrekitError } from '../../src/common/errors.js';
import { runInterruptible } from '../../src/common/interrupt.js';
import { parseIncidentBenchArgs, usage } from './args.js';
import { runIncidentBench } from './bench.js';
import {
  checkTargets, exitCodeOf, formatIncidentBench, formatIncidentBenchJson,
} from './report.js';

async function main(): Promise<number> {
  try {
    const options = parseIncidentBenchArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const result = await runInterruptible('the incident bench',
      (signal) => runIncidentBench({
        ...options, signal, log: (line) => process.stderr.write(`${line}\n`),
      }));
    const targets = checkTargets(result);
    process.stdout.write(options.json
      ? formatIncidentBenchJson(result, targets)
      : formatIncidentBench(result, targets));
    return exitCodeOf(targets);
  } catch (error) {
    if (!(error instanceof SrekitError)) throw error;
    process.stderr.write(`error: ${error.message} [${error.code}]\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
}

process.exitCode = await main();
