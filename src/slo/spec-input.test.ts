import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli.js';
import { captureIo } from '../../test/helpers/io.js';
import { committedRulesPath } from './generate.js';
import { committedSloRulesPath, committedSloTestsPath } from './slo-generate.js';

const watched = [committedRulesPath, committedSloRulesPath, committedSloTestsPath];

async function modificationTimes(): Promise<number[]> {
  return Promise.all(watched.map(async (path) => (await stat(path)).mtimeMs));
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-slo-input-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const emptyDirectories = [
  { name: 'no spec files', files: {} },
  { name: 'an empty spec file', files: { 'a.yaml': '' } },
  { name: 'comment-only spec files', files: { 'a.yaml': '# none yet\n', 'b.yml': '\n# x\n' } },
];

for (const { name, files } of emptyDirectories) {
  test(`generate rejects ${name}`, async (t) => {
    const dir = await tempDir(t);
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    const before = await modificationTimes();

    const io = captureIo();
    assert.equal(await run(['slo', 'generate', '--specs', dir], io), 2);
    assert.match(io.err(), new RegExp(`error: no SLOs found in ${dir}: `));
    assert.match(io.err(), /\[INVALID_INPUT\]/);
    assert.match(io.err(), /nothing was written/);
    assert.deepEqual(await modificationTimes(), before);
  });
}

test('validate rejects an empty spec file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'empty.yaml');
  await writeFile(file, '# nothing here\n');

  const io = captureIo();
  assert.equal(await run(['slo', 'validate', file], io), 2);
  assert.equal(io.out(), '');
  assert.match(io.err(), /error: no SLOs found in .*empty\.yaml: the spec files are empty or contain /);
});

test('validate rejects an empty --specs directory', async (t) => {
  const dir = await tempDir(t);
  const io = captureIo();
  assert.equal(await run(['slo', 'validate', '--specs', dir], io), 2);
  assert.match(io.err(), /no SLOs found in .*: it contains no \*\.yaml or \*\.yml file/);
});

test('validate names an unreadable spec path', async (t) => {
  const dir = await tempDir(t);
  const directoryFile = join(dir, 'x.yaml');
  await mkdir(directoryFile);
  const plainFile = join(dir, 'plain.yaml');
  await writeFile(plainFile, '');
  const cases = [
    {
      args: ['slo', 'validate', join(dir, 'missing.yaml')],
      error: /error: could not read SLO spec .*missing\.yaml: no such file or directory \(ENOENT\)/,
    },
    {
      args: ['slo', 'validate', directoryFile],
      error: /error: could not read SLO spec .*x\.yaml: illegal operation on a directory \(EISDIR\)/,
    },
    {
      args: ['slo', 'validate', '--specs', plainFile],
      error: /error: could not list SLO spec directory .*plain\.yaml: not a directory \(ENOTDIR\)/,
    },
    {
      args: ['slo', 'generate', '--check', '--specs', plainFile],
      error: /error: could not list SLO spec directory .*plain\.yaml: not a directory \(ENOTDIR\)/,
    },
  ];
  for (const { args, error } of cases) {
    const io = captureIo();
    assert.equal(await run(args, io), 2, args.join(' '));
    assert.match(io.err(), error);
    assert.match(io.err(), /\[INVALID_INPUT\]/);
    assert.doesNotMatch(io.err(), /internal error/);
  }
});
