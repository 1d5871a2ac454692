import { resolve } from 'node:path';
import type { CommandContext } from '../common/command.js';
import { errorCodes, SrekitError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { runInterruptible } from '../common/interrupt.js';
import { writeJsonLine, type Io } from '../common/io.js';
import { createBackup, type CreateResult } from './create.js';
import type { Compression } from './format.js';
import type { Manifest } from './manifest.js';
import type { VerifyOutcome } from './metrics-actions.js';
import { printCreated, printList } from './output.js';
import type { KeyMaterial } from './keys.js';
import { readKey, selectorOf, type KeyOptions, type SelectOptions } from './options.js';
import { Progress } from './progress.js';
import { initRepository, openRepository, type Repository } from './repository.js';
import { restoreBackup } from './restore.js';
import { selectBackup } from './select.js';
import { isPostgresUrl, redactPassword } from './postgres.js';
import { parseSource } from './sources.js';
import {
  parseSamplePercent, verifyBackup, type VerifyMode, type VerifyResult,
} from './verify.js';

interface RepoOptions {
  repo: string;
  json?: boolean;
}

interface CreateCommandOptions extends RepoOptions, KeyOptions {
  source: string;
  class: string;
  compression: Compression;
  tag: Record<string, string>;
}

interface ListCommandOptions extends RepoOptions {
  class?: string;
}

interface VerifyCommandOptions extends RepoOptions, KeyOptions, SelectOptions {
  all?: boolean;
  full?: boolean;
  sample?: string;
}

interface RestoreCommandOptions extends RepoOptions, KeyOptions, SelectOptions {
  to: string;
  force?: boolean;
  allowSetuid?: boolean;
}

/** Runs `srekit backup init`. */
export async function runInit(options: RepoOptions, context: CommandContext): Promise<void> {
  const repository = await initRepository(options.repo);
  if (options.json) writeJsonLine(context.io.stdout, 'repository', { path: repository.store.location });
  else context.io.stdout.write(`created backup repository ${repository.store.location}\n`);
}

/** Runs `srekit backup create` and returns the committed backup. */
export async function runCreate(options: CreateCommandOptions, context: CommandContext):
  Promise<CreateResult> {
  const { io } = context;
  const source = parseSource(options.source);
  const key = await readKey(options, io, 'create');
  const repository = await openRepository(options.repo);
  const progress = new Progress(io, 'read');
  const started = Date.now();
  const result = await runInterruptible('backup create', (signal) => createBackup(repository, {
    source, className: options.class, compression: options.compression, key, tags: options.tag,
    onBytes: progress.add, signal,
  })).finally(() => progress.end());
  printCreated(io, result, (Date.now() - started) / 1000, options.json === true);
  if (!result.manifest.complete) {
    io.stderr.write(`warning: backup ${result.manifest.id} is incomplete: `
      + `${result.manifest.skipped.length} source paths were skipped [BACKUP_INCOMPLETE]\n`);
    context.setExitCode(errorCodes.BACKUP_INCOMPLETE.exit);
  }
  return result;
}

/** Runs `srekit backup list`. */
export async function runList(options: ListCommandOptions, context: CommandContext):
  Promise<void> {
  const repository = await openRepository(options.repo);
  const { manifests, problems } = await repository.listManifests();
  const matching = manifests.filter((manifest) => options.class === undefined
    || manifest.class === options.class);
  printList(context.io, matching, options.json === true);
  for (const problem of problems) {
    context.io.stderr.write(`warning: could not read manifest ${problem.key}: ${problem.reason}\n`);
  }
  if (problems.length > 0) context.setExitCode(ExitCode.failure);
}

/** Runs `srekit backup verify` and returns each checked backup's outcome. */
export async function runVerify(
  positional: string | undefined, options: VerifyCommandOptions, context: CommandContext,
): Promise<VerifyOutcome[]> {
  const { io } = context;
  const mode = verifyModeOf(options);
  const key = await readKey(options, io);
  const repository = await openRepository(options.repo);
  const { manifests } = await repository.listManifests();
  if (options.all && (positional !== undefined || options.id !== undefined)) {
    throw new SrekitError('USAGE', '--all cannot be combined with a backup id');
  }
  const chosen = options.all
    ? manifests
    : [selectBackup(manifests, selectorOf(positional, options))];
  const { outcomes, failed } = await runInterruptible('backup verify', (signal) =>
    verifyEach(chosen, { repository, mode, key, all: options.all === true, io,
      json: options.json === true, signal }));
  if (failed > 0) context.setExitCode(ExitCode.failure);
  return outcomes;
}

/** Options of {@link verifyEach}. */
interface VerifyEachOptions {
  repository: Repository;
  mode: VerifyMode;
  key: KeyMaterial | undefined;
  /** Whether a damaged backup is reported and the next one verified, as `--all` requests. */
  all: boolean;
  io: Io;
  json: boolean;
  signal: AbortSignal;
}

async function verifyEach(chosen: Manifest[], options: VerifyEachOptions):
  Promise<{ outcomes: VerifyOutcome[]; failed: number }> {
  const { repository, mode, key, io, signal } = options;
  let failed = 0;
  const outcomes: VerifyOutcome[] = [];
  for (const manifest of chosen) {
    const progress = new Progress(io, `verified ${manifest.id}:`);
    try {
      const result = await verifyBackup(repository, manifest, mode, key, progress.add, signal)
        .finally(() => progress.end());
      outcomes.push({ manifest, result });
      if (options.json) writeJsonLine(io.stdout, 'verify', { ...result, ok: true });
      else io.stdout.write(`backup ${result.id}: ok (${describeVerify(result)})\n`);
    } catch (error) {
      // One backup's failure must not stop the others, unless the key is wrong.
      if (!options.all || !(error instanceof SrekitError) || error.code !== 'BACKUP_DAMAGED') {
        throw error;
      }
      failed += 1;
      outcomes.push({ manifest });
      if (options.json) writeJsonLine(io.stdout, 'verify', { id: manifest.id, ok: false, error: error.message });
      io.stderr.write(`error: ${error.message} [${error.code}]\n`);
    }
  }
  return { outcomes, failed };
}

function verifyModeOf(options: VerifyCommandOptions): VerifyMode {
  if (options.full) return { kind: 'full' };
  if (options.sample !== undefined) return { kind: 'sample', percent: parseSamplePercent(options.sample) };
  return { kind: 'quick' };
}

function describeVerify(result: VerifyResult): string {
  const count = result.segmentsChecked;
  const segments = count > 0 ? `, ${count} segment${count === 1 ? '' : 's'} decrypted` : '';
  return `${result.mode}, ${result.bytesRead} bytes read${segments}`;
}

/** Runs `srekit backup restore`. */
export async function runRestore(
  positional: string | undefined, options: RestoreCommandOptions, context: CommandContext,
): Promise<void> {
  const { io } = context;
  const selector = selectorOf(positional, options);
  const key = await readKey(options, io);
  const repository = await openRepository(options.repo);
  const { manifests } = await repository.listManifests();
  const manifest = selectBackup(manifests, selector);
  const progress = new Progress(io, 'restored');
  const target = isPostgresUrl(options.to) ? options.to : resolve(options.to);
  await runInterruptible('backup restore', (signal) => restoreBackup(repository, manifest, {
    target, key, force: options.force === true, allowSetuid: options.allowSetuid === true,
    onBytes: progress.add, signal,
  })).finally(() => progress.end());
  const shown = redactPassword(target);
  if (options.json) writeJsonLine(io.stdout, 'restore', { id: manifest.id, target: shown });
  else io.stdout.write(`restored backup ${manifest.id} to ${shown}\n`);
}
