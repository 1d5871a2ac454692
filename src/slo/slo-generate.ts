import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SrekitError, isSystemError } from '../common/errors.js';
import { renderSloRules, type RenderSloRulesOptions } from './slo-rules.js';
import { renderSloTests } from './slo-tests.js';
import { listSpecFiles, loadSpecs } from './spec-files.js';
import type { SloDefinition } from './spec.js';

/** The repository this module belongs to (both src/slo and dist/src/slo are three levels down). */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The directory of the committed SLO specs. */
export const committedSpecsDir = join(repositoryRoot, 'monitoring/slos');

/** The committed rule file generated from the SLO specs. */
export const committedSloRulesPath = join(repositoryRoot, 'monitoring/prometheus/rules/slos.yml');

/** The committed promtool tests generated for the SLO rules. */
export const committedSloTestsPath = join(repositoryRoot, 'monitoring/prometheus/tests/slos.test.yml');

/** A file that `srekit slo generate` writes, with its content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/**
 * Reads and validates every spec in `specsDir`. Throws INVALID_CONFIG listing
 * every problem, and INVALID_INPUT when the directory defines no SLO.
 */
export async function loadSpecsDir(specsDir: string): Promise<SloDefinition[]> {
  return loadSpecs(await listSpecFiles(specsDir), specsDir);
}

/**
 * Renders the SLO rule file and its promtool tests. The tests name the rule
 * file by the relative path `../rules/slos.yml`, so the two belong in sibling
 * `rules` and `tests` directories.
 */
export function renderSloFiles(
  definitions: readonly SloDefinition[],
  paths: { rules: string; tests: string },
  options: RenderSloRulesOptions = {},
): GeneratedFile[] {
  return [
    { path: paths.rules, content: renderSloRules(definitions, options) },
    { path: paths.tests, content: renderSloTests(definitions, options) },
  ];
}

/**
 * Writes each file through a temporary file beside it and a rename, so a
 * reader never sees a half-written file. Everything is rendered before the
 * first write, so a rendering error leaves every file unchanged.
 */
export async function writeGeneratedFiles(files: readonly GeneratedFile[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, file.content);
      await rename(temporary, file.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

/** Returns the files whose content on disk differs from `files`, with why. */
export async function findStaleFiles(
  files: readonly GeneratedFile[],
): Promise<Array<{ path: string; state: 'stale' | 'missing' }>> {
  const stale: Array<{ path: string; state: 'stale' | 'missing' }> = [];
  for (const file of files) {
    try {
      if (await readFile(file.path, 'utf8') !== file.content) stale.push({ path: file.path, state: 'stale' });
    } catch (error) {
      if (!isSystemError(error, 'ENOENT')) throw error;
      stale.push({ path: file.path, state: 'missing' });
    }
  }
  return stale;
}

/**
 * Throws CHECK_FAILED naming every generated file that is stale or missing.
 * `difference` starts the message, as in "generated SLO files differ from
 * the specs".
 */
export async function assertGeneratedFilesCurrent(
  files: readonly GeneratedFile[],
  displayPath: (path: string) => string,
  difference = 'generated SLO files differ from the specs',
): Promise<void> {
  const stale = await findStaleFiles(files);
  if (stale.length === 0) return;
  const list = stale.map((file) => `${displayPath(file.path)} is ${file.state}`).join('; ');
  throw new SrekitError('CHECK_FAILED', `${difference}: ${list}`, {
    hint: 'run `srekit slo generate` and commit the result',
  });
}
