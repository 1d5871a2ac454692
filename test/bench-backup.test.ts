import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBackupBenchArgs, toolNames, type BackupBenchOptions } from '../bench/backup/args.js';
import { checkPrograms, runBackupBench } from '../bench/backup/bench.js';
import { runBackupBenchCommand } from '../bench/backup/command.js';
import { prepareCorpus } from '../bench/backup/corpus.js';
import { measureStep } from '../bench/backup/measure.js';
import { formatBackupBench, writeBackupBenchJson } from '../bench/backup/report.js';
import { parseSize } from '../bench/backup/size.js';
import { digestTree } from '../bench/backup/tree-hash.js';
import { assertSrekitError } from './helpers/errors.js';
import { captureIo } from './helpers/io.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const benchEntry = join(repositoryRoot, 'dist', 'bench', 'backup', 'run.js');

async function benchWorkdirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('srekit-bench-backup-'));
}

/** Returns the options of a 4 MiB corpus with 200 small files and one round of every tool. */
function tinyRun(): BackupBenchOptions {
  const options = parseBackupBenchArgs(['--size', '4MiB', '--small-files', '200',
    '--rounds', '1']);
  assert.ok(options !== 'help');
  return options;
}

test('bench times and checks every tool', async () => {
  const before = await benchWorkdirs();
  const progress: string[] = [];
  const result = await runBackupBench(tinyRun(), (line) => progress.push(line));

  assert.equal(result.corpus.files, 200 + 3, 'small files, one log, one blob, SQLite');
  assert.deepEqual(result.summaries.map((summary) => summary.tool), [...toolNames]);
  for (const summary of result.summaries) {
    assert.ok(summary.backupSeconds > 0, `${summary.tool} backup time`);
    assert.ok(summary.restoreSeconds > 0, `${summary.tool} restore time`);
    assert.ok(summary.storedBytes > 0, `${summary.tool} stored size`);
    assert.ok(summary.peakRssBytes > 0, `${summary.tool} peak memory`);
    assert.equal(summary.restoresMatching, 1, `${summary.tool} restore matches the corpus`);
    if (summary.tool === 'tar-zstd') assert.equal(summary.verifySeconds, undefined);
    else assert.ok((summary.verifySeconds ?? 0) > 0, `${summary.tool} verify time`);
  }
  for (const round of result.rounds) {
    assert.equal(round.restore.files, result.corpus.files, `${round.tool} restored files`);
    assert.equal(round.restore.fileBytes, result.corpus.fileBytes, `${round.tool} bytes`);
  }
  for (const tool of toolNames) {
    assert.ok(progress.includes(`round 1/1 ${tool}: backup`), `${tool} backup progress`);
  }
  assert.equal(result.memoryCheck, undefined, 'no memory check under 1 GiB');
  assert.ok(result.machine.cpus > 0);
  assert.ok(result.machine.loadAverage.end !== undefined, 'load average at the end');
  assert.deepEqual(await benchWorkdirs(), before, 'the bench removed its work directory');

  const table = formatBackupBench(result);
  for (const label of ['srekit', 'restic 0.14', 'borg 1.2', 'tar \\| zstd -T0 -3']) {
    assert.match(table, new RegExp(`^\\| ${label.replace(/[.|\\]/g, '\\$&')}.* s \\|`, 'm'));
  }
  assert.match(table, /PASS {2}tar-zstd restores identical to the corpus: 1 of 1/);

  const io = captureIo();
  writeBackupBenchJson(io.stdout, result);
  const records = io.out().trim().split('\n').map((line) => JSON.parse(line) as { type: string });
  const types = new Set(records.map((record) => record.type));
  assert.deepEqual([...types], ['corpus', 'machine', 'step', 'round', 'summary', 'target']);
  assert.match(table, /^Peers: restic 0\.14.*; borg 1\.2.*; Zstandard CLI .*v1\.5\.\d+, by Yann Collet\.$/m);
});

test('corpus is deterministic and reused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-test-corpus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const spec = { sizeBytes: parseSize('2MiB') ?? 0, smallFiles: 30, seed: 7 };
  const log = () => undefined;

  const first = await prepareCorpus(join(dir, 'a'), spec, log);
  const second = await prepareCorpus(join(dir, 'b'), spec, log);
  const reused = await prepareCorpus(join(dir, 'a'), spec, log);

  assert.equal(first.reused, false);
  assert.equal(first.digest.sha256, second.digest.sha256);
  assert.equal(reused.reused, true);
  assert.equal(reused.digest.sha256, first.digest.sha256);
  assert.equal(first.digest.files, 30 + 1 + 1 + 1, 'small files, one log, one blob, SQLite');
  const shortBy = spec.sizeBytes - first.digest.fileBytes;
  assert.ok(Math.abs(shortBy) < spec.sizeBytes * 0.1, `corpus size off by ${shortBy} bytes`);

  await assert.rejects(prepareCorpus(join(dir, 'a'), { ...spec, seed: 8 }, log),
    assertSrekitError('INVALID_INPUT', /generated for 2MiB, 30 small files, seed 7/));
  await appendFile(join(first.tree, 'orders.sqlite'), 'x');
  await assert.rejects(prepareCorpus(join(dir, 'a'), spec, log),
    assertSrekitError('INVALID_INPUT', /changed since it was generated/));
  await mkdir(join(dir, 'other'));
  await appendFile(join(dir, 'other', 'notes.txt'), 'mine');
  await assert.rejects(prepareCorpus(join(dir, 'other'), spec, log),
    assertSrekitError('INVALID_INPUT', /is not empty and contains no corpus.json/));
});

