import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SrekitError } from '../../src/common/errors.js';
import { describeFileError, isPathError } from '../../src/common/files.js';
import {
  writeBinaryFiles, writeLogFiles, writeSmallFiles, writeSqliteDatabase,
} from './corpus-parts.js';
import { SeededRandom } from './random.js';
import { formatSize } from './size.js';
import { digestTree, type TreeDigest } from './tree-hash.js';

/** Parameters of a generated corpus. Equal specs give byte-identical corpora. */
export interface CorpusSpec {
  sizeBytes: number;
  smallFiles: number;
  seed: number;
}

/** A generated corpus on disk. */
export interface Corpus {
  spec: CorpusSpec;
  /** The directory that the tools back up. */
  tree: string;
  digest: TreeDigest;
  /** True when an earlier run generated it. */
  reused: boolean;
}

/** Bumped whenever the generator changes, so older cached corpora are not reused. */
const generatorVersion = 1;
const manifestName = 'corpus.json';
const markerName = 'generating';

interface Manifest extends CorpusSpec {
  generatorVersion: number;
  digest: TreeDigest;
}

function describeSpec(spec: CorpusSpec): string {
  return `${formatSize(spec.sizeBytes)}, ${spec.smallFiles} small files, seed ${spec.seed}`;
}

function generate(tree: string, spec: CorpusSpec, log: (line: string) => void): void {
  log(`corpus: writing ${spec.smallFiles} small files`);
  const smallBytes = writeSmallFiles(join(tree, 'small'), new SeededRandom(spec.seed, 'small'),
    spec.smallFiles);
  const share = Math.floor((spec.sizeBytes - smallBytes) / 3);
  log(`corpus: writing ${formatSize(share)} of logs`);
  writeLogFiles(join(tree, 'logs'), new SeededRandom(spec.seed, 'logs'), share);
  log(`corpus: writing ${formatSize(share)} of random binaries`);
  writeBinaryFiles(join(tree, 'bin'), new SeededRandom(spec.seed, 'bin'), share);
  log(`corpus: writing a SQLite database of about ${formatSize(share)}`);
  writeSqliteDatabase(join(tree, 'orders.sqlite'), new SeededRandom(spec.seed, 'sqlite'),
    spec.sizeBytes - smallBytes - 2 * share);
}

async function readManifest(dir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(dir, manifestName), 'utf8')) as Manifest;
  } catch (error) {
    throw new SrekitError('INVALID_INPUT',
      `could not read ${join(dir, manifestName)}: ${describeFileError(error)}`,
      { hint: 'remove the directory or give another --corpus' });
  }
}

function sameSpec(manifest: Manifest, spec: CorpusSpec): boolean {
  return manifest.generatorVersion === generatorVersion && manifest.sizeBytes === spec.sizeBytes
    && manifest.smallFiles === spec.smallFiles && manifest.seed === spec.seed;
}

async function readCorpusDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (!isPathError(error)) throw error;
    throw new SrekitError('INVALID_INPUT',
      `could not read corpus directory ${dir}: ${describeFileError(error)}`,
      { hint: 'give a --corpus that is a directory or does not exist yet' });
  }
}

async function checkReusable(dir: string, spec: CorpusSpec): Promise<Manifest | undefined> {
  const entries = existsSync(dir) ? await readCorpusDir(dir) : [];
  const unfinished = entries.includes(markerName);
  const manifest = entries.includes(manifestName) ? await readManifest(dir) : undefined;
  if (manifest && !unfinished) {
    if (sameSpec(manifest, spec)) return manifest;
    throw new SrekitError('INVALID_INPUT',
      `corpus ${dir} was generated for ${describeSpec(manifest)}, not ${describeSpec(spec)}`,
      { hint: 'give the matching --size, --small-files and --seed, or another --corpus' });
  }
  if (entries.length > 0 && !unfinished) {
    throw new SrekitError('INVALID_INPUT',
      `corpus directory ${dir} is not empty and contains no ${manifestName}`,
      { hint: 'give an empty or missing directory, or one that an earlier run generated' });
  }
  return undefined;
}

/**
 * Returns the corpus in `dir`, generating it when `dir` is missing, empty or
 * contains an unfinished generation. A finished corpus is reused after its
 * digest is checked again, which also reads it into the page cache. Throws
 * INVALID_INPUT when `dir` contains other files, another spec or a changed corpus.
 */
export async function prepareCorpus(dir: string, spec: CorpusSpec,
  log: (line: string) => void): Promise<Corpus> {
  const tree = join(dir, 'tree');
  const manifest = await checkReusable(dir, spec);
  if (manifest) {
    log(`corpus: reusing ${dir} (${describeSpec(spec)}), reading it to check its digest`);
    const digest = await digestTree(tree);
    if (digest.sha256 !== manifest.digest.sha256) {
      throw new SrekitError('INVALID_INPUT',
        `corpus ${tree} changed since it was generated (digest ${digest.sha256.slice(0, 12)}, `
        + `expected ${manifest.digest.sha256.slice(0, 12)})`,
        { hint: `remove ${dir} so that the bench generates it again` });
    }
    return { spec, tree, digest, reused: true };
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, markerName), '');
  await rm(tree, { recursive: true, force: true });
  log(`corpus: generating ${describeSpec(spec)} in ${dir}`);
  generate(tree, spec, log);
  log('corpus: reading it once to compute its digest and fill the page cache');
  const digest = await digestTree(tree);
  const written: Manifest = { generatorVersion, ...spec, digest };
  await writeFile(join(dir, manifestName), `${JSON.stringify(written, null, 2)}\n`);
  await rm(join(dir, markerName));
  return { spec, tree, digest, reused: false };
}
