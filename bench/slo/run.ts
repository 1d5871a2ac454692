// Measures srekit's SLO rules at scale. It generates SLO specs, times
// `srekit slo generate` on them and loads the rules into Prometheus with a
// synthetic scrape target. It prints the rule evaluation time that
// Prometheus reports and the rule counts of srekit, Sloth and Pyrra.
// Exits 1 when Prometheus cannot load or evaluate the rules, 2 on bad usage.
import { SrekitError } from '../../src/common/errors.js';
import { runInterruptible } from '../../src/common/interrupt.js';
import { parseSloBenchArgs } from './args.js';
import { runSloBench } from './bench.js';
import { formatSloBench } from './report.js';

async function main(): Promise<number> {
  try {
    const { options, json } = parseSloBenchArgs(process.argv.slice(2));
    const result = await runInterruptible('the SLO bench',
      (signal) => runSloBench({ ...options, signal }));
    if (json) {
      process.stdout.write(`${JSON.stringify({ type: 'slo-bench', ...result })}\n`);
    } else {
      process.stdout.write(formatSloBench(result));
    }
    return 0;
  } catch (error) {
    if (!(error instanceof SrekitError)) throw error;
    process.stderr.write(`error: ${error.message} [${error.code}]\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
}

process.exitCode = await main();
