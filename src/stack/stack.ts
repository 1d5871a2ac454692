import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SrekitError } from '../common/errors.js';
import {
  formatHostPort, isPortFree, isProcessRunning, processStartTime, spawnDetached,
  stopProcessGroup, waitForHttpReady, type ReadyResult, type StopOutcome,
} from '../common/process.js';
import { getProfile, type Profile } from '../slo/index.js';
import {
  componentNames, componentSpecs, resolveExecutables,
  type ComponentName, type Executables, type LaunchContext,
} from './components.js';
import { renderStackConfigs } from './configs.js';
import {
  assertValidWorkdir, createWorkdir, logFileOf, stackLayout, type StackLayout,
} from './layout.js';
import {
  endpointsFor, listenerLabels, listenerNames, resolvePorts, stackHost,
  type StackEndpoints, type StackPorts,
} from './ports.js';
import {
  createState, ownerRunning, readState, removeState, runningComponents, writeState,
  type ComponentRecord, type StackState,
} from './state.js';

/** Options for {@link startStack}. */
export interface StartStackOptions {
  /** Directory for the state file, rendered configs, data and logs; created if missing. */
  workdir: string;
  /** `production` or `gameday`. */
  profile: string;
  /** Ports to use instead of the defaults (19090 to 19096). */
  ports?: Partial<StackPorts>;
  /** Receives one short line for each step. */
  onProgress?: (message: string) => void;
  /** How long each component may take to become ready; 30 s unless set. */
  readyTimeoutMs?: number;
  /** How long a component may take to exit after SIGTERM before SIGKILL; 10 s unless set. */
  stopGraceMs?: number;
  /** Environment of the components; its PATH is searched for the programs. */
  env?: NodeJS.ProcessEnv;
  /** Paths of the programs, to use instead of searching PATH. */
  executables?: Partial<Executables>;
  /** Aborting stops what was started and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A running local stack, as returned by {@link startStack}. */
export interface Stack {
  /** Absolute path of the working directory. */
  readonly workdir: string;
  /** Paths of the state, configs, data and logs inside the working directory. */
  readonly layout: StackLayout;
  readonly profile: Profile;
  readonly ports: StackPorts;
  /** Base URL of each listener, such as `http://127.0.0.1:19090` for Prometheus. */
  readonly endpoints: StackEndpoints;
  /** The bearer token of the incident server's /v1 API, also in the layout's token file. */
  readonly incidentToken: string;
  /** Returns the log file of a component. */
  logFile(name: ComponentName): string;
  /** Stops one component (SIGTERM, then SIGKILL after the grace period); the rest keep running. */
  stopComponent(name: ComponentName): Promise<void>;
  /** Starts a stopped component again and waits until it is ready; does nothing if it runs. */
  startComponent(name: ComponentName): Promise<void>;
  /** Stops every component and removes the state file. Logs and data stay until the next `up`. */
  down(): Promise<void>;
}

/** Report of {@link stopStack}. */
export interface StopReport {
  /** False when there was no state file, so nothing was stopped. */
  found: boolean;
  stopped: Array<{ name: string; pid: number; outcome: StopOutcome }>;
}

const defaultReadyTimeoutMs = 30_000;
const defaultStopGraceMs = 10_000;

/**
 * Starts the local stack from installed binaries: alert receiver,
 * node-exporter, the service with fault injection, the incident server,
 * Alertmanager and Prometheus, each in its own process group on loopback,
 * with configs rendered for the profile and a new incident API token.
 * Resolves when every component is ready; the processes keep running after
 * the caller exits.
 *
 * Every input, the ports and an earlier stack in the same working directory
 * are checked before anything is written. On a later failure it stops
 * whatever it started. When no component ran, it also removes what it
 * created in the working directory, and the directory itself if it created
 * that. Otherwise the logs stay for the user to read, and the error's hint
 * names their directory.
 *
 * Throws SrekitError with MISSING_BINARY, STACK_ALREADY_RUNNING,
 * PORT_IN_USE, STARTUP_TIMEOUT, INVALID_INPUT or INVALID_CONFIG.
 */
export async function startStack(options: StartStackOptions): Promise<Stack> {
  const profile = getProfile(options.profile);
  const ports = resolvePorts(options.ports);
  const readyTimeoutMs = options.readyTimeoutMs ?? defaultReadyTimeoutMs;
  const stopGraceMs = options.stopGraceMs ?? defaultStopGraceMs;
  assertDurations(readyTimeoutMs, stopGraceMs);
  const env = options.env ?? process.env;
  const executables = resolveExecutables(env.PATH ?? '', options.executables);
  await assertValidWorkdir(options.workdir);
  const layout = stackLayout(options.workdir);
  const progress = options.onProgress ?? (() => undefined);

  const earlier = await readState(layout);
  if (earlier && (runningComponents(earlier).length > 0 || ownerRunning(earlier))) {
    throw alreadyRunning(layout, earlier);
  }
  await assertPortsFree(ports);

  const createdDirectory = await createWorkdir(layout);
  // From here on, a failure must undo what was written. claimWorkdir
  // removes nothing on failure, because then another `up` may own the
  // directory.
  const state = await claimWorkdir(layout, profile, ports, progress);
  const incidentToken = randomBytes(32).toString('base64url');
  const stack = new RunningStack(layout, state, profile, {
    launch: { layout, ports, executables, nodePath: process.execPath, profile, incidentToken },
    env,
    progress,
    readyTimeoutMs,
    stopGraceMs,
    signal: options.signal,
  });
  try {
    await prepareWorkdir(layout);
    await writeIncidentToken(layout, incidentToken);
    await renderStackConfigs({ layout, profile, ports });
    for (const name of componentNames) {
      options.signal?.throwIfAborted();
      await stack.startComponent(name);
    }
  } catch (error) {
    throw await undoStart({ stack, layout, state, createdDirectory, progress }, error);
  }
  return stack;
}

function assertDurations(readyTimeoutMs: number, stopGraceMs: number): void {
  if (!(readyTimeoutMs > 0)) {
    throw new SrekitError('INVALID_INPUT',
      `invalid ready timeout ${readyTimeoutMs} ms: it must be more than 0`);
  }
  if (!(stopGraceMs >= 0)) {
    throw new SrekitError('INVALID_INPUT',
      `invalid stop grace period ${stopGraceMs} ms: it must be 0 or more`);
  }
}

/** The parts {@link startStack} has set up after claiming the working directory. */
interface StartedStack {
  stack: Stack;
  layout: StackLayout;
  state: StackState;
  /** The first directory that `up` created for the workdir, if it created any. */
  createdDirectory: string | undefined;
  progress: (message: string) => void;
}

/**
 * Stops what a failed start started and returns the error to throw. When no
 * component ran, the files the start wrote are removed as well. When one
 * did, they stay, and the returned error names the log directory.
 */
async function undoStart(started: StartedStack, error: unknown): Promise<unknown> {
  const { stack, layout, state, createdDirectory, progress } = started;
  const ran = Object.keys(state.components).length > 0;
  if (ran) progress('startup failed: stopping what was started');
  try {
    await stack.down();
  } catch (cleanupError) {
    // Report the startup error, which came first. The state file still
    // lists what is left, so `down` can retry, and nothing is removed.
    const detail = cleanupError instanceof Error ? cleanupError.message : String(cleanupError);
    progress(`${detail}; run \`srekit stack down --workdir ${layout.workdir}\``);
    return error;
  }
  if (!ran) {
    await removeStartFiles(layout, createdDirectory);
    return error;
  }
  if (!(error instanceof SrekitError)) return error;
  const logs = `the logs of the parts that ran stay in ${layout.logDir}`;
  return new SrekitError(error.code, error.message, {
    hint: error.hint === undefined ? logs : `${error.hint}; ${logs}`,
    cause: error,
  });
}

/** Removes what `up` wrote in the working directory, or the directory it created. */
async function removeStartFiles(
  layout: StackLayout,
  createdDirectory: string | undefined,
): Promise<void> {
  if (createdDirectory !== undefined) {
    await rm(createdDirectory, { recursive: true, force: true });
    return;
  }
  for (const directory of [layout.configDir, layout.dataDir, layout.logDir]) {
    await rm(directory, { recursive: true, force: true });
  }
  await rm(layout.incidentTokenFile, { force: true });
}

/**
 * Replaces the incident token file with a new one that only its owner can
 * read. Removing it first makes sure the mode applies, because `writeFile`
 * sets the mode only when it creates the file.
 */
async function writeIncidentToken(layout: StackLayout, token: string): Promise<void> {
  await rm(layout.incidentTokenFile, { force: true });
  await writeFile(layout.incidentTokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * Stops every component recorded in the state file of `workdir` (SIGTERM,
 * then SIGKILL after `graceMs`) and removes the file. Works after a crashed
 * `up` as well, because each component is recorded as soon as it starts.
 * Throws INVALID_INPUT for an empty `workdir` or one below a file.
 * NOTE: an `up` that is still starting parts in another process is not
 * stopped, so it may start further parts after this returns.
 */
export async function stopStack(
  workdir: string,
  options: { graceMs?: number; onProgress?: (message: string) => void } = {},
): Promise<StopReport> {
  await assertValidWorkdir(workdir);
  const layout = stackLayout(workdir);
  const state = await readState(layout);
  if (!state) return { found: false, stopped: [] };
  const stopped = await stopRecorded(state, options.graceMs ?? defaultStopGraceMs,
    options.onProgress ?? (() => undefined));
  await removeState(layout);
  return { found: true, stopped };
}

async function stopRecorded(
  state: StackState,
  graceMs: number,
  progress: (message: string) => void,
): Promise<StopReport['stopped']> {
  const stopped: StopReport['stopped'] = [];
  const failures: string[] = [];
  for (const name of [...componentNames].reverse()) {
    const record = state.components[name];
    if (!record) continue;
    try {
      const outcome = await stopProcessGroup(record.pid, graceMs, record.startTime);
      if (outcome !== 'not-running') progress(`stopped ${name} (pid ${record.pid}, ${outcome})`);
      stopped.push({ name, pid: record.pid, outcome });
    } catch (error) {
      // Keep stopping the others; one stuck process must not leave the rest running.
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`could not stop ${failures.join('; ')}`);
  return stopped;
}

/**
 * Creates the state file, which marks the working directory as taken.
 * A state file whose processes have all exited is left over from a crash
 * or a reboot, and is replaced.
 */
async function claimWorkdir(
  layout: StackLayout,
  profile: Profile,
  ports: StackPorts,
  progress: (message: string) => void,
): Promise<StackState> {
  const state: StackState = {
    version: 1,
    profile: profile.name,
    startedAt: new Date().toISOString(),
    owner: { pid: process.pid, startTime: processStartTime(process.pid) },
    ports,
    components: {},
  };
  if (await createState(layout, state)) return state;

  const existing = await readState(layout);
  if (existing) {
    const running = runningComponents(existing);
    if (running.length > 0 || ownerRunning(existing)) throw alreadyRunning(layout, existing);
    progress(`replacing the state of a stack that is no longer running in ${layout.workdir}`);
    await removeState(layout);
  }
  if (await createState(layout, state)) return state;
  throw alreadyRunning(layout, await readState(layout));
}

function alreadyRunning(layout: StackLayout, state: StackState | undefined): SrekitError {
  const running = state ? runningComponents(state) : [];
  const detail = running.length > 0
    ? running.map(([name, record]) => `${name} pid ${record.pid}`).join(', ')
    : `being started by pid ${state?.owner.pid ?? 'unknown'}`;
  return new SrekitError('STACK_ALREADY_RUNNING',
    `the local stack is already running in ${layout.workdir} (${detail})`, {
      hint: `stop it with \`srekit stack down --workdir ${layout.workdir}\`, `
        + 'or use another --workdir',
    });
}

async function assertPortsFree(ports: StackPorts): Promise<void> {
  const busy: string[] = [];
  for (const name of listenerNames) {
    if (!(await isPortFree(ports[name], stackHost))) {
      busy.push(`${formatHostPort(stackHost, ports[name])} (${listenerLabels[name]})`);
    }
  }
  if (busy.length === 0) return;
  const subject = busy.length === 1 ? `port ${busy.join('')} is` : `ports ${busy.join(', ')} are`;
  throw new SrekitError('PORT_IN_USE', `could not start the local stack: ${subject} already in use`, {
    hint: 'stop what listens there, or choose other ports with --base-port',
  });
}

// Each `up` starts from empty data and logs, so alerts and notifications of
// an earlier run cannot leak into this one. Only the stack's own
// subdirectories are removed, never the working directory itself.
async function prepareWorkdir(layout: StackLayout): Promise<void> {
  for (const directory of [layout.configDir, layout.dataDir, layout.logDir]) {
    await rm(directory, { recursive: true, force: true });
  }
  const directories = [layout.logDir, layout.configDir, layout.prometheusData,
    layout.alertmanagerData, layout.serviceData, layout.textfileDir,
    dirname(layout.notificationsFile), layout.incidentData];
  for (const directory of directories) await mkdir(directory, { recursive: true });
}

interface RunSettings {
  launch: LaunchContext;
  env: NodeJS.ProcessEnv;
  progress: (message: string) => void;
  readyTimeoutMs: number;
  stopGraceMs: number;
  signal: AbortSignal | undefined;
}

class RunningStack implements Stack {
  readonly workdir: string;
  readonly ports: StackPorts;
  readonly endpoints: StackEndpoints;
  readonly incidentToken: string;

  constructor(
    readonly layout: StackLayout,
    private readonly state: StackState,
    readonly profile: Profile,
    private readonly settings: RunSettings,
  ) {
    this.workdir = layout.workdir;
    this.ports = state.ports;
    this.endpoints = endpointsFor(state.ports);
    this.incidentToken = settings.launch.incidentToken;
  }

  logFile(name: ComponentName): string {
    return logFileOf(this.layout, name);
  }

  async startComponent(name: ComponentName): Promise<void> {
    const existing = this.state.components[name];
    if (existing && isProcessRunning(existing.pid, existing.startTime)) return;

    const spec = componentSpecs[name];
    const { command, args, cwd, env: componentEnv } = spec.command(this.settings.launch);
    const port = this.ports[spec.listener];
    const logFile = this.logFile(name);
    // The stack runs one Prometheus, so its `replica` external label has a
    // fixed value unless the caller chose one.
    const env = { PROMETHEUS_REPLICA: 'stack', ...this.settings.env, ...componentEnv };
    const started = await spawnDetached({ command, args, cwd, logFile, env });
    this.settings.progress(`started ${name} (pid ${started.pid}) on ${stackHost}:${port}`);
    const record: ComponentRecord = {
      ...started,
      port,
      url: this.endpoints[spec.listener],
      readinessUrl: `${this.endpoints[spec.listener]}${spec.readinessPath}`,
      logFile,
    };
    this.state.components[name] = record;
    await writeState(this.layout, this.state);

    const result = await waitForHttpReady(record.readinessUrl, {
      timeoutMs: this.settings.readyTimeoutMs,
      isAlive: () => isProcessRunning(record.pid, record.startTime),
      signal: this.settings.signal,
    });
    if (!result.ready) throw await this.startupError(name, record, result);
    this.settings.progress(`${name} is ready`);
  }

  async stopComponent(name: ComponentName): Promise<void> {
    const record = this.state.components[name];
    if (!record) return;
    const outcome = await stopProcessGroup(record.pid, this.settings.stopGraceMs, record.startTime);
    if (outcome !== 'not-running') {
      this.settings.progress(`stopped ${name} (pid ${record.pid}, ${outcome})`);
    }
  }

  async down(): Promise<void> {
    await stopRecorded(this.state, this.settings.stopGraceMs, this.settings.progress);
    await removeState(this.layout);
  }

  private async startupError(
    name: ComponentName,
    record: ComponentRecord,
    result: Exclude<ReadyResult, { ready: true }>,
  ): Promise<unknown> {
    if (result.reason === 'aborted') return this.settings.signal?.reason;
    const seconds = this.settings.readyTimeoutMs / 1000;
    const problem = result.reason === 'exited'
      ? `${name} exited before it was ready`
      : `${name} was not ready at ${record.readinessUrl} after ${seconds}s (${result.lastError})`;
    const tail = await readLogTail(record.logFile, 8);
    const message = tail === ''
      ? `${problem}; its log ${record.logFile} is empty`
      : `${problem}; the end of its log ${record.logFile}:\n${tail}`;
    return new SrekitError('STARTUP_TIMEOUT', message, {
      hint: `read ${record.logFile} for the cause`
        + (result.reason === 'timeout' ? ', or allow more time with --timeout' : ''),
    });
  }
}

async function readLogTail(path: string, lines: number): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const length = Math.min(size, 4096);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      const text = buffer.toString('utf8').trimEnd();
      if (text === '') return '';
      return text.split('\n').slice(-lines).map((line) => `  ${line}`).join('\n');
    } finally {
      await file.close();
    }
  } catch {
    return '';
  }
}