test('tree digest changes with content and names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'srekit-test-digest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a', 'sub'), { recursive: true });
  await appendFile(join(dir, 'a', 'sub', 'file'), 'content');
  await cp(join(dir, 'a'), join(dir, 'b'), { recursive: true });

  const original = await digestTree(join(dir, 'a'));
  assert.equal((await digestTree(join(dir, 'b'))).sha256, original.sha256);
  await appendFile(join(dir, 'b', 'sub', 'file'), '!');
  assert.notEqual((await digestTree(join(dir, 'b'))).sha256, original.sha256);
  await rm(join(dir, 'b'), { recursive: true });
  await cp(join(dir, 'a'), join(dir, 'b'), { recursive: true });
  await mkdir(join(dir, 'b', 'empty'));
  assert.notEqual((await digestTree(join(dir, 'b'))).sha256, original.sha256);
});

test('step measurement names the largest process', async () => {
  const allocate = 'const b = Buffer.alloc(96 * 1024 * 1024, 1); process.stdout.write(b.subarray(0, 9))';
  const measurement = await measureStep({ stages: [
    { command: process.execPath, args: ['-e', allocate], label: 'node' },
    { command: 'cat', args: [] },
  ] });

  assert.equal(measurement.peakProcess, 'node');
  assert.ok(measurement.peakRssBytes >= 96 * 1024 * 1024, `${measurement.peakRssBytes} bytes`);
  assert.ok(measurement.seconds > 0);
  await assert.rejects(measureStep({ stages: [
    { command: 'ls', args: ['/nonexistent-bench-path'] },
  ] }), assertSrekitError('CHECK_FAILED', /ls \/nonexistent-bench-path failed with exit status 2/));
});

test('bench rejects bad arguments and creates nothing', async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'srekit-test-bench-args-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const workdir = join(parent, 'work');
  const before = await benchWorkdirs();
  const cases: Array<[string[], RegExp]> = [
    [['--size', 'abc'], /invalid --size "abc": expected a size from 1MiB/],
    [['--size', '10GB'], /invalid --size "10GB"/],
    [['--rounds', '0'], /invalid --rounds "0": expected a whole number from 1 to 100/],
    [['--tools', 'srekit,duplicity'], /unknown tool duplicity; expected .*srekit, restic/],
    [['--size', '100MiB'], /100MiB is too small for 20000 small files/],
    [['--colour'], /Unknown option '--colour'/],
  ];
  for (const [args, pattern] of cases) {
    const io = captureIo();
    const code = await runBackupBenchCommand([...args, '--workdir', workdir], io);
    assert.equal(code, 2, args.join(' '));
    assert.match(io.err(), pattern);
    assert.equal(io.out(), '', `${args.join(' ')} prints nothing on stdout`);
    assert.equal(existsSync(workdir), false, `${args.join(' ')} created the work directory`);
  }
  assert.deepEqual(await benchWorkdirs(), before);
});

test('bench rejects a file as directory', async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'srekit-test-bench-paths-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const file = join(parent, 'file');
  await appendFile(file, 'not a directory');
  const cases: Array<[string[], RegExp]> = [
    [['--workdir', join(file, 'work')], /could not create work directory .*file\/work: /],
    [['--corpus', file], /could not read corpus directory .*file: not a directory \(ENOTDIR\)/],
  ];
  for (const [args, pattern] of cases) {
    const io = captureIo();
    const code = await runBackupBenchCommand(['--size', '2MiB', '--small-files', '10',
      '--tools', 'tar-zstd', ...args], io);
    assert.equal(code, 2, args.join(' '));
    assert.match(io.err(), pattern);
  }
  assert.deepEqual(await readdir(parent), ['file']);
});

test('missing peer tool is named', (t) => {
  const path = process.env.PATH;
  t.after(() => {
    process.env.PATH = path;
  });
  process.env.PATH = '/nonexistent-bench-bin';

  assert.throws(() => checkPrograms(['srekit', 'borg']),
    assertSrekitError('MISSING_BINARY', /needs du, borg, which are not installed/));
  assert.throws(() => checkPrograms(['borg']),
    assertSrekitError('MISSING_BINARY', /install-system-deps\.sh bench/));
  assert.throws(() => checkPrograms(['srekit'], '/nonexistent/bin.js'),
    assertSrekitError('MISSING_BINARY', /entry script \/nonexistent\/bin\.js does not exist/));
});

test('bench entry exits 2 on a bad size', async () => {
  const exit = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [benchEntry, '--size', 'abc'], (error, _stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr });
    });
  });

  assert.equal(exit.code, 2);
  assert.match(exit.stderr, /^error: invalid --size "abc".*\[USAGE\]$/m);
});
