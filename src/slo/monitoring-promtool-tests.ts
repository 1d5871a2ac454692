import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isSystemError } from '../common/errors.js';
import { profiles, type Profile, type ProfileName } from './profiles.js';
import { renderRules } from './rules.js';
import { runTool, type ToolRun } from './monitoring-tools.js';

/** A promtool test file, with the profile whose rendered rules it tests, if any. */
export interface PromtoolTestFile {
  path: string;
  /**
   * Set for a file in a subdirectory named after a profile, such as
   * tests/gameday/. Such files name `rules/alerts.yml` beside them, which is
   * not committed, so the rules are rendered for the profile before the run.
   */
  profile?: Profile;
}

/** Returns true when `name` is a promtool test file: `*.test.yml` or `*.test.yaml`. */
function isTestFile(name: string): boolean {
  return /\.test\.ya?ml$/.test(name);
}

/**
 * Lists the promtool test files in `dir` and every subdirectory below it,
 * sorted by path. Returns an empty list when `dir` does not exist.
 */
export async function findPromtoolTests(dir: string): Promise<PromtoolTestFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return [];
    throw error;
  }
  const found: PromtoolTestFile[] = [];
  const profile = profileOfDirectory(dir);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...await findPromtoolTests(path));
    else if (isTestFile(entry.name)) found.push(profile ? { path, profile } : { path });
  }
  return found;
}

function profileOfDirectory(dir: string): Profile | undefined {
  const name = basename(dir);
  return Object.hasOwn(profiles, name) ? profiles[name as ProfileName] : undefined;
}

/**
 * Runs `promtool test rules` on one test file. A file with a profile runs
 * from a temporary directory that contains a copy of it and the rules rendered
 * for that profile at rules/alerts.yml. The output names the temporary
 * directory as the file's own directory, so messages point at the real file.
 */
export async function runPromtoolTest(promtool: string, test: PromtoolTestFile): Promise<ToolRun> {
  if (!test.profile) return runTool(promtool, ['test', 'rules', test.path]);

  const workdir = await mkdtemp(join(tmpdir(), 'srekit-promtool-'));
  try {
    await mkdir(join(workdir, 'rules'));
    await writeFile(join(workdir, 'rules', 'alerts.yml'), renderRules(test.profile));
    const copy = join(workdir, basename(test.path));
    await copyFile(test.path, copy);
    const run = await runTool(promtool, ['test', 'rules', copy]);
    return { ...run, output: run.output.replaceAll(workdir, dirname(test.path)) };
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}
