import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError } from '../../src/common/errors.js';
import {
  findFreePorts, isProcessRunning, spawnDetached, stopProcessGroup, waitForHttpReady,
  type DetachedProcess,
} from '../../src/common/process.js';

const binPath = fileURLToPath(new URL('../../src/bin.js', import.meta.url));

/** Options of {@link startBenchServer}. */
export interface BenchServerOptions {
  databaseUrl: string;
  /** Directory of the server's log file. */
  workdir: string;
  /** Directory that receives a V8 CPU profile of the server when it stops; none by default. */
  cpuProfileDir?: string;
  timeoutMs?: number;
}

/** A running `srekit incident serve` child process. */
export interface BenchServer {
  url: string;
  /** The bearer token the server expects, made up for this run. */
  token: string;
  logFile: string;
  /** Returns the CPU time the server has used so far, in milliseconds. */
  cpuMs(): number;
  /** Stops the server with SIGTERM, which drains it and writes the CPU profile. */
  stop(): Promise<void>;
}

/**
 * Starts `srekit incident serve` from dist/ on 127.0.0.1 and a free port,
 * with a random token in SREKIT_INCIDENT_TOKEN, and waits for /healthz.
 * Raises STARTUP_TIMEOUT, with the end of the server's log, when it exits
 * or is not ready in time.
 */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const [port] = await findFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const token = randomBytes(16).toString('hex');
  const logFile = join(options.workdir, 'incident-server.log');
  const profileArgs = options.cpuProfileDir === undefined
    ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const child = await spawnDetached({
    command: process.execPath,
    args: [...profileArgs, binPath, 'incident', 'serve', '--port', String(port),
      '--database-url', options.databaseUrl],
    env: { ...process.env, SREKIT_INCIDENT_TOKEN: token },
    logFile,
  });

  const timeoutMs = options.timeoutMs ?? 30_000;
  const ready = await waitForHttpReady(`${url}/healthz`, {
    timeoutMs,
    isAlive: () => isProcessRunning(child.pid, child.startTime),
  });
  const server: BenchServer = {
    url, token, logFile,
    cpuMs: () => processCpuMs(child.pid),
    stop: () => stopServer(child),
  };
  if (ready.ready) return server;

  await server.stop();
  const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5);
  const failure = ready.reason === 'exited'
    ? 'exited during start-up' : `was not ready after ${timeoutMs / 1000} s`;
  throw new SrekitError('STARTUP_TIMEOUT',
    `srekit incident serve at ${url} ${failure} (${ready.lastError}):\n${tail.join('\n')}`, {
      hint: 'run `npx tsc -p .` so that dist/ is current, and read the log lines above',
    });
}

async function stopServer(child: DetachedProcess): Promise<void> {
  // The grace time covers the drain and writing a CPU profile of a long run.
  await stopProcessGroup(child.pid, 15_000, child.startTime);
}

let clockTicksPerSecond: number | undefined;

/** Returns user plus system CPU time of process `pid` in milliseconds, from /proc (Linux). */
function processCpuMs(pid: number): number {
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses: utime and stime
  // are the 14th and 15th fields of the line, so the 12th and 13th here.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicksPerSecond;
}
