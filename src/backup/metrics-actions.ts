import type { CommandContext } from '../common/command.js';
import { SrekitError } from '../common/errors.js';
import type { CreateResult } from './create.js';
import type { Manifest } from './manifest.js';
import { resolveMetricsDir, writeCreateMetrics, writeVerifyMetrics } from './metrics.js';
import { removeVerifyRecord, writeVerifyRecord } from './prune-verified.js';
import { selectorOf, type SelectOptions } from './options.js';
import { openRepository, type Repository } from './repository.js';
import { selectBackup } from './select.js';
import type { VerifyResult } from './verify.js';

/** The outcome of checking one backup with `srekit backup verify`. */
export interface VerifyOutcome {
  manifest: Manifest;
  /** Undefined when the backup failed its check. */
  result?: VerifyResult;
}

/** The options that `create` and `verify` share for metrics. */
export interface MetricsOptions {
  repo: string;
  class?: string;
  metricsDir?: string;
}

/** The options of `verify` that choose the checked backups. */
export interface VerifySelectionOptions extends MetricsOptions, SelectOptions {
  positional?: string;
  all?: boolean;
}

/**
 * Runs `create` and then writes its class's gauges into the metrics
 * directory, also when it fails. A failure to write the gauges is a warning,
 * because the backup itself succeeded.
 */
export async function createWithMetrics(
  options: MetricsOptions & { class: string }, context: CommandContext,
  create: () => Promise<CreateResult>,
): Promise<void> {
  const dir = await resolveMetricsDir(options.metricsDir, context.io.env);
  const started = new Date();
  const elapsed = () => (Date.now() - started.getTime()) / 1000;
  let result: CreateResult;
  try {
    result = await create();
  } catch (error) {
    if (dir !== undefined) {
      await report(context, 'the metrics', () => writeCreateMetrics(dir, {
        className: options.class, started, durationSeconds: elapsed(),
      }));
    }
    throw error;
  }
  if (dir === undefined) return;
  await report(context, 'the metrics', () => writeCreateMetrics(dir, {
    className: options.class, started, durationSeconds: elapsed(),
    bytes: result.manifest.artifact.size,
  }));
}

/**
 * Runs `verify`, stores a verify record for each backup that passed (which
 * `prune` reads) and removes it for each that failed, and writes each
 * checked class's gauges. When the command fails before it checks a backup,
 * only a `--class` given on the command line is known, so only that
 * class's attempt is written.
 */
export async function verifyWithRecords(
  options: VerifySelectionOptions, context: CommandContext,
  verify: () => Promise<VerifyOutcome[]>,
): Promise<void> {
  const dir = await resolveMetricsDir(options.metricsDir, context.io.env);
  const attempted = new Date();
  let outcomes: VerifyOutcome[];
  try {
    outcomes = await verify();
  } catch (error) {
    const failed = await failedBackup(options, error);
    if (failed !== undefined) {
      await recordOutcomes(failed.repository, [{ manifest: failed.manifest }], dir, attempted,
        context);
    } else if (dir !== undefined && options.class !== undefined) {
      const className = options.class;
      await report(context, 'the metrics',
        () => writeVerifyMetrics(dir, className, attempted, undefined));
    }
    throw error;
  }
  await recordOutcomes(await openRepository(options.repo), outcomes, dir, attempted, context);
}

/**
 * Returns the one backup that a `verify` without `--all` failed on, found
 * again with the same selection, or undefined when the error is not damage.
 */
async function failedBackup(options: VerifySelectionOptions, error: unknown):
  Promise<{ repository: Repository; manifest: Manifest } | undefined> {
  if (options.all || !(error instanceof SrekitError) || error.code !== 'BACKUP_DAMAGED') {
    return undefined;
  }
  try {
    const repository = await openRepository(options.repo);
    const { manifests } = await repository.listManifests();
    const manifest = selectBackup(manifests, selectorOf(options.positional, options));
    return { repository, manifest };
  } catch {
    // The damage is what the user must see, so a second failure here is dropped.
    return undefined;
  }
}

async function recordOutcomes(
  repository: Repository, outcomes: VerifyOutcome[], dir: string | undefined, attempted: Date,
  context: CommandContext,
): Promise<void> {
  for (const { manifest, result } of outcomes) {
    // A backup that fails a check loses its record, so prune stops protecting it.
    const update = result === undefined
      ? () => removeVerifyRecord(repository, manifest.id)
      : () => writeVerifyRecord(repository, result);
    await report(context, `the verify record of ${manifest.id}`, update);
  }
  if (dir === undefined) return;
  for (const className of new Set(outcomes.map(({ manifest }) => manifest.class))) {
    const ofClass = outcomes.filter(({ manifest }) => manifest.class === className);
    const passed = ofClass.some(({ result }) => result !== undefined) ? new Date() : undefined;
    await report(context, 'the metrics',
      () => writeVerifyMetrics(dir, className, attempted, passed));
  }
}

async function report(context: CommandContext, what: string, write: () => Promise<void>):
  Promise<void> {
  try {
    await write();
  } catch (error) {
    context.io.stderr.write(`warning: could not write ${what}: ${(error as Error).message}\n`);
  }
}
