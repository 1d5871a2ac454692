import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError, isSystemError } from '../common/errors.js';
import {
  describeFileError, isPathError, nearestExisting, writeFileAtomic,
} from '../common/files.js';
import type { Profile, ProfileName } from './profiles.js';
import { renderRules, type RenderRulesOptions } from './rules.js';

/** The repository this module belongs to (both src/slo and dist/src/slo are three levels down). */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The committed rule file for the production profile. */
export const committedRulesPath = join(repositoryRoot, 'monitoring/prometheus/rules/alerts.yml');

/** Result of {@link checkRulesFile}. */
export type RulesFileState = 'current' | 'stale' | 'missing';

/**
 * Compares the rule file at `path` with what {@link renderRules} produces now.
 * Throws INVALID_INPUT when `path` is a directory or cannot be read.
 */
export async function checkRulesFile(
  path: string,
  profile: Profile,
  options: RenderRulesOptions = {},
): Promise<RulesFileState> {
  const text = await readRulesFile(path);
  if (text === undefined) return 'missing';
  return text === renderRules(profile, options) ? 'current' : 'stale';
}

/** Reads the rule file at `path`, or returns undefined when it does not exist. */
async function readRulesFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return undefined;
    if (isSystemError(error, 'EISDIR')) throw outputIsDirectory(path);
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `invalid --output ${displayPath(path)}: cannot read it: ${describeFileError(error)}`, {
        hint: 'pass the path of a rule file that you can read',
      });
  }
}

/**
 * Renders the rules for `profile` and writes them to `path`, creating its
 * directory. The file is written through a temporary file and a rename, so a
 * failure leaves neither a partial file nor a new directory behind. Throws
 * INVALID_INPUT when `path` is a directory or cannot be written.
 */
export async function writeRulesFile(
  path: string,
  profile: Profile,
  options: RenderRulesOptions = {},
): Promise<void> {
  await assertOutputPath(path);
  let createdDirectory: string | undefined;
  try {
    createdDirectory = await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw cannotWrite(path, `cannot create its directory: ${describeFileError(error)}`);
  }
  try {
    await writeFileAtomic(path, renderRules(profile, options));
  } catch (error) {
    if (createdDirectory !== undefined) {
      await rm(createdDirectory, { recursive: true, force: true });
    }
    if (!isPathError(error)) throw error;
    throw cannotWrite(path, `cannot write it: ${describeFileError(error)}`);
  }
}

/** Throws INVALID_INPUT when `path` is a directory or lies below a file. */
async function assertOutputPath(path: string): Promise<void> {
  let existing: { path: string; isDirectory: boolean };
  try {
    existing = await nearestExisting(path);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw cannotWrite(path, describeFileError(error));
  }
  if (existing.path === resolve(path)) {
    if (existing.isDirectory) throw outputIsDirectory(path);
    return;
  }
  if (!existing.isDirectory) {
    throw cannotWrite(path, `${displayPath(existing.path)} is a file, not a directory`);
  }
}

function outputIsDirectory(path: string): SrekitError {
  return new SrekitError('INVALID_INPUT', `invalid --output ${displayPath(path)}: it is a directory`, {
    hint: `pass a file path, such as ${join(displayPath(path), 'alerts.yml')}`,
  });
}

function cannotWrite(path: string, reason: string): SrekitError {
  return new SrekitError('INVALID_INPUT', `invalid --output ${displayPath(path)}: ${reason}`, {
    hint: 'pass a file in a directory that you can write to, or `-o -` for stdout',
  });
}

/** Commands that {@link assertRulesFileCurrent} suggests, built from the options given. */
export interface GenerateCommands {
  /** Returns the command that writes the file for `profile`. */
  write(profile: ProfileName): string;
  /** Returns the command that checks the file against `profile`. */
  check(profile: ProfileName): string;
}

/**
 * Throws CHECK_FAILED unless the rule file at `path` is current. The error
 * distinguishes a missing file, a file rendered for another profile and a
 * stale file, and names the command that fixes each.
 */
export async function assertRulesFileCurrent(
  path: string,
  profile: Profile,
  commands: GenerateCommands,
  options: RenderRulesOptions = {},
): Promise<void> {
  const text = await readRulesFile(path);
  if (text === renderRules(profile, options)) return;

  const shownPath = displayPath(path);
  const committed = path === committedRulesPath && profile.name === 'production';
  const commit = committed ? ' and commit the result' : '';
  if (text === undefined) {
    throw new SrekitError('CHECK_FAILED', `rule file ${shownPath} is missing`, {
      hint: `create it with \`${commands.write(profile.name)}\`${commit}`,
    });
  }
  const rendered = renderedProfile(text);
  if (rendered !== undefined && rendered !== profile.name) {
    throw new SrekitError('CHECK_FAILED', `rule file ${shownPath} was generated for the `
      + `${rendered} profile, not for ${profile.name}`, {
      hint: `check it with \`${commands.check(rendered)}\`, `
        + `or replace it with \`${commands.write(profile.name)}\`${commit}`,
    });
  }
  throw new SrekitError('CHECK_FAILED', `rule file ${shownPath} is stale: it differs from the `
    + `rules that src/slo/policy.ts renders for the ${profile.name} profile`, {
    hint: `rewrite it with \`${commands.write(profile.name)}\`${commit}`,
  });
}

/** Returns the profile named in the header that {@link renderRules} writes, if any. */
function renderedProfile(text: string): ProfileName | undefined {
  const name = /^# Generated by .* for the (\w+) profile\.$/m.exec(text)?.[1];
  return name === 'production' || name === 'gameday' ? name : undefined;
}

/** Returns `path` relative to the current directory when it lies below it. */
export function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath.startsWith('..') || relativePath === '' ? path : relativePath;
}
