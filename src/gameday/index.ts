import { InvalidArgumentError, Option, type Command } from 'commander';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CommandContext, RegisterCommands } from '../common/command.js';
import { parsePort } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { runInterruptible } from '../common/interrupt.js';
import { writeJsonLine, type Io } from '../common/io.js';
import { defaultBasePort, portsFromBase } from '../stack/index.js';
import type { GamedayEvent } from './gameday.js';
import { formatTable, renderMarkdown, reportPassed, type GamedayReport } from './report.js';
import { runGameday } from './run.js';

export { scenarioAlerts } from './alerts.js';
export type { ScenarioAlerts } from './alerts.js';
export { loadScenarioAlerts, runGameday } from './run.js';
export type { GamedayOptions } from './run.js';
export { reportPassed, renderMarkdown } from './report.js';
export type { CheckResult, GamedayReport } from './report.js';

interface GamedayCommandOptions {
  workdir: string;
  report: string;
  profile: string;
  rate: number;
  basePort: number;
  keepStack?: boolean;
  json?: boolean;
}

function parseRate(value: string): number {
  const rate = Number(value);
  if (!/^\d+$/.test(value) || rate < 1 || rate > 1000) {
    throw new InvalidArgumentError(`invalid rate "${value}": expected requests per second from 1 to 1000`);
  }
  return rate;
}

/** Adds `srekit gameday` to the program. */
export const registerGamedayCommands: RegisterCommands = (program: Command, context) => {
  program.command('gameday')
    .description('start the local stack, inject faults and check that each is detected and routed')
    .option('--workdir <dir>', 'directory for the stack state, configs and logs', '.srekit/gameday')
    .option('--report <file>', 'Markdown report to write, or - for stdout', 'gameday-report.md')
    .addOption(new Option('--profile <name>', 'timings to run with; gameday compresses time')
      .choices(['gameday', 'production']).default('gameday'))
    .option('--rate <n>', 'steady traffic in requests per second, up to 1000; the fast-burn '
      + 'scenario needs at least 50 with the gameday profile', parseRate, 50)
    .option('--base-port <port>', 'first of seven consecutive loopback ports', parsePort,
      defaultBasePort)
    .option('--keep-stack', 'leave the stack running afterwards')
    .option('--json', 'print progress and results as JSON lines tagged with "type"')
    .addHelpText('after', `
Scenarios, in order:
  a  node-exporter stops: InstanceDown must reach the page receiver
  b  3.5% of requests fail: the fast SLO burn must reach the page receiver
     and open one incident with its runbook link, also when the page is
     delivered again
  c  30% fail: Alertmanager must list HighErrorRatio as inhibited by the burn
  d  3.5% fail again: HighErrorRatio must resolve at Alertmanager, inhibited
  e  all recover: InstanceDown and the burn resolve at the page receiver,
     the burn's incident moves to monitoring, and HighErrorRatio has not
     paged since c
  f  requests take 750 ms longer: HighLatencyP95 must reach the warn receiver
  g  the latency recovers: HighLatencyP95 must resolve at the warn receiver
  h  the service's database is backed up, deleted and restored: the service
     must read orders again within the 30-minute RTO, the backup must be
     within the 15-minute RPO, and the restored data must be intact

Examples:
  srekit gameday
  srekit gameday --report - --json > gameday.jsonl

Exit status:
  0  every check passed
  1  a check failed, or the stack could not start
  2  bad usage`)
    .action(async (options: GamedayCommandOptions) => {
      context.setExitCode(await gamedayCommand(options, context));
    });
};

async function gamedayCommand(options: GamedayCommandOptions, context: CommandContext) {
  const { io } = context;
  const started = Date.now();
  const onEvent = (event: GamedayEvent) => printEvent(io, event, options.json ?? false, started);
  if (options.report !== '-') await checkReportPath(resolve(options.report));
  const report = await runInterruptible('srekit gameday', (signal) => runGameday({
    workdir: options.workdir,
    profile: options.profile,
    requestsPerSecond: options.rate,
    ports: portsFromBase(options.basePort),
    keepStack: options.keepStack ?? false,
    signal,
    onEvent,
  }));
  await writeReport(io, report, options);
  return reportPassed(report) ? ExitCode.ok : ExitCode.failure;
}

function printEvent(io: Io, event: GamedayEvent, json: boolean, started: number): void {
  if (json) {
    writeJsonLine(io.stdout, event.type, event.type === 'check' ? { ...event.result } : event);
    return;
  }
  const elapsed = `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
  if (event.type === 'progress') {
    io.stderr.write(`${elapsed} ${event.message}\n`);
    return;
  }
  const { result } = event;
  const verdict = result.passed ? 'pass' : 'FAIL';
  if (result.expectedValue !== undefined) {
    const observed = result.observedValue ?? 'nothing';
    io.stderr.write(`${elapsed} ${verdict}: ${result.name}: ${observed}, expected `
      + `${result.expectedValue}\n`);
    return;
  }
  const seconds = result.observedSeconds?.toFixed(1);
  let outcome = seconds === undefined ? 'not seen' : `after ${seconds} s`;
  // A check that expects no notification passes when none was seen.
  if (result.expectedMaxSeconds === undefined) {
    outcome = seconds === undefined ? 'none seen' : `one arrived after ${seconds} s`;
  }
  io.stderr.write(`${elapsed} ${verdict}: ${result.name}: ${outcome}\n`);
}

async function writeReport(io: Io, report: GamedayReport, options: GamedayCommandOptions) {
  const markdown = renderMarkdown(report);
  if (options.json) {
    writeJsonLine(io.stdout, 'summary', {
      passed: reportPassed(report),
      profile: report.profile.name,
      error: report.error,
    });
  } else if (options.report !== '-') {
    io.stdout.write(formatTable(report));
  }
  if (options.report === '-') {
    if (!options.json) io.stdout.write(markdown);
    return;
  }
  if (report.error) io.stderr.write(`error: the game day stopped early: ${report.error}\n`);

  // Write through a temporary file, so an interrupted run never leaves half a report.
  const path = resolve(options.report);
  try {
    await writeFile(`${path}.tmp`, markdown);
    await rename(`${path}.tmp`, path);
  } catch (error) {
    await rm(`${path}.tmp`, { force: true });
    throw new SrekitError('CHECK_FAILED', `could not write the report to ${path}: `
      + `${error instanceof Error ? error.message : String(error)}`, {
      hint: 'the results are in the table above; run again with --report - to print the report',
    });
  }
  io.stderr.write(`report written to ${path}\n`);
}

/**
 * Checks before the stack starts that the report can be written at `path`,
 * so a bad path does not throw away a finished game day. Creates and removes
 * the temporary file the report is later written through.
 */
async function checkReportPath(path: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new SrekitError('INVALID_INPUT', `invalid --report ${path}: it is a directory`, {
      hint: `give a file path, such as ${join(path, 'gameday-report.md')}`,
    });
  }
  const probe = `${path}.tmp`;
  try {
    await writeFile(probe, '');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new SrekitError('INVALID_INPUT', `invalid --report ${path}: cannot create a file in `
      + `${dirname(path)} (${reason})`, { hint: 'choose a writable directory that exists' });
  }
  await rm(probe, { force: true });
}
