import { SrekitError } from '../../src/common/errors.js';
import type { Io } from '../../src/common/io.js';
import { runInterruptible } from '../../src/common/interrupt.js';
import { parseBackupBenchArgs, usage } from './args.js';
import { runBackupBench } from './bench.js';
import { formatBackupBench, writeBackupBenchJson } from './report.js';

/**
 * Runs the backup bench with command-line `args` and returns the exit code:
 * 0 when every target passes, 1 when one is missed or a step fails, 2 on
 * bad usage. Progress goes to stderr, the table or JSON lines to stdout.
 */
export async function runBackupBenchCommand(args: string[], io: Io): Promise<number> {
  try {
    const options = parseBackupBenchArgs(args);
    if (options === 'help') {
      io.stdout.write(`${usage}\n`);
      return 0;
    }
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const result = await runInterruptible('the backup bench',
      (signal) => runBackupBench(options, log, signal));
    if (options.json) writeBackupBenchJson(io.stdout, result);
    else io.stdout.write(formatBackupBench(result));
    return result.targets.some((target) => target.status === 'MISS') ? 1 : 0;
  } catch (error) {
    if (!(error instanceof SrekitError)) throw error;
    io.stderr.write(`error: ${error.message} [${error.code}]\n`);
    if (error.hint) io.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
}
