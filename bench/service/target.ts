import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A benchmark variant: the service with or without the telemetry plugin. */
export type Variant = 'with' | 'without';

/** The benchmarked route of one variant: `GET /orders/:id` of one stored order. */
export interface Target {
  variant: Variant;
  url: string;
}

const serverPath = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * One child process that serves both variants, each on its own port and
 * SQLite file. Sharing a process means that both variants get the same JIT
 * decisions and memory layout, which otherwise make two identical Node.js
 * processes differ by several percent for as long as they live.
 */
export class ServerPair {
  private constructor(
    readonly targets: Record<Variant, Target>,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
  ) {}

  /**
   * Starts the child with its databases in `directory`, pinned to
   * `serverCpus` when given. With `control` both variants run without
   * telemetry.
   */
  static async start(
    directory: string,
    serverCpus: string | undefined,
    control: boolean,
  ): Promise<ServerPair> {
    const serverArgs = [serverPath, '--directory', directory, ...(control ? ['--control'] : [])];
    const child = serverCpus === undefined
      ? spawn(process.execPath, serverArgs)
      : spawn('taskset', ['--cpu-list', serverCpus, process.execPath, ...serverArgs]);
    child.stderr.pipe(process.stderr);
    const lines = createInterface({ input: child.stdout });

    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the benchmark server exited with ${String(code)} before it was ready`);
    });
    const [line] = await Promise.race([once(lines, 'line') as Promise<[string]>, exited]);
    type Started = Record<Variant, { url: string; orderId: number }>;
    const started = JSON.parse(line) as Started;
    const targetOf = (variant: Variant): Target => ({
      variant,
      url: `${started[variant].url}/orders/${started[variant].orderId}`,
    });
    return new ServerPair({ with: targetOf('with'), without: targetOf('without') }, child, lines);
  }

  /** Returns the CPU time the child process has used so far, in microseconds. */
  async cpuMicros(): Promise<number> {
    const reply = once(this.lines, 'line') as Promise<[string]>;
    this.child.stdin.write('cpu\n');
    const [line] = await reply;
    return (JSON.parse(line) as { cpuMicros: number }).cpuMicros;
  }

  /** Stops the child and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Pins this process, the load generator, to CPU 0 and returns the CPU list
 * for the server, so that load generator and server do not take turns on
 * one core. Pins nothing and returns undefined without taskset or a second CPU.
 */
export function pinLoadGenerator(): string | undefined {
  const cpuCount = availableParallelism();
  if (cpuCount < 2) return undefined;
  const pinned = spawnSync('taskset', ['--cpu-list', '--pid', '0', String(process.pid)]);
  if (pinned.error !== undefined || pinned.status !== 0) return undefined;
  return `1-${cpuCount - 1}`;
}
