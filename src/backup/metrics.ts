import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SrekitError } from '../common/errors.js';
import { describeFileError, writeFileAtomic } from '../common/files.js';

/** The environment variable that sets the metrics directory when `--metrics-dir` is not given. */
export const metricsDirVariable = 'SREKIT_BACKUP_METRICS_DIR';

/** One gauge of the textfile, with its help text. */
interface Gauge {
  name: string;
  help: string;
}

/** The gauges that `backup create` writes, one series per class. */
export const createGauges = {
  attempt: { name: 'srekit_backup_last_attempt_timestamp_seconds',
    help: 'Unix time when the last backup of the class started.' },
  success: { name: 'srekit_backup_last_success_timestamp_seconds',
    help: 'Unix time when the last successful backup of the class started.' },
  succeeded: { name: 'srekit_backup_last_attempt_success',
    help: '1 when the last backup of the class succeeded, else 0.' },
  duration: { name: 'srekit_backup_last_duration_seconds',
    help: 'Wall-clock time of the last backup of the class, successful or not.' },
  size: { name: 'srekit_backup_last_size_bytes',
    help: 'Stored size of the artifact of the last successful backup of the class.' },
} as const satisfies Record<string, Gauge>;

/** The gauges that `backup verify` writes, one series per class. */
export const verifyGauges = {
  attempt: { name: 'srekit_backup_last_verify_attempt_timestamp_seconds',
    help: 'Unix time when a backup of the class was last checked.' },
  success: { name: 'srekit_backup_last_verify_success_timestamp_seconds',
    help: 'Unix time when a backup of the class last passed a check.' },
} as const satisfies Record<string, Gauge>;

/** The outcome of one `backup create` run, for {@link writeCreateMetrics}. */
export interface CreateOutcome {
  className: string;
  started: Date;
  durationSeconds: number;
  /** The artifact size, when the backup succeeded. */
  bytes?: number;
}

/**
 * Returns the metrics directory from `--metrics-dir` or the environment, or
 * undefined when neither is set. Throws INVALID_INPUT when it is not an
 * existing directory, before the command does any work.
 */
export async function resolveMetricsDir(
  option: string | undefined, env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const value = option ?? (env[metricsDirVariable] || undefined);
  if (value === undefined) return undefined;
  const source = option === undefined ? metricsDirVariable : '--metrics-dir';
  try {
    if ((await stat(value)).isDirectory()) return resolve(value);
  } catch (error) {
    throw new SrekitError('INVALID_INPUT', `metrics directory ${value} (from ${source}) cannot `
      + `be used: ${describeFileError(error)}`, { hint: 'create it, or point to the directory '
      + "of node-exporter's --collector.textfile.directory" });
  }
  throw new SrekitError('INVALID_INPUT', `metrics directory ${value} (from ${source}) is not a `
    + 'directory');
}

/**
 * Writes the create gauges of one class to `DIR/srekit_backup_create_CLASS.prom`
 * through a temporary file and a rename, as node-exporter's textfile
 * collector requires. A failed run keeps the last success time and size of
 * the previous file.
 */
export async function writeCreateMetrics(dir: string, outcome: CreateOutcome): Promise<void> {
  const path = join(dir, `srekit_backup_create_${outcome.className}.prom`);
  const previous = await readValues(path);
  const values = new Map<Gauge, number | undefined>([
    [createGauges.attempt, seconds(outcome.started)],
    [createGauges.success, outcome.bytes === undefined
      ? previous.get(createGauges.success.name)
      : seconds(outcome.started)],
    [createGauges.succeeded, outcome.bytes === undefined ? 0 : 1],
    [createGauges.duration, outcome.durationSeconds],
    [createGauges.size, outcome.bytes ?? previous.get(createGauges.size.name)],
  ]);
  await writeFileAtomic(path, renderGauges(outcome.className, values));
}

/**
 * Writes the verify gauges of one class to `DIR/srekit_backup_verify_CLASS.prom`.
 * `passed` is the time of a passed check, or undefined when the check failed,
 * which keeps the previous success time.
 */
export async function writeVerifyMetrics(
  dir: string, className: string, attempted: Date, passed: Date | undefined,
): Promise<void> {
  const path = join(dir, `srekit_backup_verify_${className}.prom`);
  const previous = await readValues(path);
  const values = new Map<Gauge, number | undefined>([
    [verifyGauges.attempt, seconds(attempted)],
    [verifyGauges.success, passed === undefined
      ? previous.get(verifyGauges.success.name)
      : seconds(passed)],
  ]);
  await writeFileAtomic(path, renderGauges(className, values));
}

function renderGauges(className: string, values: Map<Gauge, number | undefined>): string {
  const lines: string[] = [];
  for (const [gauge, value] of values) {
    if (value === undefined) continue;
    lines.push(`# HELP ${gauge.name} ${gauge.help}`, `# TYPE ${gauge.name} gauge`,
      `${gauge.name}{class="${className}"} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads the samples of a file this module wrote, by metric name; empty when it is missing. */
async function readValues(path: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{[^}]*\} (\S+)$/.exec(line);
    if (match?.[1] !== undefined && Number.isFinite(Number(match[2]))) {
      values.set(match[1], Number(match[2]));
    }
  }
  return values;
}

const seconds = (time: Date) => time.getTime() / 1000;
