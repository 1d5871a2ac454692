import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SrekitError } from '../../src/common/errors.js';
import {
  findExecutable, findFreePorts, isProcessRunning, spawnDetached, stopProcessGroup,
  waitForHttpReady, type DetachedProcess,
} from '../../src/common/process.js';
import { benchJob } from './specs.js';

/** Options for {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** Directory for the configuration, the TSDB and the log. */
  workdir: string;
  rulesFile: string;
  /** `host:port` of the scrape target. */
  targetAddress: string;
  /** Scrape and global rule evaluation interval, in whole seconds. */
  intervalSeconds: number;
  /** Path or name of the Prometheus binary. Unless set, `prometheus` on PATH. */
  binary?: string;
}

/** A Prometheus server started by {@link startPrometheus}. */
export interface RunningPrometheus {
  url: string;
  logFile: string;
  /** Stops the server and everything in its process group. */
  stop(): Promise<void>;
}

function renderConfig(options: StartPrometheusOptions): string {
  const interval = `${options.intervalSeconds}s`;
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: [options.rulesFile],
    scrape_configs: [{
      job_name: benchJob,
      static_configs: [{ targets: [options.targetAddress] }],
    }],
  });
}

function findPrometheus(binary: string | undefined): string {
  const path = findExecutable([binary ?? 'prometheus']);
  if (path !== undefined) return path;
  throw new SrekitError('MISSING_BINARY',
    `could not find ${binary ?? 'prometheus on PATH'}, which the SLO bench loads the rules into`, {
      hint: 'install the Debian package: sudo apt-get install prometheus',
    });
}

/**
 * Returns the last `count` lines of the log that Prometheus wrote at level
 * error, or its last `count` lines when there are none, for error messages.
 */
export async function logTail(logFile: string, count = 5): Promise<string> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n');
  const errors = lines.filter((line) => line.includes('level=error'));
  return (errors.length > 0 ? errors : lines).slice(-count).join('\n');
}

/**
 * Starts Prometheus on 127.0.0.1 and a free port with temporary storage,
 * scraping the target and evaluating the rule file, and waits until it is
 * ready. Throws CHECK_FAILED when it exits during start-up, which is what
 * Prometheus does when it cannot load the rules, and STARTUP_TIMEOUT when it
 * is not ready within `timeoutMs`.
 */
export async function startPrometheus(
  options: StartPrometheusOptions,
  timeoutMs = 60_000,
): Promise<RunningPrometheus> {
  const binary = findPrometheus(options.binary);
  const configFile = join(options.workdir, 'prometheus.yml');
  const logFile = join(options.workdir, 'prometheus.log');
  await writeFile(configFile, renderConfig(options));
  const [port] = await findFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = await spawnDetached({
    command: binary,
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${join(options.workdir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`],
    logFile,
  });
  const running: RunningPrometheus = { url, logFile, stop: () => stopServer(child) };

  const ready = await waitForHttpReady(`${url}/-/ready`, {
    timeoutMs,
    isAlive: () => isProcessRunning(child.pid, child.startTime),
  });
  if (ready.ready) return running;
  await running.stop();
  const tail = await logTail(logFile);
  if (ready.reason === 'exited') {
    throw new SrekitError('CHECK_FAILED',
      `Prometheus exited during start-up, so the rules were not loaded:\n${tail}`, {
        hint: `check the rules with \`promtool check rules ${options.rulesFile}\``,
      });
  }
  throw new SrekitError('STARTUP_TIMEOUT',
    `Prometheus at ${url} was not ready after ${timeoutMs / 1000} s (${ready.lastError}):\n${tail}`);
}

async function stopServer(child: DetachedProcess): Promise<void> {
  await stopProcessGroup(child.pid, 5_000, child.startTime);
}

/** Sends a GET to the Prometheus HTTP API and returns its `data`. */
export async function queryApi(url: string, path: string): Promise<unknown> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = await response.json() as { status?: string; data?: unknown; error?: string };
  if (!response.ok || body.status !== 'success') {
    throw new Error(`GET ${path} on Prometheus failed: HTTP ${response.status} ${body.error ?? ''}`);
  }
  return body.data;
}
