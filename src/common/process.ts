import { spawn } from 'node:child_process';
import {
  accessSync, closeSync, constants, openSync, readdirSync, readFileSync, statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link spawnDetached}. */
export interface SpawnDetachedOptions {
  command: string;
  args: readonly string[];
  /** File that the program's stdout and stderr are appended to. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A process started by {@link spawnDetached}. */
export interface DetachedProcess {
  /** The process id, which is also the id of its new process group. */
  pid: number;
  /**
   * The kernel's start time of the process (Linux only), which distinguishes
   * it from a later process that reuses the pid.
   */
  startTime: string | undefined;
}

/**
 * Starts a program in a new session and process group, with its output in a
 * log file, and lets the current process exit without waiting for it.
 * Rejects when the program cannot be started at all (for example ENOENT).
 */
export async function spawnDetached(options: SpawnDetachedOptions): Promise<DetachedProcess> {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${options.command}: no pid`);
    return { pid, startTime: readProcessStat(pid)?.startTime };
  } finally {
    closeSync(log);
  }
}

/**
 * Returns the kernel's start time of process `pid` (Linux only), or
 * undefined when it is not running or /proc is not available.
 */
export function processStartTime(pid: number): string | undefined {
  return readProcessStat(pid)?.startTime;
}

interface ProcessStat {
  state: string;
  processGroup: number;
  startTime: string;
}

// Fields of /proc/PID/stat after the command name, which is in parentheses
// and may itself contain spaces and parentheses.
function readProcessStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , processGroup] = fields;
  const startTime = fields[19];
  if (state === undefined || processGroup === undefined || startTime === undefined) {
    return undefined;
  }
  return { state, processGroup: Number(processGroup), startTime };
}

const procAvailable = (() => {
  try {
    return statSync('/proc/self/stat').isFile();
  } catch {
    return false;
  }
})();

/**
 * Returns true when a process with `pid` runs and is not a zombie. With
 * `startTime` (from {@link DetachedProcess}), a different process that
 * reuses the pid counts as not running.
 */
export function isProcessRunning(pid: number, startTime?: string): boolean {
  if (procAvailable) {
    const stat = readProcessStat(pid);
    if (!stat || stat.state === 'Z') return false;
    return startTime === undefined || stat.startTime === startTime;
  }
  return signalSucceeds(pid);
}

/** Returns the pids of the running, non-zombie members of process group `groupId`. */
export function processGroupMembers(groupId: number): number[] {
  if (!procAvailable) return signalSucceeds(-groupId) ? [groupId] : [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcessStat(Number(entry));
    if (stat && stat.processGroup === groupId && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

function signalSucceeds(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Outcome of {@link stopProcessGroup}. */
export type StopOutcome = 'not-running' | 'terminated' | 'killed';

/**
 * Stops every process of group `groupId`: SIGTERM, then SIGKILL for what is
 * left after `graceMs`. Resolves once no member runs. With `leaderStartTime`,
 * a group whose leader pid now belongs to another process is left alone and
 * counts as not running. Throws when members survive SIGKILL for 5 s, which
 * happens only for processes stuck in the kernel or owned by another user.
 */
export async function stopProcessGroup(
  groupId: number,
  graceMs: number,
  leaderStartTime?: string,
): Promise<StopOutcome> {
  const leader = readProcessStat(groupId);
  const reused = leader !== undefined && leader.state !== 'Z' && leaderStartTime !== undefined
    && leader.startTime !== leaderStartTime;
  if (reused || processGroupMembers(groupId).length === 0) return 'not-running';
  signalGroup(groupId, 'SIGTERM');
  if (await waitForGroupExit(groupId, graceMs)) return 'terminated';

  signalGroup(groupId, 'SIGKILL');
  if (await waitForGroupExit(groupId, 5_000)) return 'killed';
  const left = processGroupMembers(groupId).join(', ');
  throw new Error(`processes ${left} of group ${groupId} survived SIGKILL`);
}

function signalGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForGroupExit(groupId: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processGroupMembers(groupId).length > 0) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Result of {@link waitForHttpReady}. */
export type ReadyResult =
  | { ready: true }
  | { ready: false; reason: 'timeout' | 'exited' | 'aborted'; lastError: string };

/** Options for {@link waitForHttpReady}. */
export interface WaitForHttpOptions {
  timeoutMs: number;
  /** Pause between attempts; 100 ms unless set. */
  intervalMs?: number;
  /** Checked between attempts: when it returns false, waiting stops with `exited`. */
  isAlive?: () => boolean;
  signal?: AbortSignal;
}

/**
 * Polls `url` with GET until it responds with a 2xx status. Never throws:
 * the result reports whether it became ready, or why waiting stopped.
 */
export async function waitForHttpReady(
  url: string,
  options: WaitForHttpOptions,
): Promise<ReadyResult> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const attemptMs = Math.max(100, Math.min(deadline - Date.now(), 2_000));
    const lastError = await probeHttp(url, attemptMs);
    if (lastError === undefined) return { ready: true };
    if (options.signal?.aborted) return { ready: false, reason: 'aborted', lastError };
    if (options.isAlive && !options.isAlive()) return { ready: false, reason: 'exited', lastError };
    if (Date.now() >= deadline) return { ready: false, reason: 'timeout', lastError };
    await sleep(options.intervalMs ?? 100);
  }
}

/**
 * Sends one GET to `url`. Returns undefined on a 2xx response, else a
 * description of the failure.
 */
export async function probeHttp(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    return describeFetchError(error);
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    // Node's messages usually start with the code already, as in
    // "connect ECONNREFUSED 127.0.0.1:9090", so the code is added only when missing.
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}

/** Formats a TCP address as `host:port`, with an IPv6 host in brackets: `[::1]:9090`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Returns true when a TCP server could listen on `port` at `host` right now. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * Returns `count` distinct TCP ports that were free at `host` a moment ago.
 * Another process may take one before the caller binds it, so callers that
 * bind later must still handle a port in use.
 */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map((server) => new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: 0, host, exclusive: true }, () => {
        const address = server.address();
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('listening socket has no port'));
      });
    })));
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/**
 * Returns the full path of the first of `names` that is an executable file
 * in one of the directories of `pathVariable` (a PATH value), or undefined.
 * A name that contains a slash is checked as a path instead.
 */
export function findExecutable(
  names: readonly string[],
  pathVariable = process.env.PATH ?? '',
): string | undefined {
  for (const name of names) {
    const candidates = name.includes('/')
      ? [name]
      : pathVariable.split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, name));
    const found = candidates.find(isExecutableFile);
    if (found) return found;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
