import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError, isSystemError } from '../common/errors.js';
import type { Profile } from './profiles.js';
import { renderRules, type RenderRulesOptions } from './rules.js';

/** The repository this module belongs to (both src/slo and dist/src/slo are three levels down). */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The committed rule file for the production profile. */
export const committedRulesPath = join(repositoryRoot, 'monitoring/prometheus/rules/alerts.yml');

/** Result of {@link checkRulesFile}. */
export type RulesFileState = 'current' | 'stale' | 'missing';

/** Compares the rule file at `path` with what {@link renderRules} produces now. */
export async function checkRulesFile(
  path: string,
  profile: Profile,
  options: RenderRulesOptions = {},
): Promise<RulesFileState> {
  let committed: string;
  try {
    committed = await readFile(path, 'utf8');
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return 'missing';
    throw error;
  }
  return committed === renderRules(profile, options) ? 'current' : 'stale';
}

/** Renders the rules for `profile` and writes them to `path`, creating its directory. */
export async function writeRulesFile(
  path: string,
  profile: Profile,
  options: RenderRulesOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderRules(profile, options));
}

/** Throws CHECK_FAILED unless the rule file at `path` is current. */
export async function assertRulesFileCurrent(
  path: string,
  profile: Profile,
  options: RenderRulesOptions = {},
): Promise<void> {
  const state = await checkRulesFile(path, profile, options);
  if (state === 'current') return;
  const problem = state === 'missing' ? 'is missing' : 'is stale: the alert policy has changed';
  throw new SrekitError('CHECK_FAILED', `rule file ${displayPath(path)} ${problem}`, {
    hint: 'run `srekit slo generate` and commit the result',
  });
}

/** Returns `path` relative to the current directory when it lies below it. */
export function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath.startsWith('..') || relativePath === '' ? path : relativePath;
}
