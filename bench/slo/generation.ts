import { spawn } from 'node:child_process';
import { cp, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SrekitError } from '../../src/common/errors.js';
import {
  loadSpecsDir, renderSloFiles, writeGeneratedFiles, type GeneratedFile,
} from '../../src/slo/slo-generate.js';
import { median } from './stats.js';

/** The compiled srekit sources beside this compiled file (dist/bench/slo is next to dist/src). */
const compiledSources = fileURLToPath(new URL('../../src/', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Wall-clock times of repeated generation runs, in milliseconds. */
export interface GenerationTiming {
  runsMs: number[];
  medianMs: number;
}

/**
 * Times what `srekit slo generate` does through the library: load and
 * validate every spec in `specsDir`, render the rules and promtool tests,
 * and write them below `outputDir`. Returns the timing and the last files.
 * Throws the abort reason of `signal` between runs once it aborts.
 */
export async function timeLibraryGeneration(
  specsDir: string,
  outputDir: string,
  runs: number,
  signal?: AbortSignal,
): Promise<{ timing: GenerationTiming; files: GeneratedFile[] }> {
  const paths = {
    rules: join(outputDir, 'rules', 'slos.yml'),
    tests: join(outputDir, 'tests', 'slos.test.yml'),
  };
  const runsMs: number[] = [];
  let files: GeneratedFile[] = [];
  for (let run = 0; run < runs; run += 1) {
    signal?.throwIfAborted();
    const start = performance.now();
    files = renderSloFiles(await loadSpecsDir(specsDir), paths);
    await writeGeneratedFiles(files);
    runsMs.push(performance.now() - start);
  }
  return { timing: { runsMs, medianMs: median(runsMs) }, files };
}

/**
 * Runs `srekit slo generate --specs <specsDir>` once in a new Node.js
 * process and returns its wall-clock time, including start-up, and the SLO
 * rule file it wrote. The command writes every generated file below the
 * repository that its code belongs to. It therefore runs from a copy of the
 * compiled sources and of monitoring/ in `workdir`, which leaves the
 * committed files alone.
 */
export async function timeCliGeneration(
  specsDir: string,
  workdir: string,
): Promise<{ ms: number; rules: string }> {
  const root = join(workdir, 'cli');
  await cp(compiledSources, join(root, 'dist', 'src'), { recursive: true });
  // The CLI reads its version from package.json, two levels above its modules,
  // and the files that generate compares or rewrites below monitoring/.
  await cp(join(repositoryRoot, 'package.json'), join(root, 'package.json'));
  await cp(join(repositoryRoot, 'monitoring'), join(root, 'monitoring'), { recursive: true });
  await symlink(join(repositoryRoot, 'node_modules'), join(root, 'node_modules'), 'dir');

  const args = [join(root, 'dist', 'src', 'bin.js'), 'slo', 'generate', '--specs', specsDir];
  const start = performance.now();
  const { code, stderr } = await runNode(args, workdir);
  const ms = performance.now() - start;
  if (code !== 0) {
    throw new SrekitError('CHECK_FAILED',
      `srekit slo generate failed on the generated specs (exit ${code}): ${stderr.trim()}`, {
        hint: `check the specs in ${specsDir} with \`srekit slo validate --specs ${specsDir}\``,
      });
  }
  const rules = await readFile(join(root, 'monitoring', 'prometheus', 'rules', 'slos.yml'), 'utf8');
  return { ms, rules };
}

function runNode(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
